"""The portal's "Facts to confirm": the facts the agency asked the clinic to confirm, each with
its statement and source link; the clinic's approver confirms one or says it needs a change
(a comment is required); the tab and the home tile show only to those who may act and only
while something waits; the agency's staff and the clinic's other people cannot act, another
clinic's person gets 404."""

from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from facts.models import Fact, FactVersion
from facts.services import CLINIC_REF, facts_ask_clinic
from tests.facts.helpers import fill_in
from tests.portal.helpers import access_for

URL = "/clinics/clinic-a/portal/facts/"
HOME = "/clinics/clinic-a/portal/"
TAB = 'href="/clinics/clinic-a/portal/facts/"'
SOURCE = "https://clinic-a.example/infection-control"


@pytest.fixture
def asked(world, clinic_a) -> list[Fact]:
    """Two default drafts of clinic A, one with a source link, asked by the manager."""
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="needles-single-use").update(
            source="Infection-control policy", source_url=SOURCE
        )
        fill_in("needles-single-use", "licences")
        ids = list(
            Fact.objects.filter(slug__in=["needles-single-use", "licences"])
            .order_by("slug")
            .values_list("pk", flat=True)
        )
        facts, _told = facts_ask_clinic(
            fact_ids=ids, access=access_for(world.users["alpha_manager"], clinic_a)
        )
        return facts


def _state(clinic) -> tuple:
    with schema_context(clinic.schema_name):
        return (
            list(Fact.objects.order_by("pk").values_list("pk", "version", "status")),
            FactVersion.objects.count(),
        )


def test_the_approver_sees_each_fact_with_its_source_and_the_tab_and_tile(asked, clinic_a, login):
    client = login("a_approver")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 facts of your fact sheet wait for your confirmation." in html
    for fact in asked:
        assert f'id="fact-{fact.pk}"' in html and fact.statement in html
    assert f'<a href="{SOURCE}" rel="noopener noreferrer" target="_blank">' in html
    assert html.count(">Confirm<span") == 2 and html.count(">Needs a change<span") == 2
    assert "Asked by Alpha Manager on" in html
    # branded like the other portal pages, and the tab is current with its count
    assert "Alpha Agency" in html and "/clinics/clinic-a/portal/brand.css" in html
    assert f'{TAB} aria-current="page">Facts to confirm <span class="badge">' in html
    home = client.get(HOME).content.decode()
    assert f'{TAB}><span class="big">2</span> facts to confirm</a>' in home
    # the banner says what waits, as the tile and the tab count it
    banner = home[home.index('data-testid="waiting-banner"') :]
    assert 'data-total="2">2 things wait for you at Clinic A: <a' in banner


@pytest.mark.parametrize("who", ["a_viewer", "a_legal", "alpha_manager", "alpha_owner"])
def test_the_tab_and_tile_are_only_for_those_who_may_act(who, asked, login):
    client = login(who)
    home = client.get(HOME).content.decode()
    assert TAB not in home
    page = client.get(URL).content.decode()
    assert "Only the clinic's own approvers confirm its facts." in page
    assert ">Confirm<span" not in page


def test_no_tab_when_nothing_waits(clinic_a, login):
    home = login("a_approver").get(HOME).content.decode()
    assert TAB not in home and "facts to confirm" not in home


def test_confirm_then_needs_a_change_then_nothing_waits(asked, world, clinic_a, login):
    first, second = asked
    client = login("a_approver")

    # confirm the first, as it read
    done = client.post(URL, {"fact": first.pk, "action": "confirm", "expected_version": 2})
    assert done.status_code == 302 and done["Location"] == URL
    with schema_context(clinic_a.schema_name):
        fact = Fact.objects.get(pk=first.pk)
        assert (fact.status, fact.confirmed_as, fact.confirmed_by) == (
            "confirmed",
            "clinic",
            "A Approver",
        )
    html = client.get(URL).content.decode()
    assert f"“{first.title}” confirmed: replies may cite it from now on." in html
    assert "1 fact of your fact sheet waits for your confirmation." in html
    assert f'id="fact-{first.pk}"' not in html

    # "needs a change" without a comment: refused, nothing changed, the card still there
    before = _state(clinic_a)
    refused = client.post(URL, {"fact": second.pk, "action": "change", "comment": "  "})
    assert refused.status_code == 400
    assert (
        "Say what needs a change, in words: the clinic's comment goes to the agency. Say why in "
        "at least 3 words (10 characters or more), not one word repeated. Nothing was changed."
    ) in unescape(refused.content.decode())
    assert _state(clinic_a) == before
    # a one-word comment tells the agency nothing: the rule of sending a reply back
    refused = client.post(URL, {"fact": second.pk, "action": "change", "comment": "no"})
    assert refused.status_code == 400
    assert "Say why in at least 3 words" in refused.content.decode()
    assert _state(clinic_a) == before

    # with a comment: it stays a draft, the agency is told, nothing waits, the tab goes
    sent = client.post(
        URL,
        {"fact": second.pk, "action": "change", "comment": "Our licence number changed.",
         "expected_version": 2},
    )  # fmt: skip
    assert sent.status_code == 302
    with schema_context(clinic_a.schema_name):
        fact = Fact.objects.get(pk=second.pk)
        assert (fact.status, fact.clinic_review, fact.clinic_comment, fact.is_citable) == (
            "draft",
            "change_requested",
            "Our licence number changed.",
            False,
        )
    assert not Notification.objects.filter(clinic=clinic_a, ref=CLINIC_REF, open=True).exists()
    assert Notification.objects.filter(
        clinic=clinic_a, ref=f"fact:{second.pk}:change_requested",
        user=world.users["alpha_manager"], open=True,
    ).exists()  # fmt: skip
    html = client.get(URL).content.decode()
    assert "No fact waits for the clinic's confirmation." in html
    assert f"{TAB} aria-current" in html  # (the current page keeps its tab)
    assert TAB not in client.get(HOME).content.decode()

    # the agency's fact sheet says who confirmed it, and what the clinic asked
    sheet = login("alpha_manager").get("/clinics/clinic-a/facts/").content.decode()
    assert "Confirmed by A Approver (clinic) on" in sheet
    assert "The clinic asks for a change" in sheet and "“Our licence number changed.”" in sheet


def test_a_fact_changed_since_the_page_was_read_is_a_conflict(asked, world, clinic_a, login):
    first, _second = asked
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(pk=first.pk).update(version=3, statement="Changed by the agency.")
    before = _state(clinic_a)
    answer = login("a_approver").post(
        URL, {"fact": first.pk, "action": "confirm", "expected_version": 2}
    )
    assert answer.status_code == 409
    assert "This fact changed since you opened it" in answer.content.decode()
    assert _state(clinic_a) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alpha_owner", 403),
        ("alpha_manager", 403),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_viewer", 403),
        ("a_legal", 403),
        ("b_approver", 404),
        ("beta_owner", 404),
    ],
)
def test_only_the_clinics_approver_acts_here(who, status, asked, clinic_a, login):
    first, second = asked
    client = login(who)
    before = _state(clinic_a)
    confirm = client.post(URL, {"fact": first.pk, "action": "confirm"})
    change = client.post(URL, {"fact": second.pk, "action": "change", "comment": "No."})
    assert (confirm.status_code, change.status_code) == (status, status)
    assert _state(clinic_a) == before
    assert Notification.objects.filter(clinic=clinic_a, ref=CLINIC_REF, open=True).exists()


def _banner(client) -> str:
    """The "Waiting for you" line of the portal's pages (empty when nothing waits)."""
    html = client.get(HOME).content.decode()
    start = html.find('<div class="waiting-note"')
    return "" if start < 0 else html[start : html.index("</div>", start)]


def test_the_waiting_notice_follows_the_facts_still_waiting_and_closes(world, clinic_a, login):
    # given three facts the agency asked the clinic to confirm
    with schema_context(clinic_a.schema_name):
        fill_in("needles-single-use", "licences", "opening-hours")
        ids = list(
            Fact.objects.filter(slug__in=["needles-single-use", "licences", "opening-hours"])
            .order_by("slug")
            .values_list("pk", flat=True)
        )
        facts_ask_clinic(fact_ids=ids, access=access_for(world.users["alpha_manager"], clinic_a))
    client = login("a_approver")
    assert "3 facts of your fact sheet wait for your confirmation" in _banner(client)

    # when one is confirmed, then one needs a change: the notice says what still waits
    client.post(URL, {"fact": ids[0], "action": "confirm", "expected_version": 2})
    assert "2 facts of your fact sheet wait for your confirmation" in _banner(client)
    client.post(
        URL,
        {
            "fact": ids[1],
            "action": "change",
            "comment": "The hours are wrong.",
            "expected_version": 2,
        },
    )
    assert "1 fact of your fact sheet waits for your confirmation" in _banner(client)
    [notice] = Notification.objects.filter(ref=CLINIC_REF, user=world.users["a_approver"])
    assert notice.open and notice.title == "1 fact of your fact sheet waits for your confirmation"

    # and once the last is confirmed, it closes: the banner and the badge have nothing
    client.post(URL, {"fact": ids[2], "action": "confirm", "expected_version": 2})
    assert _banner(client) == ""
    notice.refresh_from_db()
    assert notice.open is False
