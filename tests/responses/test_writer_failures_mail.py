"""A writer whose replies fail one after another (a platform's outage) gets one e-mail for the
burst, listing every one of them with why and a link, once the burst is over; each reply
keeps its own line in her notification history. Nothing failed is left out of an e-mail: a
burst that goes on is told in parts, and the outbox's sweeper sends what a lost task left."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from clinics.notifications import notification_digests_send, preference_set
from feeds.models import Review
from responses.models import OutboxItem
from responses.services.delivery import (
    FAILURE_BURST_LONGEST,
    FAILURE_BURST_QUIET,
    FAILURES_MAIL_TASK,
    outbox_failure_notify,
    reply_failures_mail,
    reply_failures_mail_due,
    reply_outcome_tell,
)
from responses.services.outbox import MAX_ATTEMPTS, NOTIFY_TASK, WRITER_TASK, outbox_deliver
from responses.tasks import outbox_sweep_task, reply_failures_mail_task
from tests.responses.conftest import OK_TEXT, approved_reply, review_in

AUTHORS = ("Avery Q.", "Blake W.", "Casey Z.")
POSTED = {"url": "https://example.org/posted-by-hand"}  # where a person posted it


def _run_queued(clinic, queued, capture) -> list[str]:
    """What the worker does with the notices queued by name (after their commit)."""
    services = {
        NOTIFY_TASK: lambda item_id: outbox_failure_notify(item_id=item_id),
        WRITER_TASK: lambda item_id, outcome: reply_outcome_tell(item_id=item_id, outcome=outcome),
        FAILURES_MAIL_TASK: lambda user_id: reply_failures_mail(user_id=user_id),
    }
    done = []
    with capture(execute=True), schema_context(clinic.schema_name):
        for name, args in list(queued):
            if name in services:
                done.append((name, services[name](*args)))
    queued.clear()
    return done


def _replies_failing_in_an_outage(clinic, platforms, as_user, capture, n: int) -> list[int]:
    """`n` approved replies of alpha_writer on Google, each on its last attempt, and Google
    down: each delivery fails for good. Returns the outbox items."""
    ids = []
    for author in AUTHORS[:n]:
        review = review_in(clinic, fake=platforms)
        with schema_context(clinic.schema_name):
            Review.objects.filter(pk=review.pk).update(author_name=author)
        with capture(execute=True):
            ids.append(approved_reply(clinic, as_user, review)["delivery"][0]["outbox_id"])
    with schema_context(clinic.schema_name):
        OutboxItem.objects.filter(pk__in=ids).update(attempts=MAX_ATTEMPTS - 1)
    platforms.fail(n, status=503, platform="google", method="PUT", message="Backend Error")
    return ids


def _writer_mails(mailoutbox, world):
    return [m for m in mailoutbox if m.to == [world.users["alpha_writer"].email]]


def test_a_writers_replies_failing_in_one_outage_are_one_email_listing_each(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = world.users["alpha_writer"]
    # given three of her replies approved on Google, and Google down
    ids = _replies_failing_in_an_outage(clinic_a, platforms, as_user, capture, 3)
    mailoutbox.clear()
    queued.clear()

    # when each is sent, fails for good, and its notice runs as the worker takes it
    for item_id in ids:
        with capture(execute=True), schema_context(clinic_a.schema_name):
            assert outbox_deliver(item_id=item_id) == "failed"
        _run_queued(clinic_a, queued, capture)

    # then she has one line per reply in her history, for information (never waiting for her)
    rows = Notification.objects.filter(user=writer, clinic=clinic_a, kind="reply_failed")
    assert rows.count() == 3
    assert not rows.filter(open=True).exists() and not rows.filter(waits=True).exists()
    # and no e-mail yet: the burst may go on (it was one e-mail per reply)
    assert _writer_mails(mailoutbox, world) == []
    # nor in an hourly digest: those rows are not things that wait for her
    with capture(execute=True):
        assert notification_digests_send() == 0

    # when the burst is over (nothing new failed for a minute)
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail_due(now=later) == [writer.pk]
        assert reply_failures_mail(user_id=writer.pk, now=later) == "mailed"

    # then she gets one e-mail that lists every reply that failed, why, and where it is
    [mail] = _writer_mails(mailoutbox, world)
    assert mail.subject == "[Clinic A] 3 of your replies were not posted"
    with schema_context(clinic_a.schema_name):
        reviews = {
            i.review.author_name: i.review_id
            for i in OutboxItem.objects.select_related("review").filter(pk__in=ids)
        }
    for author in AUTHORS:
        first = author.split()[0]
        assert f"- Your reply to {first} {author[-2:]}’s 2★ Google Business Profile review" in (
            mail.body
        )
        assert f"/clinics/{clinic_a.slug}/replies/review/{reviews[author]}/" in mail.body
    assert mail.body.count("was not posted on google source") == 3
    assert (
        mail.body.count(
            "Google Business Profile kept failing. The people who approved it and the agency's "
            "owners were told."
        )
        == 3
    )
    assert OK_TEXT not in mail.body
    # and it is sent once: a second task, or the sweeper, finds nothing owed
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=writer.pk, now=later) == "nothing due"
        assert reply_failures_mail_due(now=later + timedelta(hours=1)) == []
    assert len(_writer_mails(mailoutbox, world)) == 1
    assert all(r.emailed_at is not None and not r.email_pending for r in rows)


def test_the_burst_mail_waits_while_replies_keep_failing_and_each_failure_queues_it(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    writer = world.users["alpha_writer"]
    ids = _replies_failing_in_an_outage(clinic_a, platforms, as_user, capture, 2)
    queued.clear()
    for item_id in ids:
        with capture(execute=True), schema_context(clinic_a.schema_name):
            assert outbox_deliver(item_id=item_id) == "failed"
        with capture(execute=True), schema_context(clinic_a.schema_name):
            outbox_failure_notify(item_id=item_id)
    # each failure she is told of queues the burst's e-mail (the last one to run sends it)
    assert queued.count((FAILURES_MAIL_TASK, (writer.pk,))) == 2
    mailoutbox.clear()

    # while the last failure is under a minute old, nothing goes
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=writer.pk) == "nothing due"
        assert reply_failures_mail_due() == []
    assert _writer_mails(mailoutbox, world) == []

    # an outage that goes on is told in parts: the first failure waited ten minutes
    first = Notification.objects.filter(user=writer, kind="reply_failed").order_by("pk")[0]
    Notification.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - FAILURE_BURST_LONGEST
    )
    with schema_context(clinic_a.schema_name):
        assert reply_failures_mail_due() == [writer.pk]
    # and a task that was lost is queued again by the outbox's sweeper
    swept = []
    monkeypatch.setattr(
        "responses.tasks.tasks_enqueue",
        lambda task, calls, schema_name=None: swept.append((task, list(calls), schema_name)),
    )
    outbox_sweep_task()
    assert (reply_failures_mail_task, [(writer.pk,)], clinic_a.schema_name) in swept
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail_task(writer.pk) == "mailed"
    [mail] = _writer_mails(mailoutbox, world)
    assert mail.subject == "[Clinic A] 2 of your replies were not posted"


def test_one_failed_reply_is_mailed_as_before(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = world.users["alpha_writer"]
    [item_id] = _replies_failing_in_an_outage(clinic_a, platforms, as_user, capture, 1)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=item_id) == "failed"
        outbox_failure_notify(item_id=item_id)
    mailoutbox.clear()
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=writer.pk, now=later) == "mailed"
    [mail] = _writer_mails(mailoutbox, world)
    assert mail.subject.startswith("[Clinic A] Your reply to Avery Q.’s 2★ Google Business")
    assert mail.subject.endswith("was not posted on google source")
    assert (
        "Google Business Profile kept failing. The people who approved it and the agency's "
        "owners were told." in mail.body
    )


def test_a_writer_who_chose_the_hourly_digest_gets_no_failure_email_as_before(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = world.users["alpha_writer"]
    preference_set(user=writer, email=True, in_app=True, digest="hourly")
    ids = _replies_failing_in_an_outage(clinic_a, platforms, as_user, capture, 2)
    for item_id in ids:
        with capture(execute=True), schema_context(clinic_a.schema_name):
            assert outbox_deliver(item_id=item_id) == "failed"
            outbox_failure_notify(item_id=item_id)
    mailoutbox.clear()
    later = timezone.now() + FAILURE_BURST_LONGEST
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail_due(now=later) == []
        assert reply_failures_mail(user_id=writer.pk, now=later) == "nothing due"
        assert notification_digests_send() == 0
    assert _writer_mails(mailoutbox, world) == []
    rows = Notification.objects.filter(user=writer, kind="reply_failed")
    assert rows.count() == 2 and not rows.filter(email_pending=True).exists()


def test_a_reply_posted_by_hand_before_the_burst_mail_is_still_listed_as_published_since(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    writer = world.users["alpha_writer"]
    ids = _replies_failing_in_an_outage(clinic_a, platforms, as_user, capture, 2)
    for item_id in ids:
        with capture(execute=True), schema_context(clinic_a.schema_name):
            assert outbox_deliver(item_id=item_id) == "failed"
            outbox_failure_notify(item_id=item_id)
    # a manager posts the first by hand before the burst's e-mail goes
    posted = as_user("alpha_manager", clinic_a).post(f"outbox/{ids[0]}/mark-posted/", POSTED)
    assert posted.status_code == 200
    mailoutbox.clear()

    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=writer.pk, now=later) == "mailed"

    # both are listed: the one posted since says so, the other says why it failed
    [mail] = _writer_mails(mailoutbox, world)
    assert mail.subject == "[Clinic A] 2 of your replies were not posted"
    first, second = mail.body.split("- Your reply to ")[1:]
    assert first.startswith("Avery Q.’s") and "It has been published since." in first
    assert second.startswith("Blake W.’s") and "Google Business Profile kept failing." in second
