"""A "waits for you" notice names the reply's deadline as it reads when the page is shown, from
the deadline stored with it (in-app: the banner, the notification histories): "reply due in 3
hours (…)" while it runs, "reply overdue since … (2 days ago)" once it passed, even when the
notice was sent while it still ran; a notice done keeps what it said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from clinics.models import Notification
from clinics.notifications import (
    deadline_words,
    notice_title,
    notification_digests_send,
    people_notify,
    preference_set,
)
from tests.responses.conftest import OK_TEXT, review_in


def test_a_notice_stores_the_deadline_its_title_names(
    clinic_a, as_user, login, django_capture_on_commit_callbacks
):
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    review = review_in(clinic_a, published_at=published)
    due = published + timedelta(minutes=clinic_a.reply_target_minutes)
    writer = as_user("alpha_writer", clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        pk = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
        writer.post(f"drafts/{pk}/submit/")

    [notice] = Notification.objects.filter(ref=f"reply:{pk}", user__email="owner@alpha.test")
    assert notice.due_at == due
    assert notice.title.endswith(f" — {deadline_words(due, clinic_a)}")
    # the owner's history says how long is left, with the deadline
    html = login("alpha_owner").get("/account/notifications/history/").content.decode()
    assert "waits for your agency approval — reply due in " in html


def test_a_deadline_passed_since_the_notice_was_sent_reads_overdue(world, clinic_a, login):
    # sent while the reply was still due; the deadline passed since
    due = timezone.now() - timedelta(days=2, minutes=5)
    sent = due - timedelta(hours=3)
    words = deadline_words(due, clinic_a, now=sent)
    assert words.startswith("reply due ")
    notice = Notification.objects.create(
        user=world.users["a_approver"], clinic=clinic_a, kind="approval", ref="reply:999999",
        title=f"A reply waits for your clinic approval — {words}",
        url=f"/clinics/{clinic_a.slug}/portal/approvals/#card-reply-999999", due_at=due,
    )  # fmt: skip
    when = words.removeprefix("reply due ")

    shown = notice_title(notice)

    assert shown == (
        f"A reply waits for your clinic approval — reply overdue since {when} (2 days ago)"
    )
    # in the portal's notifications and in the banner's line
    page = login("a_approver")
    html = page.get(f"/clinics/{clinic_a.slug}/portal/notifications/").content.decode()
    assert f"reply overdue since {when} (2 days ago)" in html
    # done, it keeps what it said when sent
    notice.open = False
    notice.save(update_fields=["open"])
    assert notice_title(notice) == notice.title


def test_due_words_count_down(clinic_a):
    due = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    notice = Notification(
        clinic=clinic_a, title=f"X — {deadline_words(due, clinic_a, now=due)}", due_at=due
    )
    # (sent once overdue: it reads the same way)
    when = deadline_words(due, clinic_a, now=due).removeprefix("reply overdue since ")
    assert notice_title(notice, now=due - timedelta(hours=3, minutes=10)) == (
        f"X — reply due in 3 hours 10 minutes ({when})"
    )
    assert notice_title(notice, now=due - timedelta(hours=3)) == (
        f"X — reply due in 3 hours ({when})"
    )
    assert notice_title(notice, now=due - timedelta(minutes=1)) == (
        f"X — reply due in 1 minute ({when})"
    )
    assert notice_title(notice, now=due + timedelta(days=1, hours=2)) == (
        f"X — reply overdue since {when} (1 day 2 hours ago)"
    )


def test_the_hourly_digest_says_the_deadline_as_it_reads_when_sent(
    world, clinic_a, django_capture_on_commit_callbacks, mailoutbox
):
    # a person who takes what waits by e-mail, in the hourly digest only (nothing in-app)
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=False, digest="hourly")
    # told while the reply was still due; the deadline passed before the digest went
    due = timezone.now() - timedelta(hours=2, minutes=5)
    words = deadline_words(due, clinic_a, now=due - timedelta(hours=3))
    assert words.startswith("reply due ")
    people_notify(
        users=[writer], clinic=clinic_a, kind="approval", ref="test:digest-deadline",
        title=f"A reply waits for your agency approval — {words}",
        url="/clinics/clinic-a/replies/", due_at=due,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notification_digests_send()

    [mail] = mailoutbox
    when = words.removeprefix("reply due ")
    # the words as they read when it is sent, from the deadline stored, not when written
    assert (
        f"A reply waits for your agency approval — reply overdue since {when} (2 hours 5 "
        "minutes ago)" in mail.body
    )
    assert words not in mail.body
    # the notice itself keeps what it said
    notice = Notification.objects.get(ref="test:digest-deadline", user=writer)
    assert notice.title.endswith(words)


def test_a_digest_line_without_a_deadline_reads_as_written(
    world, clinic_a, django_capture_on_commit_callbacks, mailoutbox
):
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    people_notify(
        users=[writer], clinic=clinic_a, kind="approval", ref="test:digest-plain",
        title="A reply waits for your approval", url="/clinics/clinic-a/replies/",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notification_digests_send()

    [mail] = mailoutbox
    assert "] A reply waits for your approval\n" in mail.body
