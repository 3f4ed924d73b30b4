"""A person takes back their own approval while the next step has not acted on it (legal,
the clinic's approver, an agency approver): the text waits at their step again, the take-back
is in its trail and its way, the next step's people lose their notice (saying who took it
back), the step's people are told it waits again, the writer is told; never after the next
step acted or once approved (publishing), never someone else's; separation of duties reads
the version as if that approval was never given."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.models import AuditEntry, ReplyDraft
from responses.services.workflow import principals_who_acted
from tests.portal.helpers import statement_waiting_for_clinic
from tests.responses.conftest import OK_TEXT, TONE_TEXT, review_in


def _at_legal(clinic, as_user, text=TONE_TEXT) -> int:
    """A reply the writer submitted and the manager approved for the agency."""
    writer = as_user("alpha_writer", clinic)
    pk = writer.post("drafts/", {"review_id": review_in(clinic).pk, "text": text}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    approved = as_user("alpha_manager", clinic).post(f"drafts/{pk}/approve/").json()
    return pk, approved["status"]


def _state(clinic, pk) -> tuple:
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.get(pk=pk)
        actions = list(
            AuditEntry.objects.filter(object_type="reply", object_id=pk).values_list(
                "action", flat=True
            )
        )
        return draft.status, actions


def test_legal_takes_back_its_approval_before_the_clinic_acts(
    clinic_a, as_user, world, django_capture_on_commit_callbacks
):
    pk, status = _at_legal(clinic_a, as_user)
    assert status == "pending_legal"
    legal = as_user("a_legal", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert legal.post(f"drafts/{pk}/approve/").json()["status"] == "pending_client"
    approver = world.users["a_approver"]
    assert Notification.objects.get(ref=f"reply:{pk}", user=approver).open

    with django_capture_on_commit_callbacks(execute=True):
        taken = legal.post(f"drafts/{pk}/take-back/", {"comment": "I misread the second line."})

    # it waits for legal again
    assert taken.status_code == 200, taken.json()
    assert taken.json()["status"] == "pending_legal"
    assert taken.json()["waiting"]["step"] == "legal"
    with schema_context(clinic_a.schema_name):
        entry = AuditEntry.objects.filter(object_id=pk, object_type="reply").last()
    assert (entry.action, entry.actor_name, entry.from_status, entry.to_status, entry.comment,
            entry.detail["step"]) == (
        "approval_taken_back", "A Legal", "pending_client", "pending_legal",
        "I misread the second line.", "legal",
    )  # fmt: skip
    # the clinic's approver: nothing waits for them any more, and their history says why
    [notice] = Notification.objects.filter(ref=f"reply:{pk}", user=approver)
    assert not notice.open
    assert notice.title.endswith(
        "no longer waits for your clinic approval: A Legal took back their legal review"
    )
    # legal is told it waits for them again; the writer is told, for their information
    assert Notification.objects.filter(
        ref=f"reply:{pk}", user=world.users["a_legal"], open=True
    ).exists()
    [told] = Notification.objects.filter(
        ref=f"reply:{pk}:taken_back", user=world.users["alpha_writer"]
    )
    assert told.title.startswith("A Legal took back their legal review of your reply")
    assert not told.open
    # the portal card's way says it (legal's approval is not listed as given)
    page = as_user("a_legal", clinic_a).client.get(f"/clinics/{clinic_a.slug}/portal/review/")
    html = page.content.decode()
    assert "Legal approval given, then taken back" in html
    assert "I misread the second line." in html


def test_an_approval_taken_back_no_longer_counts_as_a_step_given(clinic_a, as_user, world):
    # the agency approval is given, then taken back by the manager who gave it
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post(f"drafts/{pk}/approve/").json()["status"] == "pending_client"

    assert manager.post(f"drafts/{pk}/take-back/").json()["status"] == "pending_agency"

    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(pk=pk)
        assert principals_who_acted(object_type="reply", obj=draft) == set()
    # the same manager may give the step again (their approval was not given twice)
    assert manager.post(f"drafts/{pk}/approve/").json()["status"] == "pending_client"
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(pk=pk)
        assert principals_who_acted(object_type="reply", obj=draft) == {
            f"user:{world.users['alpha_manager'].pk}"
        }


def test_after_the_next_step_acted_nothing_can_be_taken_back(clinic_a, as_user):
    pk, _ = _at_legal(clinic_a, as_user)
    as_user("a_legal", clinic_a).post(f"drafts/{pk}/approve/")
    # the clinic approves: it is approved, on its way to publishing
    assert as_user("a_approver", clinic_a).post(f"drafts/{pk}/approve/").json()["status"] == (
        "approved"
    )
    before = _state(clinic_a, pk)

    for who in ("a_legal", "a_approver", "alpha_manager"):
        refused = as_user(who, clinic_a).post(f"drafts/{pk}/take-back/")
        assert (refused.status_code, refused.json()["code"]) == (409, "not_taken_back"), who

    assert _state(clinic_a, pk) == before


def test_the_agency_cannot_take_back_once_legal_acted(clinic_a, as_user):
    pk, _ = _at_legal(clinic_a, as_user)
    as_user("a_legal", clinic_a).post(f"drafts/{pk}/approve/")
    before = _state(clinic_a, pk)

    refused = as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/take-back/")

    assert (refused.status_code, refused.json()["code"]) == (409, "not_taken_back")
    assert "the next step has not acted" in refused.json()["detail"]
    assert _state(clinic_a, pk) == before


# the clinic's approver does not see a reply that has not reached the clinic: 404, as reading it;
# a writer gives no step at all: 403, as a permission is refused
@pytest.mark.parametrize(
    ("who", "code"), [("alpha_owner", 409), ("a_approver", 404), ("alpha_writer", 403)]
)
def test_nobody_takes_back_another_persons_approval(clinic_a, as_user, who, code):
    pk, _ = _at_legal(clinic_a, as_user)
    before = _state(clinic_a, pk)

    refused = as_user(who, clinic_a).post(f"drafts/{pk}/take-back/")

    assert refused.status_code == code
    assert _state(clinic_a, pk) == before


def test_legal_takes_back_from_the_portal_card_it_just_approved(clinic_a, as_user, login):
    # (the clinic's approval is the route's last step here: taking it back is refused above)
    pk, _ = _at_legal(clinic_a, as_user)
    legal = login("a_legal")
    url = f"/clinics/{clinic_a.slug}/portal/act/"
    common = {"kind": "reply", "id": pk, "expected_version": 1}
    done = legal.post(
        url, {**common, "action": "approve", "expected_status": "pending_legal"},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip
    assert 'data-testid="take-back"' in done and "Take back my approval" in done

    card = legal.post(
        url, {**common, "action": "take_back", "expected_status": "pending_client"},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip

    assert 'data-testid="taken-back"' in card
    assert "You took back your approval" in card
    assert _state(clinic_a, pk)[0] == "pending_legal"


def test_the_clinic_takes_back_its_approval_of_a_statement_not_published_yet(
    clinic_a, as_user, world, django_capture_on_commit_callbacks
):
    # given a statement the clinic approved: it waits for the agency to publish it
    with django_capture_on_commit_callbacks(execute=True):
        statement = statement_waiting_for_clinic(
            clinic=clinic_a, writer=world.users["alpha_writer"],
            manager=world.users["alpha_manager"], title="Our phones", body="They work again.",
        )  # fmt: skip
    approver = as_user("a_approver", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert approver.post(f"statements/{statement.pk}/approve/").json()["status"] == "approved"
    publish = Notification.objects.filter(ref=f"statement:{statement.pk}:publish", open=True)
    assert publish.exists()

    # when the clinic's approver takes it back
    with django_capture_on_commit_callbacks(execute=True):
        taken = approver.post(f"statements/{statement.pk}/take-back/")

    # then it waits for the clinic's approval again, and nobody is asked to publish it
    assert taken.status_code == 200, taken.json()
    assert taken.json()["status"] == "pending_client"
    assert not publish.exists()
    assert Notification.objects.filter(
        ref=f"statement:{statement.pk}:publish", title__contains="took back the last approval"
    ).exists()
    refused = as_user("alpha_manager", clinic_a).post(f"statements/{statement.pk}/publish/")
    assert refused.status_code == 409


def test_a_published_statement_cannot_be_taken_back(clinic_a, as_user, world):
    statement = statement_waiting_for_clinic(
        clinic=clinic_a, writer=world.users["alpha_writer"],
        manager=world.users["alpha_manager"], title="Our phones", body="They work again.",
    )  # fmt: skip
    approver = as_user("a_approver", clinic_a)
    approver.post(f"statements/{statement.pk}/approve/")
    published = as_user("alpha_manager", clinic_a).post(f"statements/{statement.pk}/publish/")
    assert published.status_code == 200, published.json()

    refused = approver.post(f"statements/{statement.pk}/take-back/")

    assert (refused.status_code, refused.json()["code"]) == (409, "not_taken_back")


def test_an_agency_approver_takes_back_from_the_replys_page(clinic_a, as_user, login):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    manager = login("alpha_manager")
    page = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    # before approving, nothing to take back
    assert 'data-testid="take-back"' not in manager.get(page).content.decode()
    as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/")
    html = manager.get(page).content.decode()
    assert 'data-testid="take-back"' in html and "Take back my approval" in html
    # the writer, who did not approve it, is not offered it
    assert 'data-testid="take-back"' not in login("alpha_writer").get(page).content.decode()

    done = manager.post(
        f"/clinics/{clinic_a.slug}/replies/act/",
        {"kind": "reply", "id": pk, "action": "take_back", "next": page,
         "expected_status": "pending_client", "expected_version": 1},
        follow=True,
    )  # fmt: skip

    html = done.content.decode()
    assert "Your approval was taken back: it waits for the agency approval again." in html
    assert 'data-testid="take-back"' not in html
    assert _state(clinic_a, pk)[0] == "pending_agency"


@pytest.mark.parametrize("who", ["a_viewer", "alpha_writer", "alpha_analyst"])
def test_someone_who_gives_no_step_is_refused_as_a_permission(who, clinic_a, as_user, world):
    # given a reply the agency approved, waiting for the clinic
    writer = as_user("alpha_writer", clinic_a)
    pk = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": OK_TEXT}).json()["id"]
    writer.post(f"drafts/{pk}/submit/")
    assert as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/").json()["status"] == (
        "pending_client"
    )
    before = _state(clinic_a, pk)

    # when a viewer, a writer or an analyst (who can never approve) asks to take it back
    refused = as_user(who, clinic_a).post(f"drafts/{pk}/take-back/")

    # then it is a permission refusal, as every other (not "only your own approval"), and
    # nothing changed
    assert (refused.status_code, refused.json()) == (403, {
        "detail": "Your role in this clinic gives no approval step, so it has no approval to "
        "take back.",
        "code": "permission_denied",
    })  # fmt: skip
    assert _state(clinic_a, pk) == before
