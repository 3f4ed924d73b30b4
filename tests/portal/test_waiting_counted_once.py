"""What waits for a person is counted once (`portal.selectors.portal_counts`, its "total") and
every surface says that number: the Overview's badge and lead, the page title, the tabs'
badges, the "Waiting for you" banner, the notifications page, the clinic switcher, and the
"Your clinics" page, which spans clinics and says their sum. A notice about something that
no longer waits, or another clinic's items, do not change this clinic's number (the Overview
had said 40 with the other clinic's items, the notifications page 35, the tabs 38)."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Notification
from clinics.services import clinic_member_add
from facts.models import Fact
from facts.services import facts_ask_clinic
from portal.selectors import portal_counts, waiting_in_clinics
from responses.models import PrivateConversation, Statement
from tests.facts.helpers import fill_in
from tests.portal.helpers import access_for
from tests.responses.backlog import backlog_create


def _follow_up(review, *, owner, status="open") -> PrivateConversation:
    return PrivateConversation.objects.create(
        review=review, channel="email", status=status, opened_by_label="user:1",
        owner_id=owner.pk if owner else None,
    )  # fmt: skip


def _every_kind_waits(world, clinic_a, clinic_b):
    """Clinic A: 2 replies and 1 batch reply (of 3 mentions), 1 statement, 2 facts to confirm,
    1 follow-up the approver owns (another closed, another someone else's), and a notice
    about a reply that no longer exists; Clinic B, where they approve too: 1 reply and 1
    follow-up of theirs."""
    approver = world.users["a_approver"]
    clinic_member_add(
        clinic=clinic_b, email=approver.email, full_name=approver.full_name, role="approver"
    )
    with schema_context(clinic_a.schema_name):
        drafts, _ = backlog_create(replies=2, batches=1, batch_size=3, tag="wa")
        Statement.objects.create(
            title="About the rumour", status="pending_client", version=1,
            route=["agency", "client"], author_label="user:900001", author_name="Someone",
        )  # fmt: skip
        fill_in("needles-single-use", "licences")
        ids = list(
            Fact.objects.filter(slug__in=["needles-single-use", "licences"]).values_list(
                "pk", flat=True
            )
        )
        facts_ask_clinic(fact_ids=ids, access=access_for(world.users["alpha_manager"], clinic_a))
        # (one open follow-up per review)
        _follow_up(drafts[0].review, owner=approver)
        _follow_up(drafts[0].review, owner=approver, status="resolved")
        _follow_up(drafts[1].review, owner=world.users["a_viewer"])
    Notification.objects.create(
        user=approver, clinic=clinic_a, kind="approval", ref="reply:999999",
        title="A reply waits for your approval", url="/clinics/clinic-a/portal/approvals/",
    )  # fmt: skip
    with schema_context(clinic_b.schema_name):
        drafts_b, _ = backlog_create(replies=1, tag="wb")
        _follow_up(drafts_b[0].review, owner=approver)
    return approver


def _number(pattern: str, html: str) -> int:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return int(found.group(1))


def _badge(html: str, tab: str) -> int:
    found = re.search(rf'>{tab} <span class="badge"><span class="sr-only">\(</span>(\d+)', html)
    return int(found.group(1)) if found else 0


def test_every_surface_says_the_same_numbers_for_a_person_of_two_clinics(
    world, clinic_a, clinic_b, login
):
    approver = _every_kind_waits(world, clinic_a, clinic_b)
    with schema_context(clinic_a.schema_name):
        counts = portal_counts(access_for(approver, clinic_a))
    here = {"replies": 3, "statements": 1, "review": 0, "facts": 2, "follow_ups": 1}
    assert {k: counts[k] for k in here} == here
    assert counts["total"] == 7
    client = login("a_approver")

    # the Overview: its badge, the page title, its lead, the tabs, and the other clinic apart
    home = client.get("/clinics/clinic-a/portal/").content.decode()
    assert _number(r"<title>\((\d+)\) ", home) == 7
    assert _number(r"data-alert-badge><span data-alert-number>(\d+)<", home) == 7
    assert _number(r'data-testid="waiting-total" data-total="(\d+)"', home) == 7
    lead = re.search(r'data-testid="waiting-here">(.*?)</p>', home, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", "", lead).split()) == (
        "7 things wait for you at Clinic A: 3 replies to approve, 1 statement to approve, "
        "2 facts to confirm and 1 follow-up of yours still open. 2 more wait for you in your "
        "other clinics (each clinic's number is under “Switch clinic”); they are not counted "
        "here."
    )
    tabs = {
        tab: _badge(home, tab)
        for tab in ("Replies", "Statements", "Facts to confirm", "Follow-ups")
    }
    assert tabs == {"Replies": 3, "Statements": 1, "Facts to confirm": 2, "Follow-ups": 1}
    assert sum(tabs.values()) == 7

    # the banner, polled, says the same number, and the page title and badge follow it
    banner = client.get("/clinics/clinic-a/portal/alerts/banner/").content.decode()
    assert _number(r'data-alert-count="(\d+)"', banner) == 7
    assert _number(r'data-testid="waiting-total" data-total="(\d+)"', banner) == 7
    assert 'data-testid="waiting-banner"' in banner

    # the notifications page, whatever notices it lists (one is about a reply long gone)
    told = client.get("/clinics/clinic-a/portal/notifications/").content.decode()
    assert _number(r'data-testid="waiting-total" data-total="(\d+)"', told) == 7
    assert "still wait" not in told

    # the switcher: each clinic's own number, and the others' sum
    assert (
        _number(r"Switch clinic <span class=\"badge\"><span class=\"sr-only\">\(</span>(\d+)", home)
        == 2
    )
    assert (
        _number(
            r"Clinic A <span class=\"muted\">\(open now\)</span> <span class=\"badge\"><span class=\"sr-only\">\(</span>(\d+)",
            home,
        )
        == 7
    )
    assert (
        _number(r"Clinic B <span class=\"badge\"><span class=\"sr-only\">\(</span>(\d+)", home) == 2
    )

    # Clinic B's Overview counts Clinic B's only
    other = client.get("/clinics/clinic-b/portal/").content.decode()
    assert _number(r"data-alert-badge><span data-alert-number>(\d+)<", other) == 2
    assert _badge(other, "Replies") == 1 and _badge(other, "Follow-ups") == 1

    # "Your clinics" spans both: each clinic's number and their sum, said as a sum
    yours = client.get("/").content.decode()
    assert re.findall(r'data-testid="clinic-waiting">(\w+)<', yours) == ["7", "2"]
    assert "9 things wait for you across your 2 clinics" in yours
    with schema_context(clinic_a.schema_name):
        assert waiting_in_clinics(Actor(user=approver), [clinic_a, clinic_b]) == {
            clinic_a.pk: 7,
            clinic_b.pk: 2,
        }


def test_a_decision_moves_every_surface_together(world, clinic_a, clinic_b, login):
    approver = _every_kind_waits(world, clinic_a, clinic_b)
    with schema_context(clinic_a.schema_name):
        PrivateConversation.objects.filter(owner_id=approver.pk).update(status="resolved")
        Statement.objects.update(status="approved")
    client = login("a_approver")

    home = client.get("/clinics/clinic-a/portal/").content.decode()
    banner = client.get("/clinics/clinic-a/portal/alerts/banner/").content.decode()

    assert _number(r"data-alert-badge><span data-alert-number>(\d+)<", home) == 5
    assert _number(r'data-alert-count="(\d+)"', banner) == 5
    assert _badge(home, "Statements") == 0 and _badge(home, "Follow-ups") == 0
