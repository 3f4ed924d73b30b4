"""Walk 9 #31: the agency's staff pages are for its staff. A clinic person (approver, viewer,
a crisis role) who opens one by URL is sent to the matching portal page, and is refused (403)
when posting; one rule, in `core.views.ClinicView` (`staff_page`, `portal_path`), read from
`ClinicAccess.reaches_staff_pages`. Through the API the clinic's own people and keys read the
agency's replies, statements and batches only once they reach the clinic
(`responses.selectors.visible_to`), and their approval trail likewise."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.credentials import api_key_create
from accounts.services import user_token_issue
from clinics.access import clinic_access
from core.views import ClinicView
from crisis.models import EventKind, Incident, IncidentEvent
from crisis.services.incidents import incident_statement_draft
from responses.models import ReplyDraft, Statement
from responses.services.common import audit_record
from responses.services.replies import reply_draft_create
from responses.services.statements import statement_create
from tests.clinics.test_isolation import ROUTES
from tests.responses.conftest import OK_TEXT, review_in

PAGES = [(route, pattern) for route, pattern in ROUTES if not route.startswith("api/")]
STAFF_PAGES = [(r, p) for r, p in PAGES if p.callback.view_class.staff_page]
PORTAL_PAGES = [(r, p) for r, p in PAGES if not p.callback.view_class.staff_page]
CLINIC_PEOPLE = ["a_approver", "a_viewer", "a_legal"]
AGENCY_PEOPLE = ["alpha_owner", "alpha_manager", "alpha_writer", "alpha_analyst"]

# the pages the tester opened, and where a clinic person lands instead
WALKED = {
    "incidents/1/": "portal/incidents/1/",
    "replies/": "portal/approvals/",
    "inbox/": "portal/",
    "outbox/": "portal/",
    "sources/": "portal/",
    "webhooks/": "portal/",
    "": "portal/",
    "incidents/": "portal/incidents/",
    "incidents/1/review/": "portal/incidents/1/review/",
    "statements/": "portal/statements/",
    "follow-ups/": "portal/follow-ups/",
    "facts/": "portal/facts/",
    "report/": "portal/report/",
}


def test_every_page_outside_the_portal_is_a_staff_page():
    # a new page is safe by default: only the portal's pages (under portal/) say otherwise
    for route, pattern in PAGES:
        view = pattern.callback.view_class
        assert view.staff_page == (not route.startswith("portal/")), route
    assert {r for r, _ in STAFF_PAGES} >= set(WALKED)
    assert ClinicView.staff_page is True


@pytest.mark.parametrize(
    ("route", "pattern"), STAFF_PAGES, ids=[r or "<overview>" for r, _ in STAFF_PAGES]
)
@pytest.mark.parametrize("person", CLINIC_PEOPLE + AGENCY_PEOPLE)
def test_staff_page_matrix(route, pattern, person, clinic_a, login):
    response = login(person).get(f"/clinics/clinic-a/{route}")
    to_portal = response.status_code == 302 and response["Location"].startswith(
        "/clinics/clinic-a/portal/"
    )
    if person in AGENCY_PEOPLE:
        assert not to_portal, (route, person)
        return
    expected = pattern.callback.view_class.portal_path.replace("{incident_id}", "1")
    assert (response.status_code, response["Location"]) == (
        302,
        f"/clinics/clinic-a/{WALKED.get(route, expected)}",
    ), (route, person)


@pytest.mark.parametrize(("route", "pattern"), PORTAL_PAGES, ids=[r for r, _ in PORTAL_PAGES])
@pytest.mark.parametrize("person", ["a_approver", "a_viewer", "alpha_manager"])
def test_portal_pages_stay_open_to_the_clinic_and_the_agency(
    route, pattern, person, login, world, clinic_a
):
    response = login(person).get(f"/clinics/clinic-a/{route}")
    needed = pattern.callback.view_class.permission
    if not clinic_access(Actor(user=world.users[person]), clinic_a).can(needed):
        # a page for some of the clinic's people only (the approvals log): the one access rule
        # refuses the others
        assert response.status_code == 403, (route, person, response.status_code)
        return
    assert response.status_code in (200, 404, 405), (route, person, response.status_code)


@pytest.fixture
def incident(clinic_a):
    with schema_context(clinic_a.schema_name):
        return Incident.objects.create(
            kind="watch_word",
            title="Watch word",
            severity="high",
            opened_at=timezone.now(),
            last_detected_at=timezone.now(),
        )


def test_the_clinic_person_lands_on_the_portals_incident_and_may_not_post_in_the_room(
    incident, login
):
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"
    viewer = login("a_viewer")
    # reading the staff room: the portal's page of the same incident instead
    landed = viewer.get(room, follow=True)
    assert landed.redirect_chain == [(f"/clinics/clinic-a/portal/incidents/{incident.pk}/", 302)]
    assert landed.status_code == 200
    assert "Details: the statistics" not in landed.content.decode()
    # posting there (the approver holds a crisis role): the 403 page, nothing written
    refused = login("a_approver").post(room, {"action": "note", "message": "hello"})
    assert refused.status_code == 403
    with schema_context("clinic_clinic_a"):
        assert not IncidentEvent.objects.filter(incident=incident, kind=EventKind.NOTE).exists()
    # the agency's staff still work there
    assert login("alpha_analyst").get(room).status_code == 200


# --- the API: what the clinic's own people and keys read of the agency's work -----------------

STATUSES = [
    "draft",
    "pending_agency",
    "pending_legal",
    "pending_clinician",
    "pending_client",
    "changes_requested",
    "approved",
    "published",
]


@pytest.fixture
def drafts(clinic_a, world) -> dict[str, int]:
    """One reply draft at each status, written by the agency's writer: status -> id."""
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    made = {}
    for status in STATUSES:
        review = review_in(clinic_a)
        with schema_context(clinic_a.schema_name):
            draft = reply_draft_create(review_id=review.pk, access=writer, text=OK_TEXT)
            ReplyDraft.objects.filter(pk=draft.pk).update(status=status)
            made[status] = draft.pk
    return made


def _token(world, name) -> Client:
    _, issued = user_token_issue(user=world.users[name], name="walk9")
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def _key(world, clinic, creator) -> Client:
    _, issued = api_key_create(
        agency=world.agencies["alpha"],
        clinic=clinic,
        name=f"walk9 {creator}",
        scopes=["read", "approve"],
        created_by=world.users[creator],
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


AT_THE_CLINIC = {"pending_client", "approved", "published"}
SEES = {  # caller -> the statuses of the drafts it lists
    "clinic viewer (token)": AT_THE_CLINIC,
    "clinic approver (session)": AT_THE_CLINIC,
    "clinic legal (session)": AT_THE_CLINIC | {"pending_legal"},
    "clinic key by the clinic approver": AT_THE_CLINIC,
    "clinic key by agency staff": set(STATUSES),
    "agency analyst": set(STATUSES),
    "agency key": set(STATUSES),
}


@pytest.fixture
def callers(world, login, api, clinic_a):
    return {
        "clinic viewer (token)": _token(world, "a_viewer"),
        "clinic approver (session)": login("a_approver"),
        "clinic legal (session)": login("a_legal"),
        "clinic key by the clinic approver": _key(world, clinic_a, "a_approver"),
        "clinic key by agency staff": _key(world, clinic_a, "alpha_manager"),
        "agency analyst": login("alpha_analyst"),
        "agency key": api("key_alpha"),
    }


@pytest.mark.parametrize("caller", sorted(SEES))
def test_drafts_and_their_trail_reach_the_clinic_only_at_its_step(caller, callers, drafts):
    client = callers[caller]
    base = "/clinics/clinic-a/api/v1"
    listed = client.get(f"{base}/drafts/", {"page_size": 100}).json()["results"]
    by_id = {pk: status for status, pk in drafts.items()}
    assert {by_id[d["id"]] for d in listed if d["id"] in by_id} == SEES[caller]
    for status, pk in drafts.items():
        expected = 200 if status in SEES[caller] else 404
        assert client.get(f"{base}/drafts/{pk}/").status_code == expected, (caller, status)
        assert client.get(f"{base}/drafts/{pk}/audit/").status_code == expected, (caller, status)
    trail = client.get(f"{base}/audit/", {"object_type": "reply", "page_size": 1000}).json()
    seen = {e["object_id"] for e in trail["results"]} & set(by_id)
    assert {by_id[pk] for pk in seen} == SEES[caller]


def test_the_clinic_side_reads_no_audit_of_the_agencys_other_work(world, clinic_a, drafts):
    with schema_context(clinic_a.schema_name):
        audit_record(
            object_type="template", object_id=1, action="edited", who=Actor.of_system("t", "T")
        )
    base = "/clinics/clinic-a/api/v1/audit/"
    clinic = _token(world, "a_viewer").get(base, {"page_size": 1000}).json()["results"]
    assert {e["object_type"] for e in clinic} == {"reply"}
    agency = _token(world, "alpha_owner").get(base, {"page_size": 1000}).json()["results"]
    assert "template" in {e["object_type"] for e in agency}


def test_statements_reach_the_clinic_only_at_its_step(world, clinic_a, login):
    manager = clinic_access(Actor(user=world.users["alpha_manager"]), clinic_a)
    with schema_context(clinic_a.schema_name):
        unsent = statement_create(access=manager, title="Unsent", body=OK_TEXT)
        waiting = statement_create(access=manager, title="For the clinic", body=OK_TEXT)
        Statement.objects.filter(pk=waiting.pk).update(status="pending_client")
    client = _token(world, "a_approver")
    base = "/clinics/clinic-a/api/v1/statements/"
    titles = {s["title"] for s in client.get(base).json()["results"]}
    assert titles == {"For the clinic"}
    assert client.get(f"{base}{unsent.pk}/").status_code == 404
    assert client.get(f"{base}{waiting.pk}/").status_code == 200
    agency = {s["title"] for s in login("alpha_analyst").get(base).json()["results"]}
    assert agency == {"Unsent", "For the clinic"}


@pytest.mark.parametrize("caller", sorted(SEES))
def test_an_incidents_statements_reach_the_clinic_only_at_its_step(
    caller, callers, world, clinic_a, incident
):
    # given a statement drafted from the incident at each status (audit 2, F1: the incident's
    # list answered every one of them, drafts and discarded ones included, to the clinic side)
    manager = clinic_access(Actor(user=world.users["alpha_manager"]), clinic_a)
    made = {}
    with schema_context(clinic_a.schema_name):
        for status in [*STATUSES, "discarded"]:
            statement = incident_statement_draft(
                incident_id=incident.pk, access=manager, title=status, body=OK_TEXT
            )
            Statement.objects.filter(pk=statement.pk).update(status=status)
            made[statement.pk] = status
    # when the caller lists the incident's statements
    url = f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/statements/"
    listed = callers[caller].get(url, {"page_size": 100}).json()["results"]
    # then it reads those it reads in `statements/`, no other
    agency_reads = set(STATUSES) | {"discarded"}
    expected = SEES[caller] if SEES[caller] != set(STATUSES) else agency_reads
    assert {made[s["id"]] for s in listed} == expected
    assert {s["title"] for s in listed} == expected


# (legal lifts a block on any unfinished text it is shown, whatever its step: not here)
@pytest.mark.parametrize("action", ["approve", "reject", "take-back"])
@pytest.mark.parametrize("caller", ["clinic legal (session)", "clinic approver (session)"])
def test_the_clinic_side_acting_on_a_text_not_at_the_clinic_yet_is_told_not_found(
    action, caller, callers, world, clinic_a
):
    # given a statement the agency still drafts (audit 2, F2: acting on it answered 409 "It is
    # not waiting for approval (it is “Draft”)", or 403 naming its step, telling the clinic
    # side what `statements/<id>/` hides from it)
    manager = clinic_access(Actor(user=world.users["alpha_manager"]), clinic_a)
    with schema_context(clinic_a.schema_name):
        unsent = statement_create(access=manager, title="Unsent", body=OK_TEXT)
        waiting = statement_create(access=manager, title="At the agency", body=OK_TEXT)
        Statement.objects.filter(pk=waiting.pk).update(status="pending_agency")
    client = callers[caller]
    body = {"reject": {"comment": "No."}}
    for statement in (unsent, waiting):
        # when the clinic side acts on it
        url = f"/clinics/clinic-a/api/v1/statements/{statement.pk}/{action}/"
        response = client.post(url, body.get(action, {}), content_type="application/json")
        # then it is not found, as reading it is, and nothing changed
        assert response.status_code == 404, response.content
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
        with schema_context(clinic_a.schema_name):
            fresh = Statement.objects.get(pk=statement.pk)
            assert (fresh.status, fresh.override_reason) == (
                "draft" if statement == unsent else "pending_agency",
                "",
            )


def test_legal_takes_back_its_approval_from_the_clinician_step_it_does_not_read(
    world, clinic_a, login
):
    # given a reply legal approved on to the clinician's step, which legal does not read
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        draft = reply_draft_create(review_id=review.pk, access=writer, text=OK_TEXT)
        ReplyDraft.objects.filter(pk=draft.pk).update(
            status="pending_legal", route=["legal", "clinician", "client"]
        )
    legal, url = login("a_legal"), f"/clinics/clinic-a/api/v1/drafts/{draft.pk}/"
    approved = legal.post(f"{url}approve/", {}, content_type="application/json")
    assert approved.json()["status"] == "pending_clinician"
    assert legal.get(url).status_code == 404
    # when legal takes its approval back, then it waits for legal again (not "not found")
    taken = legal.post(f"{url}take-back/", {}, content_type="application/json")
    assert taken.status_code == 200, taken.content
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft.pk).status == "pending_legal"
