"""A reply to post by hand waits for one person named to post it (`outbox.by_hand_owners`): its
writer, else who approved it for the agency. When that person leaves or is switched off after
being told, the reply must not wait for nobody: the outbox sweeper finds the channel whose
line no active person holds, and the reply's notice goes to whom it waits for now, down to the
agency's managers when neither its writer nor its approver can post it (not every writer)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import user_deactivate
from agency.services import agency_member_add
from clinics.models import Notification
from responses.models import OutboxItem, OutboxStatus
from responses.services.delivery import outbox_by_hand_notify
from responses.services.outbox import by_hand_ref, outbox_by_hand_untold
from tests.responses.conftest import review_in
from tests.responses.test_by_hand import _run_notices


def _open_lines(source_id: int) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(ref__startswith=by_hand_ref(source_id), open=True)
        .filter(user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", "ref")
    )


def _switch_off(user) -> None:
    user_deactivate(user=User.objects.get(pk=user.pk))  # not the session's shared instance


def _sweep(clinic, mailoutbox, capture) -> list:
    """The outbox sweeper's round for replies to post by hand, run as the worker runs it; the
    "… by hand" e-mails it sent."""
    mailoutbox.clear()
    with capture(execute=True), schema_context(clinic.schema_name):
        for item_id in outbox_by_hand_untold():
            outbox_by_hand_notify(item_id=item_id)
    return [m for m in mailoutbox if "by hand" in m.subject]


def _to(mails) -> list[list[str]]:
    return [m.to for m in mails]


def test_a_reply_to_post_by_hand_falls_to_its_approver_then_to_the_agency_managers(
    clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    users = world.users
    capture = django_capture_on_commit_callbacks
    # given a reply Alpha Writer wrote and Alpha Owner approved for the agency, waiting to be
    # posted by hand and named to its writer; another writer of the agency posts by hand too
    review = review_in(clinic_a, "csv")
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you for telling us."})
    writer.post(f"drafts/{draft.json()['id']}/submit/")
    as_user("alpha_owner", clinic_a).post(f"drafts/{draft.json()['id']}/approve/")
    with capture(execute=True):
        as_user("a_approver", clinic_a).post(f"drafts/{draft.json()['id']}/approve/")
    _run_notices(clinic_a, queued, capture)
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(draft_id=draft.json()["id"])
    assert item.status == OutboxStatus.MANUAL
    source = item.source_id
    assert _open_lines(source) == [
        (users["alpha_writer"].email, by_hand_ref(source, users["alpha_writer"].pk))
    ]
    other = agency_member_add(
        agency=world.agencies["alpha"], email="writer2@alpha.test", full_name="Second Writer",
        role="writer", password="x-Unused-1234",
    ).user  # fmt: skip
    assert _to(_sweep(clinic_a, mailoutbox, capture)) == []  # someone holds it: nothing to do

    # when its writer is switched off
    _switch_off(users["alpha_writer"])

    # then the sweeper names and tells who approved it for the agency
    assert _to(_sweep(clinic_a, mailoutbox, capture)) == [[users["alpha_owner"].email]]
    assert _open_lines(source) == [
        (users["alpha_owner"].email, by_hand_ref(source, users["alpha_owner"].pk))
    ]

    # when she is switched off too
    _switch_off(users["alpha_owner"])

    # then it waits for the agency's managers (not for every writer), told why
    [mail] = _sweep(clinic_a, mailoutbox, capture)
    assert mail.to == [users["alpha_manager"].email]
    assert "so it waits for the agency's managers" in mail.body
    assert _open_lines(source) == [(users["alpha_manager"].email, by_hand_ref(source))]
    assert not Notification.objects.filter(user=other, ref__startswith=by_hand_ref(source))
    # and once told, the next rounds tell nobody again
    assert _to(_sweep(clinic_a, mailoutbox, capture)) == []
