"""Everyone who must act is told: the people of the step a reply or statement now waits for,
and legal when the privacy check blocks a text; e-mail now or in the hourly digest, in-app
until it is done. The digest is on beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.brand_links import unbranded
from clinics.models import ClinicMembership, Notification
from clinics.notifications import (
    email_bursts_send_due,
    notification_digests_send,
    preference_set,
)
from feeds.models import Review, Source
from feeds.services.ingest import ItemIn, reviews_upsert
from feeds.services.privacy import reviews_redact
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in


def _due(clinic, review) -> str:
    """What a "waits for you" title ends with: the reply target's deadline (Clinic A is in UTC)."""
    due = review.published_at + timedelta(minutes=clinic.reply_target_minutes)
    return f" — reply due {due:%a %-d %b %Y, %H:%M} UTC"


def _bursts_end(capture) -> None:
    """What was held for the e-mail of a burst (`clinics.bursts`) goes, as when it ends."""
    with capture(execute=True):
        email_bursts_send_due(now=timezone.now() + settings.NOTICE_BURST_WINDOW)


def _open(ref_prefix: str) -> dict[str, str]:
    rows = Notification.objects.filter(ref__startswith=ref_prefix, open=True)
    return {n.user.email: n.kind for n in rows.select_related("user")}


def _submitted(clinic, writer, capture) -> tuple[Review, dict]:
    """A reply to a new review of `clinic`, written and submitted by `writer`, with what it
    queues after commit run: (the review, the draft as the API answers it)."""
    review = review_in(clinic)
    with capture(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.post(f"drafts/{draft['id']}/submit/")
    return review, draft


def _sent_back_on(clinic, writer, manager, *reviews) -> dict[int, int]:
    """A reply on each review, submitted and sent back to its writer: review id → draft id."""
    drafts = {}
    for review in reviews:
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.post(f"drafts/{draft['id']}/submit/")
        manager.post(f"drafts/{draft['id']}/reject/", {"comment": "Shorter, please."})
        drafts[review.pk] = draft["id"]
    return drafts


def test_each_step_tells_its_people_and_closes_the_previous_one(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    writer = as_user("alpha_writer", clinic_a)
    review, draft = _submitted(clinic_a, writer, django_capture_on_commit_callbacks)
    ref = f"reply:{draft['id']}"
    # the agency's approvers (owner and manager) are told, not the writer who wrote it
    told = _open(ref)
    assert set(told) == {"owner@alpha.test", "manager@alpha.test"}
    assert set(told.values()) == {"approval"}
    assert {m.to[0] for m in mailoutbox} == set(told)
    # each e-mail says what waits (never the review's words), who wrote it, and links to it
    for m in mailoutbox:
        assert m.subject == (
            "[Clinic A] A reply to a 2★ Google Business Profile review waits for your agency "
            "approval" + _due(clinic_a, review)
        )
        assert "Written by Alpha Writer." in m.body and review.text not in m.body
        assert f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/" in m.body
    mailoutbox.clear()
    # the agency approves: now the clinic's approver, and the agency's messages are done
    with django_capture_on_commit_callbacks(execute=True):
        as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")
    assert _open(ref) == {"a_approver@clinics.test": "approval"}
    [mail] = mailoutbox
    assert mail.to == ["a_approver@clinics.test"]
    card = f"reply-{draft['id']}"
    assert f"/clinics/{clinic_a.slug}/portal/approvals/?card={card}#card-{card}" in unbranded(
        mail.body
    )
    # approved: nothing is left open
    as_user("a_approver", clinic_a).post(f"drafts/{draft['id']}/approve/")
    assert _open(ref) == {}


def test_a_guard_block_tells_legal_once_its_writer_submits_it_until_legal_overrides(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    # saved, not submitted: legal is asked nothing
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
    # (only its writer has it waiting: "Your draft, not submitted yet", never e-mailed)
    assert _open(f"reply:{draft['id']}") == {"writer@alpha.test": "draft"}
    assert mailoutbox == []
    # submitted: it stays a draft, and legal is asked to lift the block
    with django_capture_on_commit_callbacks(execute=True):
        submitted = writer.post(f"drafts/{draft['id']}/submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "draft"
    assert _open(f"reply:{draft['id']}") == {"a_legal@clinics.test": "legal"}
    [mail] = mailoutbox
    assert "legal review needed" in mail.subject
    assert f"/clinics/{clinic_a.slug}/portal/review/#card-reply-{draft['id']}" in unbranded(
        mail.body
    )
    reason = "The reviewer published their own chart details; approved by counsel."
    as_user("a_legal", clinic_a).post(f"drafts/{draft['id']}/override/", {"reason": reason})
    # legal's notice is done; now it waits for its writer, to submit it
    assert _open(f"reply:{draft['id']}") == {"writer@alpha.test": "block_lifted"}


def test_legal_is_asked_once_and_a_clean_version_tells_legal_it_is_no_longer_needed(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
        for n in range(2):  # saved twice more, still blocked: nobody is asked
            answer = writer.patch(f"drafts/{draft['id']}/", {"text": f"{BLOCK_TEXT} ({n})"})
            assert answer.status_code == 200, answer.json()
    assert mailoutbox == [] and not Notification.objects.filter(ref=f"reply:{draft['id']}")
    with django_capture_on_commit_callbacks(execute=True):
        writer.post(f"drafts/{draft['id']}/submit/")
        # submitting the same version again asks nobody twice
        again = writer.post(f"drafts/{draft['id']}/submit/")
    assert again.status_code == 409 and again.json()["code"] == "legal_asked"
    assert [m.to for m in mailoutbox] == [["a_legal@clinics.test"]]
    assert Notification.objects.filter(ref=f"reply:{draft['id']}").count() == 1
    mailoutbox.clear()
    # changed to a text the guard passes: legal's request closes, and legal is told why
    with django_capture_on_commit_callbacks(execute=True):
        writer.patch(f"drafts/{draft['id']}/", {"text": OK_TEXT})
    # (the new version, not submitted yet, waits for its writer alone)
    assert _open(f"reply:{draft['id']}") == {"writer@alpha.test": "draft"}
    closed = Notification.objects.get(ref=f"reply:{draft['id']}")
    assert (closed.open, closed.email_pending) == (False, False)
    no_longer = (
        "A reply to a 2★ Google Business Profile review no longer needs your legal review: "
        "version 4 passes the privacy check"
    )
    assert closed.title == no_longer
    # legal's history lists it once (it was the closed request and an identical notice beside
    # it: walk 13 B #11)
    assert Notification.objects.filter(title=no_longer).count() == 1
    [mail] = mailoutbox
    assert mail.to == ["a_legal@clinics.test"] and mail.subject == f"[Clinic A] {no_longer}"
    assert "Nothing for you to do." in mail.body


def test_a_text_sent_back_tells_its_writer_who_sent_it_back_and_why(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
    writer.post(f"drafts/{draft['id']}/submit/")
    mailoutbox.clear()

    # when the manager sends it back with a comment
    with django_capture_on_commit_callbacks(execute=True):
        as_user("alpha_manager", clinic_a).post(
            f"drafts/{draft['id']}/reject/", {"comment": "Please do not name the front desk."}
        )

    # then the writer is told in-app and by e-mail, with the comment and a link to the editor
    assert _open(f"reply:{draft['id']}:sent_back") == {"writer@alpha.test": "sent_back"}
    [mail] = [m for m in mailoutbox if m.to == ["writer@alpha.test"]]
    assert mail.subject == (
        "[Clinic A] A reply to a 2★ Google Business Profile review was sent back at the agency "
        "approval"
    )
    assert "Alpha Manager asks: “Please do not name the front desk.”" in mail.body
    assert f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/" in mail.body

    # and once the writer submits a new version, the notice leaves their banner
    writer.patch(f"drafts/{draft['id']}/", {"text": OK_TEXT + " Thank you."})
    writer.post(f"drafts/{draft['id']}/submit/")
    assert _open(f"reply:{draft['id']}:sent_back") == {}


def test_the_hourly_digest_collects_and_is_scheduled_on_beat(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    preference_set(user=world.users["alpha_manager"], email=True, in_app=True, digest="hourly")
    _submitted(clinic_a, as_user("alpha_writer", clinic_a), django_capture_on_commit_callbacks)
    # the owner is mailed now; the manager waits for the digest
    assert [m.to[0] for m in mailoutbox] == ["owner@alpha.test"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mailoutbox
    assert digest.to == ["manager@alpha.test"] and "waits for your" in digest.body
    assert "password" not in digest.body  # the manager has one
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 0  # sent once
    entry = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]
    assert entry == {"task": "clinics.tasks.notification_digests_send", "schedule": 3600.0}
    from clinics.tasks import notification_digests_send_task

    assert notification_digests_send_task.name == entry["task"]


def test_a_text_nobody_else_can_approve_is_told_to_the_managers_not_to_the_barred_approver(
    clinic_a, world, as_user, login, mailoutbox, django_capture_on_commit_callbacks, notice_bursts
):
    # given the clinic's only approver also holds the legal role, and overrides a block
    ClinicMembership.objects.filter(user=world.users["a_approver"], clinic=clinic_a).update(
        crisis_roles=["comms", "legal"]
    )
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
    reason = "The reviewer published their own chart details; approved by counsel."
    writer.post(f"drafts/{draft['id']}/submit/")  # legal is asked
    as_user("a_approver", clinic_a).post(f"drafts/{draft['id']}/override/", {"reason": reason})
    writer.post(f"drafts/{draft['id']}/submit/")
    mailoutbox.clear()

    # when the agency approves, and the clinic's step is next
    with django_capture_on_commit_callbacks(execute=True):
        as_user("alpha_manager", clinic_a).post(f"drafts/{draft['id']}/approve/")

    # then the approver, whom the separation of duties would refuse, is not told it waits
    assert "a_approver@clinics.test" not in _open(f"reply:{draft['id']}")
    assert not any(m.to == ["a_approver@clinics.test"] for m in mailoutbox)
    portal = login("a_approver", otp=False).get(f"/clinics/{clinic_a.slug}/portal/approvals/")
    html = portal.content.decode()
    assert "waits for your approval" not in html, html[html.index("portal-lead") :][:300]
    # and the agency's owner and manager hear it is stuck, why, and what to do
    stuck = _open(f"reply:{draft['id']}:stuck")
    assert stuck == {"owner@alpha.test": "stuck", "manager@alpha.test": "stuck"}
    # (the manager was e-mailed the agency's step moments ago: this comes in one e-mail when
    # that burst ends)
    assert not any(m.to == ["manager@alpha.test"] for m in mailoutbox)
    _bursts_end(django_capture_on_commit_callbacks)
    mail = next(m for m in mailoutbox if m.to == ["manager@alpha.test"])
    assert mail.subject == "1 reply waits for you — Clinic A"
    assert "is stuck: nobody else can give the clinic approval" in mail.body
    assert "A Approver" in mail.body and f"/clinics/{clinic_a.slug}/settings/people/" in mail.body


def test_a_sent_back_notice_closes_once_the_follow_up_resolves_its_review_and_no_other(
    clinic_a, as_user
):
    # given two replies sent back to their writer, each on its own review
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    settled, waiting = review_in(clinic_a), review_in(clinic_a)
    drafts = _sent_back_on(clinic_a, writer, manager, settled, waiting)
    assert _open(f"reply:{drafts[settled.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}

    # when the first review's private follow-up (by phone) is resolved
    started = writer.post(f"reviews/{settled.pk}/private-conversations/", {"channel": "phone"})
    assert started.status_code == 201, started.json()
    done = writer.patch(f"private-conversations/{started.json()['id']}/", {"outcome": "solved"})
    assert done.json()["status"] == "resolved"

    # then its reply's "sent back to you" notice is closed: nothing is left to do there
    assert _open(f"reply:{drafts[settled.pk]}:sent_back") == {}
    # and the other review, which still waits for its reply, keeps its notice
    assert _open(f"reply:{drafts[waiting.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}
    assert writer.get(f"drafts/{drafts[waiting.pk]}/").json()["status"] == "changes_requested"


@pytest.mark.parametrize("status", ["resolved", "ignored", "replied"])
def test_settling_several_reviews_at_once_in_the_inbox_closes_their_sent_back_notices(
    clinic_a, as_user, status
):
    # given three replies sent back to their writer, each on its own review
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    first, second, waiting = (review_in(clinic_a) for _ in range(3))
    drafts = _sent_back_on(clinic_a, writer, manager, first, second, waiting)

    # when staff settle the first two at once from the inbox (its bulk action)
    done = manager.client.post(
        f"/clinics/{clinic_a.slug}/inbox/", {"review": [first.pk, second.pk], "status": status}
    )
    assert done.status_code == 302

    # then neither reply's "sent back to you" notice waits for the writer any more, as when
    # one review is resolved through its follow-up
    assert _open(f"reply:{drafts[first.pk]}:sent_back") == {}
    assert _open(f"reply:{drafts[second.pk]}:sent_back") == {}
    # and the review that still waits for its reply keeps its notice
    assert _open(f"reply:{drafts[waiting.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}


def test_putting_reviews_back_to_needs_reply_in_the_inbox_keeps_their_sent_back_notices(
    clinic_a, as_user
):
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    review = review_in(clinic_a)
    drafts = _sent_back_on(clinic_a, writer, manager, review)

    manager.client.post(
        f"/clinics/{clinic_a.slug}/inbox/", {"review": [review.pk], "status": "needs_reply"}
    )

    assert _open(f"reply:{drafts[review.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}


def test_a_review_taken_down_on_its_platform_closes_its_sent_back_notice(clinic_a, as_user):
    # given a reply sent back to its writer
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    review, other = review_in(clinic_a), review_in(clinic_a)
    drafts = _sent_back_on(clinic_a, writer, manager, review, other)

    # when the next sync finds the review deleted on its platform
    with schema_context(clinic_a.schema_name):
        source = Source.objects.get(pk=review.source_id)
        [upserted] = reviews_upsert(
            source=source,
            items=[
                ItemIn(
                    external_id=review.external_id,
                    text=review.text,
                    published_at=review.published_at,
                    author_name=review.author_name,
                    rating=review.rating,
                    deleted=True,
                )
            ],
        )
    assert upserted.status == "updated"

    # then nothing is left for the writer to do there; the other review keeps its notice
    assert _open(f"reply:{drafts[review.pk]}:sent_back") == {}
    assert _open(f"reply:{drafts[other.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}


def test_a_review_deleted_at_its_authors_request_closes_its_sent_back_notice(clinic_a, as_user):
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    review, other = review_in(clinic_a), review_in(clinic_a)
    drafts = _sent_back_on(clinic_a, writer, manager, review, other)

    with schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[review.pk], delete=True)

    assert _open(f"reply:{drafts[review.pk]}:sent_back") == {}
    assert _open(f"reply:{drafts[other.pk]}:sent_back") == {"writer@alpha.test": "sent_back"}


def test_a_new_version_withdraws_the_waiting_one_and_its_resubmission_says_which_version_waits(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks, notice_bursts
):
    writer = as_user("alpha_writer", clinic_a)
    review, draft = _submitted(clinic_a, writer, django_capture_on_commit_callbacks)
    ref = f"reply:{draft['id']}"
    approvers = {"owner@alpha.test", "manager@alpha.test"}
    assert set(_open(ref)) == approvers
    mailoutbox.clear()

    # the writer saves version 2 (version 1 is withdrawn): the approvers' notices close
    with django_capture_on_commit_callbacks(execute=True):
        writer.patch(f"drafts/{draft['id']}/", {"text": OK_TEXT + " Thank you."})
    # (version 2, not submitted yet, waits for its writer alone)
    assert _open(ref) == {"writer@alpha.test": "draft"}
    assert mailoutbox == []
    withdrawn = Notification.objects.filter(ref=ref).select_related("user")
    assert {n.user.email: n.title for n in withdrawn} == dict.fromkeys(
        approvers,
        "A reply to a 2★ Google Business Profile review: version 1 was withdrawn (replaced by "
        "version 2)",
    )

    # resubmitted: one open line each, saying which version waits and what it replaces
    with django_capture_on_commit_callbacks(execute=True):
        writer.post(f"drafts/{draft['id']}/submit/")
    rows = Notification.objects.filter(ref=ref, open=True).select_related("user")
    assert sorted(n.user.email for n in rows) == sorted(approvers)
    title = (
        "A reply to a 2★ Google Business Profile review waits for your agency approval "
        "(version 2, replacing version 1 you were sent)" + _due(clinic_a, review)
    )
    assert {n.title for n in rows} == {title}
    # (e-mailed version 1 moments ago, they get it in one e-mail when that burst ends)
    assert mailoutbox == []
    _bursts_end(django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(approvers)
    assert {m.subject for m in mailoutbox} == {"1 reply waits for your approval — Clinic A"}
    for m in mailoutbox:
        # (its deadline as it reads when the e-mail goes: "reply due in …")
        assert f"- [Clinic A] {title.split(' — ')[0]} — reply due in " in m.body
        assert (
            "Version 1, which you were sent before, no longer waits: version 2 replaced it "
            "and is the one that waits for you now." in m.body
        )


def test_a_statement_the_clinic_was_sent_and_its_new_version_tell_the_clinic_once_each(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks, notice_bursts
):
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    statement = writer.post(
        "statements/", {"title": "About our safety rules", "body": "Every needle is used once."}
    ).json()
    sid = statement["id"]
    writer.post(f"statements/{sid}/submit/")
    title = "About our safety rules"
    answer = writer.patch(
        f"statements/{sid}/", {"title": title, "body": "Every needle is used once, then discarded."}
    )
    assert answer.status_code == 200, answer.json()
    writer.post(f"statements/{sid}/submit/")
    # version 2 is the first the agency approves: the clinic is told with no "replacing"
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"statements/{sid}/approve/")
    ref = f"statement:{sid}"
    [first] = Notification.objects.filter(ref=ref, open=True, user__email="a_approver@clinics.test")
    what = f"The statement “{title}” waits for your clinic approval"
    assert first.title == f"{what} (version 2)"
    mailoutbox.clear()

    # version 3 withdraws version 2 the clinic was sent; once the agency approved it again,
    # the clinic's approver has one open line, saying it replaces version 2
    writer.patch(
        f"statements/{sid}/", {"title": title, "body": "Every needle is used once. Always."}
    )
    assert _open(ref) == {}
    writer.post(f"statements/{sid}/submit/")
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"statements/{sid}/approve/")
    [line] = Notification.objects.filter(ref=ref, open=True)
    assert line.user.email == "a_approver@clinics.test"
    assert line.title == f"{what} (version 3, replacing version 2 you were sent)"
    # (e-mailed version 2 moments ago, the approver gets it when that burst ends)
    assert mailoutbox == []
    _bursts_end(django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.subject == "1 statement waits for your approval — Clinic A"
    assert mail.to == ["a_approver@clinics.test"]
    assert f"- [Clinic A] {line.title}\n" in mail.body
