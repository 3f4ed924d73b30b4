"""Everyone who must act is told: the people of the step a reply or statement now waits for,
and legal when the privacy check blocks a text; e-mail now or in the hourly digest, in-app
until it is done. The digest is on beat."""

from __future__ import annotations

from django.conf import settings

from clinics.models import Notification
from clinics.notifications import notification_digests_send, preference_set
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in


def _open(ref_prefix: str) -> dict[str, str]:
    rows = Notification.objects.filter(ref__startswith=ref_prefix, open=True)
    return {n.user.email: n.kind for n in rows.select_related("user")}


def test_each_step_tells_its_people_and_closes_the_previous_one(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.post(f"drafts/{draft['id']}/submit/")
    ref = f"reply:{draft['id']}"
    # the agency's approvers (owner and manager) are told, not the writer who wrote it
    told = _open(ref)
    assert set(told) == {"owner@alpha.test", "manager@alpha.test"}
    assert set(told.values()) == {"approval"}
    assert {m.to[0] for m in mailoutbox} == set(told)
    assert all(f"/clinics/{clinic_a.slug}/replies/" in m.body for m in mailoutbox)
    mailoutbox.clear()
    # the agency approves: now the clinic's approver, and the agency's messages are done
    with django_capture_on_commit_callbacks(execute=True):
        as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")
    assert _open(ref) == {"a_approver@clinics.test": "approval"}
    [mail] = mailoutbox
    assert mail.to == ["a_approver@clinics.test"]
    assert f"/clinics/{clinic_a.slug}/portal/approvals/" in mail.body
    # approved: nothing is left open
    as_user("a_approver", clinic_a).post(f"drafts/{draft['id']}/approve/")
    assert _open(ref) == {}


def test_a_guard_block_tells_legal_until_legal_overrides(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
    assert _open(f"reply:{draft['id']}") == {"a_legal@clinics.test": "legal"}
    [mail] = mailoutbox
    assert "legal review needed" in mail.subject
    assert f"/clinics/{clinic_a.slug}/portal/review/" in mail.body
    reason = "The reviewer published their own chart details; approved by counsel."
    as_user("a_legal", clinic_a).post(f"drafts/{draft['id']}/override/", {"reason": reason})
    assert _open(f"reply:{draft['id']}") == {}


def test_the_hourly_digest_collects_and_is_scheduled_on_beat(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    preference_set(user=world.users["alpha_manager"], email=True, in_app=True, digest="hourly")
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.post(f"drafts/{draft['id']}/submit/")
    # the owner is mailed now; the manager waits for the digest
    assert [m.to[0] for m in mailoutbox] == ["owner@alpha.test"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mailoutbox
    assert digest.to == ["manager@alpha.test"] and "waits for your" in digest.body
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 0  # sent once
    entry = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]
    assert entry == {"task": "clinics.tasks.notification_digests_send", "schedule": 3600.0}
    from clinics.tasks import notification_digests_send_task

    assert notification_digests_send_task.name == entry["task"]
