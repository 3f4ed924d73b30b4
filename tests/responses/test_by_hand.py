"""Replies Carewatch cannot post, and cannot be made to post here, go straight to "To post by
hand": on a channel that is not connected where connecting its platform is not set up on this
server, or on one the agency posts on by hand (the Sources page). Not a failure, not counted as
one, no failure notices: the agency's people who post by hand are told once per channel, the
clinic not at all. Where connecting is possible but not done, replies still fail and wait for
the channel, and people are told once per channel while it stays unconnected. The writer hears
for information what became of her reply: once per reply and outcome, once per batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Notification, clinic_zone
from clinics.notifications import preference_set
from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh
from feeds.models import Source
from feeds.services import source_replies_by_hand_set
from responses.models import OutboxItem
from responses.selectors import channel_plan_reply, delivery_failures_count
from responses.services.delivery import (
    FAILURE_BURST_QUIET,
    outbox_by_hand_notify,
    outbox_failure_notify,
    reply_failures_mail,
    reply_outcome_tell,
)
from responses.services.outbox import (
    BY_HAND_TASK,
    NOTIFY_TASK,
    WRITER_TASK,
    by_hand_ref,
    outbox_by_hand_untold,
    outbox_deliver,
    outbox_failures_untold,
    outbox_retry_for_source,
)
from tests.responses.conftest import approved_reply, review_in
from tests.responses.test_batches import _claim, approved_batch
from tests.responses.test_delivery import _facebook_review, _item

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up
POSTED = {"url": "https://example.org/posted-by-hand"}  # where a person posted it

BY_HAND = (
    "Google Business Profile replies are posted by hand here: copy the reply, post it, then "
    "mark it posted."
)


@pytest.fixture
def not_set_up(settings):
    """A server where connecting Google is not set up (no OAuth app credentials)."""
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    settings.GOOGLE_OAUTH_CLIENT_SECRET = ""


def _approve(clinic, as_user, reviews, capture) -> list[int]:
    """Each review's reply written, approved at every step (after commit: what it queues)."""
    ids = []
    for review in reviews:
        with capture(execute=True):
            ids.append(approved_reply(clinic, as_user, review)["delivery"][0]["outbox_id"])
    return ids


def _run_notices(clinic, queued, capture) -> list[str]:
    """What the worker does with the notices queued by name (after their commit)."""
    services = {
        BY_HAND_TASK: lambda item_id: outbox_by_hand_notify(item_id=item_id),
        WRITER_TASK: lambda item_id, outcome: reply_outcome_tell(item_id=item_id, outcome=outcome),
        NOTIFY_TASK: lambda item_id: outbox_failure_notify(item_id=item_id),
    }
    done = []
    with capture(execute=True), schema_context(clinic.schema_name):
        for name, args in list(queued):
            if name in services:
                done.append(services[name](*args))
    queued.clear()
    return done


def test_four_replies_on_a_channel_nobody_can_connect_here_wait_to_be_posted_by_hand(
    not_set_up, clinic_a, as_user, world, login, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    # given a Google source that is not connected, on a server where connecting Google is
    # not set up, and four replies approved on it
    reviews = [review_in(clinic_a, "google") for _ in range(4)]
    ids, tasks = [], []
    for review in reviews:
        ids += _approve(clinic_a, as_user, [review], capture)
        # the worker runs the notice each approval queued, as it comes
        tasks += [name for name, _args in queued]
        _run_notices(clinic_a, queued, capture)

    # then each went straight to "To post by hand", with a plain reason: no failure
    with schema_context(clinic_a.schema_name):
        items = list(OutboxItem.objects.filter(pk__in=ids).order_by("pk"))
        assert [(i.status, i.manual_reason, i.failure_kind) for i in items] == [
            ("manual", BY_HAND, "")
        ] * 4
        assert delivery_failures_count() == 0
    assert [t for t in tasks if t in (BY_HAND_TASK, NOTIFY_TASK)] == [BY_HAND_TASK] * 4

    # and the one person named to post them, their writer, was told once, the clinic not at
    # all: 1 mail for 4 replies (it was 12 failure notices, then one to every poster)
    users = world.users
    told = [m for m in mailoutbox if "by hand" in m.subject]
    assert [m.to[0] for m in told] == [users["alpha_writer"].email]
    assert not [m for m in mailoutbox if users["a_approver"].email in m.to and "post" in m.subject]
    assert {m.subject for m in told} == {
        "[Clinic A] 1 reply waits for you to post by hand on google source"
    }
    assert "copy the reply, post it, then mark it posted" in told[0].body
    assert not Notification.objects.filter(
        user=users["a_approver"], kind__in=("post_by_hand", "delivery_failed")
    ).exists()
    assert not Notification.objects.filter(kind="delivery_failed").exists()
    # one open line per channel and person named, counting what waits for them
    source_id = items[0].source_id
    ref = by_hand_ref(source_id, users["alpha_writer"].pk)
    open_rows = Notification.objects.filter(clinic=clinic_a, ref=ref, open=True)
    assert list(open_rows.values_list("user_id", flat=True)) == [users["alpha_writer"].pk]
    assert {(n.title, n.url) for n in open_rows} == {
        ("4 replies wait for you to post by hand on google source",
         f"/clinics/{clinic_a.slug}/outbox/#group-manual")
    }  # fmt: skip
    # the writer's own replies: in her history, not mailed again (she was just told)
    history = Notification.objects.filter(user=users["alpha_writer"], kind="reply_by_hand")
    assert history.count() == 4
    assert {(n.open, n.waits, n.emailed_at) for n in history} == {(False, False, None)}
    # the outbox lists them to post by hand; nothing failed; the dashboard counts no failure
    outbox = login("alpha_owner").get(f"/clinics/{clinic_a.slug}/outbox/").content.decode()
    assert "To post by hand (4)" in outbox and "Failed (0)" in outbox
    assert outbox.count(BY_HAND) == 4
    clinic_snapshot_refresh(clinic=clinic_a)
    assert ClinicSnapshot.objects.get(clinic=clinic_a).failed_deliveries == 0
    # a second run of a notice tells nobody again; the sweeper finds nothing untold
    before = len(mailoutbox)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_by_hand_notify(item_id=ids[0]) == "4 waiting; told 0"
        assert outbox_by_hand_untold(now=timezone.now() + timedelta(minutes=5)) == []
    assert len(mailoutbox) == before

    # when three are posted by hand, the notice counts the one left; the writer hears of each
    mailoutbox.clear()
    writer = as_user("alpha_writer", clinic_a)
    for item_id in ids[:3]:  # each at its own link: one link is never two posts
        with capture(execute=True):
            posted = {"url": f"{POSTED['url']}/{item_id}"}
            assert writer.post(f"outbox/{item_id}/mark-posted/", posted).status_code == 200
    _run_notices(clinic_a, queued, capture)
    assert {n.title for n in open_rows.all()} == {
        "1 reply waits for you to post by hand on google source"
    }
    day = timezone.localtime(reviews[0].published_at, clinic_zone(clinic_a))
    assert (
        sorted(m.subject for m in mailoutbox)
        == [
            f"[Clinic A] Your reply to Sam R.’s 2★ Google Business Profile review of {day.day} "
            f"{day:%b %Y} was marked posted by hand on google source"
        ]
        * 3
    )
    assert {m.to[0] for m in mailoutbox} == {users["alpha_writer"].email}
    # and once none waits, the notice leaves everyone's banner
    with capture(execute=True):
        writer.post(f"outbox/{ids[3]}/mark-posted/", POSTED)
    _run_notices(clinic_a, queued, capture)
    assert not Notification.objects.filter(ref=ref, open=True).exists()


def test_a_channel_marked_posted_by_hand_on_the_sources_page_takes_no_reply_from_carewatch(
    platforms, clinic_a, as_user, login, queued, django_capture_on_commit_callbacks
):
    # given a connected Google source the agency posts on by hand (the Sources page)
    review = review_in(clinic_a, fake=platforms)
    manager = login("alpha_manager")
    page = manager.get(f"/clinics/{clinic_a.slug}/sources/").content.decode()
    assert f'data-testid="by-hand-{review.source_id}"' in page
    assert "We post replies on this channel by hand" in page
    answer = manager.post(
        f"/clinics/{clinic_a.slug}/sources/",
        {"action": "replies_by_hand", "source": review.source_id, "by_hand": "on"},
    )
    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        assert Source.objects.get(pk=review.source_id).replies_by_hand is True

    # when a reply to one of its reviews is approved
    item_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]

    # then it waits to be posted by hand, and nothing reached the platform
    item = _item(clinic_a, item_id)
    assert (item.status, item.manual_reason) == ("manual", BY_HAND)
    with schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=item_id) == "skipped"
    assert platforms.writes("google") == []


def test_choosing_by_hand_moves_what_waited_for_the_channel_to_post_by_hand(
    platforms, clinic_a, as_user, world, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given a reply failed on a Facebook page that is not connected (connecting is set up)
    review = _facebook_review(clinic_a, platforms, connected=False)
    item_id = _approve(clinic_a, as_user, [review], capture)[0]
    with schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=item_id) == "failed"
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_failure_notify(item_id=item_id).startswith("told 3")
    source_id = _item(clinic_a, item_id).source_id
    waiting_ref = f"outbox-source:{source_id}:waiting"
    assert Notification.objects.filter(ref=waiting_ref, open=True).count() == 2
    queued.clear()

    # when the agency chooses to post on it by hand
    with capture(execute=True), schema_context(clinic_a.schema_name):
        source_replies_by_hand_set(
            source=Source.objects.get(pk=source_id), by_hand=True, actor=SETUP
        )
    # then the outbox is told as for new credentials, and what waited goes to post by hand
    assert ("responses.tasks.outbox_retry_for_source", (source_id,)) in queued
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_retry_for_source(source_id=source_id) == [item_id]
        assert outbox_deliver(item_id=item_id) == "manual"
    item = _item(clinic_a, item_id)
    assert (item.status, item.failure_kind) == ("manual", "")
    assert item.manual_reason == (
        "Facebook replies are posted by hand here: copy the reply, post it, then mark it posted."
    )
    # and the channel's failure notice leaves the banners: it is not a failure any more
    assert not Notification.objects.filter(ref=waiting_ref, open=True).exists()
    assert platforms.writes("facebook") == []


def test_four_failures_on_a_channel_that_can_be_connected_tell_once_while_it_stays_so(
    clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given a Google source that is not connected, where connecting Google is set up, and
    # four replies approved on it
    reviews = [review_in(clinic_a, "google") for _ in range(4)]
    ids = _approve(clinic_a, as_user, reviews, capture)
    mailoutbox.clear()
    queued.clear()

    # when each fails (today's behaviour: it waits for the connection) and its notice runs
    outcomes = []
    for item_id in ids:
        with capture(execute=True), schema_context(clinic_a.schema_name):
            assert outbox_deliver(item_id=item_id) == "failed"
        outcomes += _run_notices(clinic_a, queued, capture)
    with schema_context(clinic_a.schema_name):
        assert delivery_failures_count() == 4

    # then the channel is told once: the approvers and the owner hear one e-mail each (it was
    # one per reply: 12), and the later failures are added to the open notice
    assert outcomes[0] == "told 3; "
    assert outcomes[1:] == [f"added to the channel's notice ({n} waiting)" for n in (2, 3, 4)]
    users = world.users
    failure_mails = [m for m in mailoutbox if "Not posted on" in m.subject]
    assert sorted(m.to[0] for m in failure_mails) == sorted(
        users[n].email for n in ("alpha_manager", "alpha_owner", "a_approver")
    )
    source_id = _item(clinic_a, ids[0]).source_id
    open_rows = Notification.objects.filter(ref=f"outbox-source:{source_id}:waiting", open=True)
    assert {n.title for n in open_rows} == {
        "Not posted on google source: 4 replies wait until it is connected"
    }
    assert sorted(open_rows.values_list("user_id", flat=True)) == sorted(
        [users["alpha_manager"].pk, users["alpha_owner"].pk]
    )
    # the writer posts by hand: what she is asked to do is the one line she gets of her
    # replies (it was one e-mail per reply: 4, then a "were not posted" e-mail beside it),
    # waiting for her, mailed once, its count following what waits
    [ask] = [m for m in mailoutbox if m not in failure_mails]
    assert ask.subject == (  # told with the first; her line counts the others since
        "[Clinic A] Post by hand: 1 reply not posted on google source (not connected) waits for you"
    )
    failure_mails.append(ask)
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=users["alpha_writer"].pk, now=later) == "nothing due"
    assert [m for m in mailoutbox if m not in failure_mails] == []
    [line] = Notification.objects.filter(
        user=users["alpha_writer"], clinic=clinic_a, kind__in=("post_by_hand", "reply_failed")
    )
    assert (line.kind, line.open) == ("post_by_hand", True)
    assert line.title.startswith("Post by hand: 4 replies not posted on google source")

    # and the sweeper finds nothing left untold
    with schema_context(clinic_a.schema_name):
        assert outbox_failures_untold(now=timezone.now() + timedelta(minutes=5)) == []


def test_a_writer_who_no_longer_posts_by_hand_hears_for_information_and_is_not_asked(
    clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    from agency.models import AgencyMembership

    capture = django_capture_on_commit_callbacks
    users = world.users
    writer = users["alpha_writer"]
    [item_id] = _approve(clinic_a, as_user, [review_in(clinic_a, "google")], capture)
    # given the writer is an analyst now: she reads the clinic but posts nothing by hand
    AgencyMembership.objects.filter(user=writer, agency_id=clinic_a.agency_id).update(
        role="analyst"
    )
    mailoutbox.clear()
    queued.clear()

    # when her reply fails for want of its channel
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=item_id) == "failed"
    _run_notices(clinic_a, queued, capture)

    # then she is not asked to post it by hand (the people who post by hand are), and hears
    # that it was not posted, for her information, mailed once the burst is over
    source_id = _item(clinic_a, item_id).source_id
    asked = Notification.objects.filter(ref=f"outbox-source:{source_id}:post-failed-by-hand")
    assert asked.exists() and not asked.filter(user=writer).exists()
    [line] = Notification.objects.filter(
        user=writer, clinic=clinic_a, kind__in=("post_by_hand", "reply_failed")
    )
    assert (line.kind, line.open, line.waits) == ("reply_failed", False, False)
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_failures_mail(user_id=writer.pk, now=later) == "mailed"
    [mail] = [m for m in mailoutbox if m.to == [writer.email]]
    assert mail.subject.endswith("was not posted on google source")


def test_the_writer_hears_once_per_reply_when_it_is_published_as_she_chose(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    users = world.users
    first, second = (review_in(clinic_a, fake=platforms) for _ in range(2))
    ids = _approve(clinic_a, as_user, [first, second], capture)
    mailoutbox.clear()
    queued.clear()

    # when the first is published
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=ids[0]) == "sent"
    assert queued == [(WRITER_TASK, (ids[0], "published"))]
    _run_notices(clinic_a, queued, capture)

    # then she is told, for information only (in her history, never waiting for her)
    [mail] = mailoutbox
    day = timezone.localtime(first.published_at, clinic_zone(clinic_a))
    assert mail.to == [users["alpha_writer"].email]
    assert mail.subject == (
        f"[Clinic A] Your reply to Sam R.’s 2★ Google Business Profile review of {day.day} "
        f"{day:%b %Y} was published on google source"
    )
    note = Notification.objects.get(user=users["alpha_writer"], kind="reply_published")
    assert (note.open, note.waits, note.url) == (
        False, False, f"/clinics/{clinic_a.slug}/replies/review/{first.pk}/",
    )  # fmt: skip
    # at most once per reply and outcome
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert reply_outcome_tell(item_id=ids[0], outcome="published") == "already told"
    assert len(mailoutbox) == 1

    # when she takes no e-mails, the second is kept in her history only
    preference_set(user=users["alpha_writer"], email=False, in_app=True, digest="immediate")
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=ids[1]) == "sent"
    _run_notices(clinic_a, queued, capture)
    assert len(mailoutbox) == 1
    assert (
        Notification.objects.filter(user=users["alpha_writer"], kind="reply_published").count() == 2
    )


def test_a_batch_tells_its_writer_once_per_outcome_not_once_per_mention(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cluster_id, _reviews = _claim(clinic_a, 3, fake=platforms)
    _bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert [outbox_deliver(item_id=i) for i in ids] == ["sent"] * 3
    mailoutbox.clear()
    _run_notices(clinic_a, queued, capture)
    [mail] = mailoutbox
    assert mail.to == [world.users["alpha_writer"].email]
    assert mail.subject.startswith("[Clinic A] Your 3 replies to the claim “")
    assert mail.subject.endswith("” were published: all 3 posted by Carewatch")


def test_before_the_last_approval_the_channel_reads_as_posted_by_hand(not_set_up, clinic_a):
    # given a review on a Google source nobody can connect here
    review = review_in(clinic_a, "google")
    with schema_context(clinic_a.schema_name):
        [plan] = channel_plan_reply(review)
    assert (plan["by_hand"], plan["connected"], plan["problem"]) == (True, False, BY_HAND)
