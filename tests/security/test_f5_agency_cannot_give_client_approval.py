"""Finding 5 (and the matrix for 4): the agency could give the client's approval itself, with a
clinic key that a manager created (the `approve` scope carried `approve_client`). Separation
of duties is one rule (`responses.services.workflow.approval_refusal`); here every approval
step × every kind of actor, persons, personal tokens and keys, through the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.credentials import api_key_create
from accounts.services import user_token_issue
from clinics.access import clinic_access
from clinics.services import clinic_member_add
from responses.models import ReplyDraft
from responses.services.replies import reply_draft_create
from tests.responses.conftest import OK_TEXT, review_in

STEPS = ("agency", "legal", "clinician", "client")
PENDING = {s: f"pending_{s}" for s in STEPS}
# actor kind -> the steps it may give (every other step: 403, nothing changed)
MATRIX = {
    "agency owner": {"agency"},
    "agency manager": {"agency"},
    "agency writer": set(),
    "agency analyst": set(),
    "clinic approver": {"client"},
    "clinic viewer": set(),
    "legal": {"legal"},
    "clinician": {"clinician"},
    "agency key (approve)": {"agency"},
    "clinic key (approve) by agency staff": set(),
    "clinic key (approve) by a clinic approver": {"client"},
    "personal token of the clinic approver": {"client"},
    "personal token of the agency owner": {"agency"},
}
# actor kind -> the steps whose texts it may not read (`responses.selectors.visible_to`): the
# clinic side reads a text once it reached the clinic (the client step; the legal and clinician
# steps for those who give them). Refused there it is told "not found" (404), as when it reads
# the text, never the text's status (audit 2, F2); refused where it reads the text: 403.
_NOT_AT_THE_CLINIC_YET = {"agency", "legal", "clinician"}
HIDDEN = {
    **dict.fromkeys(
        (
            "clinic approver",
            "clinic viewer",
            "clinic key (approve) by a clinic approver",
            "personal token of the clinic approver",
        ),
        _NOT_AT_THE_CLINIC_YET,
    ),
    "legal": _NOT_AT_THE_CLINIC_YET - {"legal"},
    "clinician": _NOT_AT_THE_CLINIC_YET - {"clinician"},
}


def refused_status(kind: str, step: str) -> int:
    """How a step `kind` may not give is refused: 404 where it may not read the text."""
    return 404 if step in HIDDEN.get(kind, ()) else 403


@pytest.fixture
def actors(world, login, clinic_a):
    clinician = clinic_member_add(
        clinic=clinic_a,
        email="f5_clinician@clinics.test",
        full_name="F5 Clinician",
        role="viewer",
        crisis_roles=["clinician"],
    ).user
    alpha = world.agencies["alpha"]

    def key(name, clinic, creator):
        _, issued = api_key_create(
            agency=alpha, clinic=clinic, name=name, scopes=["read", "approve"], created_by=creator
        )
        return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    def token(user):
        _, issued = user_token_issue(user=user, name="f5")
        return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    def person(user):
        client = Client()
        client.force_login(user)
        return client

    return {
        "agency owner": login("alpha_owner"),
        "agency manager": login("alpha_manager"),
        "agency writer": login("alpha_writer"),
        "agency analyst": login("alpha_analyst"),
        "clinic approver": login("a_approver"),
        "clinic viewer": login("a_viewer"),
        "legal": login("a_legal"),
        "clinician": person(clinician),
        "agency key (approve)": key("f5 agency", None, world.users["alpha_manager"]),
        "clinic key (approve) by agency staff": key(
            "f5 clinic/staff", clinic_a, world.users["alpha_manager"]
        ),
        "clinic key (approve) by a clinic approver": key(
            "f5 clinic/client", clinic_a, world.users["a_approver"]
        ),
        "personal token of the clinic approver": token(world.users["a_approver"]),
        "personal token of the agency owner": token(world.users["alpha_owner"]),
    }


def _draft_at(clinic, world, step: str) -> ReplyDraft:
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic)
    review = review_in(clinic)
    with schema_context(clinic.schema_name):
        draft = reply_draft_create(review_id=review.pk, access=writer, text=OK_TEXT)
        ReplyDraft.objects.filter(pk=draft.pk).update(status=PENDING[step], route=list(STEPS))
        return ReplyDraft.objects.get(pk=draft.pk)


def test_every_step_by_every_kind_of_actor(actors, world, clinic_a):
    outcomes = {}
    # a refusal changes nothing (asserted below), so the draft waiting at a step serves every
    # actor refused there; the one who gives the step uses it up, and the next gets a new one
    waiting: dict[str, ReplyDraft] = {}
    for kind, client in actors.items():
        for step in STEPS:
            if step not in waiting:
                waiting[step] = _draft_at(clinic_a, world, step)
            draft = waiting.pop(step) if step in MATRIX[kind] else waiting[step]
            response = client.post(
                f"/clinics/clinic-a/api/v1/drafts/{draft.pk}/approve/",
                {},
                content_type="application/json",
            )
            with schema_context(clinic_a.schema_name):
                status_now = ReplyDraft.objects.get(pk=draft.pk).status
            outcomes[(kind, step)] = response.status_code
            if step in MATRIX[kind]:
                assert response.status_code == 200, (kind, step, response.json())
                assert status_now != PENDING[step]
            else:
                expected = refused_status(kind, step)
                assert response.status_code == expected, (kind, step, response.status_code)
                assert status_now == PENDING[step], (kind, step)  # nothing changed
    assert len(outcomes) == len(MATRIX) * len(STEPS) == 52


def test_the_portal_offers_the_client_step_only_to_the_clinic(actors, world, clinic_a):
    from responses.selectors import can_act_now

    draft = _draft_at(clinic_a, world, "client")
    with schema_context(clinic_a.schema_name):
        owner = clinic_access(Actor(user=world.users["alpha_owner"]), clinic_a)
        approver = clinic_access(Actor(user=world.users["a_approver"]), clinic_a)
        assert (can_act_now(owner, draft), can_act_now(approver, draft)) == (False, True)


# The clinic attests its own facts by the same rule: in the portal, only the clinic's own
# approver confirms a fact the agency asked it to confirm. Keys and tokens are no credential
# on a page (the login page); everyone else who reaches the clinic is refused (403).
FACT_MATRIX = dict.fromkeys(MATRIX, 403) | {
    "clinic approver": 302,
    "agency key (approve)": 302,
    "clinic key (approve) by agency staff": 302,
    "clinic key (approve) by a clinic approver": 302,
    "personal token of the clinic approver": 302,
    "personal token of the agency owner": 302,
}


def test_only_the_clinic_confirms_its_facts_in_the_portal(actors, world, clinic_a):
    from facts.models import Fact
    from facts.services import facts_ask_clinic

    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(status="draft").update(statement="A statement in the clinic's words.")
        ids = list(Fact.objects.filter(status="draft").values_list("pk", flat=True))
        facts_ask_clinic(
            fact_ids=ids, access=clinic_access(Actor(user=world.users["alpha_manager"]), clinic_a)
        )
    fact_id = ids[0]
    confirmed_by = None
    for kind, client in sorted(actors.items(), key=lambda kv: kv[0] == "clinic approver"):
        response = client.post(
            "/clinics/clinic-a/portal/facts/", {"fact": fact_id, "action": "confirm"}
        )
        with schema_context(clinic_a.schema_name):
            fact = Fact.objects.get(pk=fact_id)
        assert response.status_code == FACT_MATRIX[kind], (kind, response.status_code)
        if kind == "clinic approver":
            assert response["Location"] == "/clinics/clinic-a/portal/facts/"
            confirmed_by = (fact.status, fact.confirmed_as, fact.confirmed_by)
        else:
            assert fact.status == "draft", kind  # nothing changed
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), kind
    assert confirmed_by == ("confirmed", "clinic", "A Approver")
