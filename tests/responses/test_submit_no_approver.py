"""A writer submits a reply for the clinic's approval while the clinic has no approver: it is
not refused (it waits), the page says so, the agency's owners and managers are told once
(in-app and by e-mail), and once the clinic has an approver again everyone told hears it."""

from __future__ import annotations

from html import unescape

from django_tenants.utils import schema_context

from clinics.models import ClinicMembership, Notification
from clinics.services import clinic_member_save
from responses.models import ReplyDraft
from tests.responses.conftest import OK_TEXT, review_in

MANAGERS = {"owner@alpha.test", "manager@alpha.test"}


def _rows(clinic, kind, **kw):
    return Notification.objects.filter(clinic=clinic, kind=kind, **kw).select_related("user")


def test_a_reply_submitted_to_a_clinic_without_approver_waits_and_nobody_is_left_unaware(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # given: Clinic A has no approver (its only one is gone)
    capture = django_capture_on_commit_callbacks
    ClinicMembership.objects.filter(clinic=clinic_a, role="approver").delete()
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    page = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"

    # when: the writer submits a reply on its page
    with capture(execute=True):
        answer = writer.client.post(page, {"action": "submit", "text": OK_TEXT}, follow=True)

    # then: it is submitted (waits for the agency first), and the page says the clinic has
    # no approver, that it will wait there, and who was told
    html = unescape(answer.content.decode())
    assert "Saved and submitted" in html
    assert (
        "Clinic A has no approver now. Once the steps before approve it, it waits at the "
        "clinic's approval step until the clinic has one: the agency's owners and managers "
        "were told, and you are told when it can approve again."
    ) in html
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(review=review)
    assert draft.status == "pending_agency"
    ref = f"clinic:{clinic_a.pk}:no_approver"
    told = {n.user.email for n in _rows(clinic_a, "no_approver", open=True, ref=ref)}
    assert told == MANAGERS
    subject = "[Clinic A] Clinic A has no approver: nothing can get the clinic's approval"
    assert sorted(m.to[0] for m in mailoutbox if m.subject == subject) == sorted(MANAGERS)
    body = next(m for m in mailoutbox if m.subject == subject).body
    assert f"/clinics/{clinic_a.slug}/settings/people/" in body
    # the writer's history keeps it, with no e-mail of it (the page said it)
    mine = _rows(clinic_a, "no_approver", user__email="writer@alpha.test").get()
    assert not mine.open and mine.title.startswith("A reply to a 2★ Google")
    assert mine.title.endswith("waits for Clinic A's approval, and the clinic has no approver now")
    assert not any(m.subject == subject and m.to == ["writer@alpha.test"] for m in mailoutbox)

    # when: the agency approves and it reaches the clinic's step
    mailoutbox.clear()
    with capture(execute=True):
        as_user("alpha_manager", clinic_a).post(f"drafts/{draft.pk}/approve/")
    # then: the managers find a line of that reply; the clinic's notice is not sent again
    stuck = _rows(clinic_a, "stuck", open=True, ref=f"reply:{draft.pk}:stuck")
    assert {n.user.email for n in stuck} == MANAGERS
    assert "waits for the clinic approval, but Clinic A has no approver" in stuck[0].title
    assert [m for m in mailoutbox if m.subject == subject] == []

    # when: an approver is added
    mailoutbox.clear()
    with capture(execute=True):
        rae = clinic_member_save(
            clinic=clinic_a, by="Alpha Owner", email="rae@clinics.test",
            full_name="Rae Replacement", role="approver",
        ).membership.user  # fmt: skip
    # then: she finds the reply waiting, the managers' lines close, and the writer and the
    # managers are told the clinic can approve again
    assert Notification.objects.filter(user=rae, ref=f"reply:{draft.pk}", open=True).exists()
    assert not Notification.objects.filter(clinic=clinic_a, ref=ref, open=True).exists()
    assert not stuck.filter(open=True).exists()
    again = "[Clinic A] Clinic A can approve again: Rae Replacement is its approver now"
    assert sorted(m.to[0] for m in mailoutbox if m.subject == again) == sorted(
        MANAGERS | {"writer@alpha.test"}
    )
    back = _rows(clinic_a, "approver_again")
    assert {n.user.email for n in back} == MANAGERS | {"writer@alpha.test"}
    assert all(not n.open for n in back)


def test_a_clinic_with_an_approver_tells_nobody_it_has_none(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    page = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        answer = writer.client.post(page, {"action": "submit", "text": OK_TEXT}, follow=True)
    assert "has no approver" not in unescape(answer.content.decode())
    assert not Notification.objects.filter(clinic=clinic_a, kind="no_approver").exists()
    assert not any("no approver" in m.subject for m in mailoutbox)
