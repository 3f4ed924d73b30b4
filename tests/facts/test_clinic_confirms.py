"""The clinic's say on its facts: staff ask the clinic to confirm drafts (one fact or all of
them; versioned, "waiting for the clinic since …"), the clinic's approvers are told once per
request, confirm in the portal or say what needs a change (the agency is told), the clinic's
notification closes when nothing waits; the API's ask action refuses bad input with field
messages and changes nothing; staff confirming stays possible and says it was the agency."""

from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from facts.defaults import DEFAULT_FACTS
from facts.models import Fact, FactVersion
from facts.services import CLINIC_REF, fact_change_request, fact_confirm_by_clinic
from tests.portal.helpers import access_for

NEEDLES = "Every needle we use is single-use and sealed until it is opened in front of you."
STERILE = "Every instrument is sterilised in an autoclave before each patient."


def _fill(clinic, slug: str, statement: str) -> Fact:
    with schema_context(clinic.schema_name):
        Fact.objects.filter(slug=slug).update(statement=statement)
        return Fact.objects.get(slug=slug)


def _state(clinic) -> tuple:
    with schema_context(clinic.schema_name):
        return (
            list(Fact.objects.order_by("pk").values_list("pk", "version", "clinic_review")),
            FactVersion.objects.count(),
            Notification.objects.filter(clinic=clinic).count(),
        )


def _open(clinic, ref: str) -> list[str]:
    return sorted(
        Notification.objects.filter(clinic=clinic, ref=ref, open=True).values_list(
            "user__email", flat=True
        )
    )


@pytest.fixture
def two_drafts(clinic_a) -> tuple[Fact, Fact]:
    """Two of the default drafts, filled in with a statement."""
    return (
        _fill(clinic_a, "needles-single-use", NEEDLES),
        _fill(clinic_a, "instrument-sterilisation", STERILE),
    )


def test_asking_the_clinic_tells_its_approvers_once_and_versions_each_fact(
    two_drafts, world, clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    needles, other = two_drafts
    manager = as_user("alpha_manager", clinic_a)

    # when the manager asks the clinic to confirm both drafts
    with django_capture_on_commit_callbacks(execute=True):
        answer = manager.post("facts/ask-clinic/", {"fact_ids": [needles.pk, other.pk]})

    # then both wait for the clinic, with who asked and when, as a new version each
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["told"] == 1
    assert [
        (f["id"], f["clinic_review"], f["clinic_asked_by"], f["version"]) for f in body["facts"]
    ] == [
        (needles.pk, "waiting", "Alpha Manager", 2),
        (other.pk, "waiting", "Alpha Manager", 2),
    ]
    assert all(f["clinic_asked_at"] and f["confirmed_as"] is None for f in body["facts"])
    history = manager.get(f"facts/{needles.pk}/versions/").json()["results"]
    assert [(v["action"], v["actor_name"]) for v in history] == [
        ("asked_clinic", "Alpha Manager"),
        ("created", "Carewatch at set-up"),
    ]
    # and the clinic's approver (only them: not its viewer, legal or the agency) is told once
    rows = Notification.objects.filter(clinic=clinic_a, ref=CLINIC_REF)
    assert [(n.user.email, n.kind, n.open, n.url) for n in rows] == [
        ("a_approver@clinics.test", "facts", True, "/clinics/clinic-a/portal/facts/")
    ]
    assert rows[0].title == "2 facts of your fact sheet wait for your confirmation"
    assert [m.to for m in mailoutbox] == [["a_approver@clinics.test"]]
    assert (
        mailoutbox[0].subject == "[Clinic A] 2 facts of your fact sheet wait for your confirmation"
    )
    assert "/clinics/clinic-a/portal/facts/" in mailoutbox[0].body

    # when the approver confirms one, the notification stays (one still waits)
    approver = access_for(world.users["a_approver"], clinic_a)
    with schema_context(clinic_a.schema_name):
        fact = fact_confirm_by_clinic(fact_id=needles.pk, access=approver, expected_version=2)
    assert (fact.status, fact.confirmed_as, fact.confirmed_by, fact.is_citable) == (
        "confirmed",
        "clinic",
        "A Approver",
        True,
    )
    assert fact.confirmed_words == "Confirmed by A Approver (clinic)"
    assert _open(clinic_a, CLINIC_REF) == ["a_approver@clinics.test"]

    # and when they say the other needs a change, nothing waits: the clinic's message closes,
    # and the agency (the manager who asked, and the clinic's managers) is told, with a link
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        fact, told = fact_change_request(
            fact_id=other.pk, access=approver, comment="We use gloves too; say so.",
            expected_version=2,
        )  # fmt: skip
    assert (fact.status, fact.clinic_review, fact.clinic_comment) == (
        "draft",
        "change_requested",
        "We use gloves too; say so.",
    )
    assert _open(clinic_a, CLINIC_REF) == []
    ref = f"fact:{other.pk}:change_requested"
    assert _open(clinic_a, ref) == ["manager@alpha.test", "owner@alpha.test"]
    told_row = Notification.objects.get(clinic=clinic_a, ref=ref, user=world.users["alpha_manager"])
    assert told_row.url == f"/clinics/clinic-a/facts/{other.pk}/"
    assert told_row.title == f"The clinic asks for a change to the fact “{other.title}”"
    mail = [m for m in mailoutbox if m.to == ["manager@alpha.test"]]
    assert len(mail) == 1 and "We use gloves too; say so." in mail[0].body
    history = manager.get(f"facts/{other.pk}/versions/").json()["results"]
    assert [(v["action"], v["by_clinic"], v["comment"]) for v in history[:2]] == [
        ("change_requested", True, "We use gloves too; say so."),
        ("asked_clinic", False, ""),
    ]

    # when the manager corrects it and confirms it themselves, the fact says it was the agency
    # and the agency's "needs a change" notice closes
    confirmed = manager.post(f"facts/{other.pk}/confirm/", {"statement": STERILE + " Gloves too."})
    assert confirmed.status_code == 200, confirmed.json()
    assert (confirmed.json()["confirmed_as"], confirmed.json()["clinic_review"]) == ("agency", None)
    assert _open(clinic_a, ref) == []
    with schema_context(clinic_a.schema_name):
        assert Fact.objects.get(pk=other.pk).confirmed_words == (
            "Confirmed by Alpha Manager for the clinic"
        )


def test_a_new_request_replaces_the_clinics_message_with_the_new_count(
    two_drafts, clinic_a, as_user
):
    needles, other = two_drafts
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post("facts/ask-clinic/", {"fact_ids": [needles.pk]}).status_code == 200
    assert manager.post("facts/ask-clinic/", {"fact_ids": [other.pk]}).status_code == 200
    rows = list(Notification.objects.filter(clinic=clinic_a, ref=CLINIC_REF).order_by("pk"))
    assert [(r.title, r.open) for r in rows] == [
        ("1 fact of your fact sheet waits for your confirmation", False),
        ("2 facts of your fact sheet wait for your confirmation", True),
    ]
    # deactivating what waits closes it once nothing waits
    manager.client.delete(manager.url(f"facts/{needles.pk}/"))
    assert _open(clinic_a, CLINIC_REF) == ["a_approver@clinics.test"]
    manager.client.delete(manager.url(f"facts/{other.pk}/"))
    assert _open(clinic_a, CLINIC_REF) == []


def _bad_ids(clinic_a, clinic_b, two_drafts) -> dict:
    needles, _other = two_drafts
    with schema_context(clinic_a.schema_name):
        # each schema numbers its facts from 1: the foreign fact takes an id clinic A has not
        # used, whatever earlier tests left behind in either sequence
        unused = max(Fact.objects.values_list("pk", flat=True), default=0) + 1_000
    with schema_context(clinic_b.schema_name):
        foreign = Fact.objects.create(
            pk=unused, slug="b-only", title="B only", statement="Clinic B's."
        )
    with schema_context(clinic_a.schema_name):
        empty = Fact.objects.create(slug="parking-empty", title="Parking?", status="draft")
        confirmed = Fact.objects.create(
            slug="parking", title="Parking", statement="Free parking.", status="confirmed"
        )
        inactive = Fact.objects.create(
            slug="old", title="Old", statement="Old.", status="draft", is_active=False
        )
    return {
        "unknown": (999_999, "Fact 999999: there is no such fact on this clinic's fact sheet."),
        "other-clinic": (
            foreign.pk,
            f"Fact {foreign.pk}: there is no such fact on this clinic's fact sheet.",
        ),
        "no-statement": (
            empty.pk,
            f"Fact {empty.pk} (“{empty.title}”) has no statement yet: fill it in before asking "
            "the clinic.",
        ),
        "confirmed": (confirmed.pk, f"Fact {confirmed.pk} (“Parking”) is already confirmed."),
        "deactivated": (
            inactive.pk,
            f"Fact {inactive.pk} (“Old”) is deactivated: reactivate it first.",
        ),
        "good": (needles.pk, None),
    }


@pytest.mark.parametrize(
    "bad", ["unknown", "other-clinic", "no-statement", "confirmed", "deactivated"]
)
def test_bad_ids_are_a_400_naming_each_and_nothing_is_asked(
    bad, two_drafts, clinic_a, clinic_b, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    ids = _bad_ids(clinic_a, clinic_b, two_drafts)
    manager = as_user("alpha_manager", clinic_a)
    before = _state(clinic_a)
    # a good id alongside a bad one: nothing half-done
    with django_capture_on_commit_callbacks(execute=True):
        answer = manager.post("facts/ask-clinic/", {"fact_ids": [ids["good"][0], ids[bad][0]]})
    assert answer.status_code == 400, answer.json()
    assert answer.json()["fields"] == {"fact_ids": [ids[bad][1]]}
    assert _state(clinic_a) == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"fact_ids": []}, "fact_ids", "This list may not be empty."),
        ({}, "fact_ids", "This field is required."),
        ({"fact_ids": ["x"]}, "fact_ids[0]", None),  # an item is named by its position
        ({"fact_ids": [0]}, "fact_ids[0]", None),
        ({"fact_ids": list(range(1, 202))}, "fact_ids", None),
    ],
    ids=["empty", "missing", "not-a-number", "zero", "too-many"],
)
def test_malformed_requests_are_400_on_fact_ids(body, field, message, clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    before = _state(clinic_a)
    answer = manager.post("facts/ask-clinic/", body)
    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]
    assert _state(clinic_a) == before


def test_asking_again_while_it_waits_is_refused(two_drafts, clinic_a, as_user):
    needles, _other = two_drafts
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post("facts/ask-clinic/", {"fact_ids": [needles.pk]}).status_code == 200
    before = _state(clinic_a)
    again = manager.post("facts/ask-clinic/", {"fact_ids": [needles.pk]})
    assert again.status_code == 400
    assert "already waits for the clinic (since" in again.json()["fields"]["fact_ids"][0]
    assert _state(clinic_a) == before


def test_a_clinic_without_an_approver_cannot_be_asked(two_drafts, world, clinic_a, as_user):
    needles, _other = two_drafts
    from clinics.models import ClinicMembership

    ClinicMembership.objects.filter(clinic=clinic_a, role="approver").update(role="viewer")
    manager = as_user("alpha_manager", clinic_a)
    before = _state(clinic_a)
    answer = manager.post("facts/ask-clinic/", {"fact_ids": [needles.pk]})
    assert answer.status_code == 409
    assert answer.json()["code"] == "nobody_to_ask"
    assert _state(clinic_a) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 403),
        ("a_viewer", 403),
        ("b_approver", 404),
        ("beta_owner", 404),
    ],
)
def test_who_may_ask_the_clinic(who, status, two_drafts, clinic_a, as_user):
    needles, _other = two_drafts
    before = _state(clinic_a)
    answer = as_user(who, clinic_a).post("facts/ask-clinic/", {"fact_ids": [needles.pk]})
    assert answer.status_code == status
    if status != 200:
        assert _state(clinic_a) == before


def test_the_fact_sheet_page_asks_for_one_or_all_and_says_who_confirmed(
    two_drafts, world, clinic_a, login
):
    needles, other = two_drafts
    client = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/facts/"
    html = client.get(url).content.decode()
    drafts = 2  # the two filled in; the other defaults still read as suggested
    unfilled = len(DEFAULT_FACTS) - drafts
    assert f"Ask the clinic to confirm all drafts ({drafts})" in html
    assert html.count(">Ask the clinic to confirm</button>") == drafts
    assert f"{unfilled} default facts still read as the suggested wording" in html

    # one fact
    answer = client.post(url, {"action": "ask", "fact_id": needles.pk})
    assert answer.status_code == 302
    html = client.get(url).content.decode()
    assert f"The clinic was asked to confirm “{needles.title}”; 1 person was told." in html
    assert "Waiting for the clinic since" in html and "asked by Alpha Manager" in html
    assert f"Ask the clinic to confirm all drafts ({drafts - 1})" in html

    # all the drafts with a statement (those left): one request, one message to the clinic
    assert client.post(url, {"action": "ask_all"}).status_code == 302
    html = unescape(client.get(url).content.decode())
    assert (
        f"The clinic was asked to confirm “{other.title}”; 1 person was told. {unfilled} "
        "default facts were left out: they still read as the suggested wording; fill in the "
        "clinic's own statement first."
    ) in html
    assert html.count("Waiting for the clinic since") == drafts
    with schema_context(clinic_a.schema_name):
        assert Fact.objects.get(pk=other.pk).clinic_review == "waiting"
        fact_confirm_by_clinic(
            fact_id=needles.pk, access=access_for(world.users["a_approver"], clinic_a)
        )
    html = client.get(url).content.decode()
    assert "Ask the clinic to confirm all drafts" not in html
    assert "Confirmed by A Approver (clinic) on" in html
    detail = client.get(f"{url}{needles.pk}/").content.decode()
    assert "confirmed by A Approver (clinic)" in detail
    assert "sent to the clinic to confirm by Alpha Manager" in detail

    # nothing left to ask: the page says why and changes nothing
    refused = client.post(url, {"action": "ask_all"})
    assert refused.status_code == 400
    assert "Give at least one fact id." in refused.content.decode()


def test_the_writer_cannot_ask_from_the_page(two_drafts, clinic_a, login):
    needles, _other = two_drafts
    before = _state(clinic_a)
    client = login("alpha_writer")
    html = client.get(f"/clinics/{clinic_a.slug}/facts/").content.decode()
    assert "Ask the clinic to confirm" not in html
    answer = client.post(
        f"/clinics/{clinic_a.slug}/facts/", {"action": "ask", "fact_id": needles.pk}
    )
    assert answer.status_code == 403
    assert _state(clinic_a) == before


def test_the_fact_page_asks_for_that_fact(two_drafts, clinic_a, login):
    needles, _other = two_drafts
    client = login("alpha_manager")
    url = f"/clinics/{clinic_a.slug}/facts/{needles.pk}/"
    assert ">Ask the clinic to confirm</button>" in client.get(url).content.decode()
    assert client.post(url, {"action": "ask"}).status_code == 302
    html = client.get(url).content.decode()
    assert "Waiting for the clinic since" in html
    assert ">Ask the clinic to confirm</button>" not in html
    # asking again from a page read before is refused with the reason, nothing changed
    before = _state(clinic_a)
    client.post(url, {"action": "ask"})
    assert "already waits for the clinic (since" in client.get(url).content.decode()
    assert _state(clinic_a) == before
