"""Whom a text waits for, and the writers' reminder: the pages name the people of the current
step (not "someone who can give it") with when they were told; a writer reminds them, in-app
and by e-mail, at most once per half hour for one version, recorded in the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from core.errors import Conflict, PermissionDenied
from responses.models import AuditEntry
from responses.services import replies as reply_services
from responses.services.approvals import approval_remind, waiting_for
from responses.services.workflow import REMIND_EVERY, remind
from tests.portal.helpers import access_for, reply_waiting_for_clinic
from tests.responses.conftest import review_in

TEXT = "Thank you for your feedback. Please contact us at +1 555 0100 so we can help."


@pytest.fixture
def draft(world, clinic_a, django_capture_on_commit_callbacks):
    """A reply at the clinic's step (written by the writer, approved by the manager)."""
    with django_capture_on_commit_callbacks(execute=True):
        return reply_waiting_for_clinic(
            clinic=clinic_a, review=review_in(clinic_a, "csv", text="The wait was long."),
            writer=world.users["alpha_writer"], manager=world.users["alpha_manager"], text=TEXT,
        )  # fmt: skip


def _remind(world, clinic, who: str, draft, **kw):
    with schema_context(clinic.schema_name):
        return approval_remind(kind="reply", pk=draft.pk,
                               access=access_for(world.users[who], clinic), **kw)  # fmt: skip


def test_the_text_names_whom_it_waits_for_and_when_they_were_told(draft, clinic_a, world):
    with schema_context(clinic_a.schema_name):
        waiting = waiting_for("reply", draft)
    assert (waiting.step, waiting.label, waiting.names) == (
        "client", "clinic approval", "A Approver"
    )  # fmt: skip
    assert waiting.barred == [] and waiting.nobody == ""
    assert waiting.told_at is not None and waiting.reminded_at is None
    # a draft waits for nobody
    with schema_context(clinic_a.schema_name):
        fresh = reply_services.reply_draft_create(
            review_id=review_in(clinic_a, "csv").pk,
            access=access_for(world.users["alpha_writer"], clinic_a), text=TEXT,
        )  # fmt: skip
        assert waiting_for("reply", fresh) is None


def test_a_writer_reminds_the_approver_once_per_half_hour(
    draft, clinic_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        waiting = _remind(world, clinic_a, "alpha_writer", draft)
    assert waiting.reminded_by == "Alpha Writer" and waiting.reminded_at is not None
    # the approver is told again: a fresh in-app line and an e-mail, marked as a reminder
    [mail] = mailoutbox
    assert mail.to == ["a_approver@clinics.test"]
    # naming who reminds them, and their agency
    by = "Reminder from Alpha Writer (Alpha Agency): "
    assert mail.subject.startswith(f"[Clinic A] {by}A reply to")
    assert "waits for your clinic approval" in mail.subject
    assert "Alpha Writer of Alpha Agency reminded you." in mail.body
    ref = f"reply:{draft.pk}"
    rows = Notification.objects.filter(ref=ref, user=world.users["a_approver"])
    assert [(r.open, r.title.startswith(by)) for r in rows] == [
        (True, True),
        (False, False),
    ]
    with schema_context(clinic_a.schema_name):
        [entry] = AuditEntry.objects.filter(object_id=draft.pk, action="reminded")
        assert entry.actor_label == f"user:{world.users['alpha_writer'].pk}"
        assert entry.detail == {"step": "client", "people": [world.users["a_approver"].pk]}
    # again at once: a 409 that says who reminded them and when one may again
    with pytest.raises(Conflict) as refused:
        _remind(world, clinic_a, "alpha_manager", draft)
    assert refused.value.code == "reminded_recently"
    assert refused.value.detail.startswith("Alpha Writer reminded A Approver just now;")
    assert "again in 30 minutes" in refused.value.detail
    # half an hour later, it goes
    with schema_context(clinic_a.schema_name):
        later = timezone.now() + REMIND_EVERY + timedelta(seconds=1)
        remind(reply_services.FLOW, pk=draft.pk,
               access=access_for(world.users["alpha_manager"], clinic_a), now=later)  # fmt: skip
        assert AuditEntry.objects.filter(object_id=draft.pk, action="reminded").count() == 2


@pytest.mark.parametrize("who", ["alpha_analyst", "a_approver", "a_viewer"])
def test_only_people_who_write_remind(draft, clinic_a, world, who):
    with pytest.raises(PermissionDenied):
        _remind(world, clinic_a, who, draft)
    with schema_context(clinic_a.schema_name):
        assert not AuditEntry.objects.filter(object_id=draft.pk, action="reminded").exists()


def test_nothing_to_remind_when_it_waits_for_nobody(draft, clinic_a, world):
    with schema_context(clinic_a.schema_name):
        reply_services.reply_approve(draft_id=draft.pk,
                                     access=access_for(world.users["a_approver"], clinic_a))  # fmt: skip
    with pytest.raises(Conflict) as refused:
        _remind(world, clinic_a, "alpha_writer", draft)
    assert refused.value.code == "not_waiting"


def test_a_step_nobody_else_may_give_says_so_and_reminds_nobody(clinic_a, world, as_user, login):
    from clinics.models import ClinicMembership
    from tests.responses.conftest import BLOCK_TEXT

    # the clinic's only approver, also its legal person, lifted the block of this version: the
    # separation of duties leaves nobody to give its clinic approval
    ClinicMembership.objects.filter(user=world.users["a_approver"], clinic=clinic_a).update(
        crisis_roles=["comms", "legal"]
    )
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review_in(clinic_a).pk, "text": BLOCK_TEXT})
    pk = draft.json()["id"]
    assert writer.post(f"drafts/{pk}/submit/").status_code == 200  # legal is asked
    reason = "The reviewer published these details; counsel agreed."
    assert (
        as_user("a_approver", clinic_a)
        .post(f"drafts/{pk}/override/", {"reason": reason})
        .status_code
        == 200
    )
    assert writer.post(f"drafts/{pk}/submit/").status_code == 200
    assert as_user("alpha_manager", clinic_a).post(f"drafts/{pk}/approve/").status_code == 200
    with schema_context(clinic_a.schema_name):
        waiting = waiting_for("reply", reply_services.FLOW.model.objects.get(pk=pk))
    assert waiting.step == "client"
    assert waiting.people == [] and waiting.barred_names == "A Approver"
    assert waiting.nobody.startswith(
        "Nobody else can give the clinic approval: A Approver wrote or already approved"
    )
    with pytest.raises(Conflict) as refused, schema_context(clinic_a.schema_name):
        approval_remind(kind="reply", pk=pk,
                        access=access_for(world.users["alpha_writer"], clinic_a))  # fmt: skip
    assert refused.value.code == "nobody_to_remind"
    # the portal's card says it too, instead of "waiting for someone"
    portal = login("a_viewer", otp=False).get("/clinics/clinic-a/portal/approvals/")
    assert (
        "nobody else can give the clinic approval of this version (A Approver already acted on "
        "it); the agency is told and adds a person for it."
    ) in portal.content.decode()


def test_the_pages_name_the_people_and_offer_the_reminder_to_writers(draft, clinic_a, login):
    queue = "/clinics/clinic-a/replies/"
    writer = login("alpha_writer")
    html = writer.get(queue).content.decode()
    assert "Waiting for the clinic approval from A Approver, told " in html
    assert ">Remind them</button>" in html
    editor = writer.get(f"/clinics/clinic-a/replies/review/{draft.review_id}/").content.decode()
    assert "Waiting for the clinic approval from A Approver" in editor
    # the form reminds and says so
    answer = writer.post("/clinics/clinic-a/replies/act/", {
        "kind": "reply", "id": draft.pk, "action": "remind", "next": queue}, follow=True)  # fmt: skip
    page = answer.content.decode()
    assert "Reminded A Approver: the clinic approval waits." in page
    assert "Alpha Writer reminded them" in page
    assert "disabled" in page.split(">Remind them</button>")[0].rsplit("<button", 1)[1]
    # a second one at once: the refusal on the page, nothing recorded
    again = writer.post("/clinics/clinic-a/replies/act/", {
        "kind": "reply", "id": draft.pk, "action": "remind", "next": queue}, follow=True)  # fmt: skip
    assert "you can remind them again in 30 minutes" in again.content.decode()
    # an analyst reads whom it waits for, without the button
    html = login("alpha_analyst").get(queue).content.decode()
    assert "Waiting for the clinic approval from A Approver" in html
    assert "Remind them" not in html
    # the portal names the approver too
    portal = login("a_viewer", otp=False).get("/clinics/clinic-a/portal/approvals/")
    assert "waiting for the clinic approval from A Approver." in portal.content.decode()


def test_an_approver_who_has_not_chosen_a_password_is_marked_and_told_how_to_get_in(
    draft, clinic_a, world, mailoutbox, django_capture_on_commit_callbacks, login
):
    """An approver added by invitation who never chose a password: the pages say so (with where
    to send the invitation again), and the reminder e-mail says how to get in; a person who has
    one is not told that."""
    from accounts.models import User

    approver = User.objects.get(pk=world.users["a_approver"].pk)  # not the shared copy
    approver.set_unusable_password()
    approver.save(update_fields=["password"])
    with schema_context(clinic_a.schema_name):
        waiting = waiting_for("reply", draft)
    assert waiting.not_signed_in == "A Approver"
    page = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/")
    html = page.content.decode()
    assert 'data-testid="waiting-invited"' in html
    assert "Not signed in yet: A Approver" in html
    assert f'href="/clinics/{clinic_a.slug}/settings/people/">the people page</a>' in html
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _remind(world, clinic_a, "alpha_writer", draft)
    [mail] = mailoutbox
    assert "You have not chosen your password yet" in mail.body
    assert "ask the person who added you to send the invitation again" in mail.body
    # with a password: no such line, and no mark on the page
    approver.set_password("a long and fine password 42")
    approver.save(update_fields=["password"])
    with schema_context(clinic_a.schema_name):
        assert waiting_for("reply", draft).not_signed_in == ""
    assert (
        "waiting-invited"
        not in login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/").content.decode()
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        later = timezone.now() + REMIND_EVERY + timedelta(seconds=1)
        with schema_context(clinic_a.schema_name):
            remind(reply_services.FLOW, pk=draft.pk,
                   access=access_for(world.users["alpha_manager"], clinic_a), now=later)  # fmt: skip
    [mail] = mailoutbox
    assert "password" not in mail.body
