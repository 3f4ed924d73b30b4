"""A platform's outage fails replies one after another once their retries are spent: the
agency's people, the clinic's approvers and the chat channels hear of them once per channel
and burst (it was once per reply: 30 notices, 30 e-mails and 30 chat posts each), with how
many and a link to the outbox's failed group; a later failure while that notice is open is
added to it without telling anyone again; a failure alone keeps its own title. Every failed
reply is counted in exactly one notice, and one posted since leaves the count."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Notification, clinic_zone
from crisis.services.alerting import chat_webhook_set
from responses.models import OutboxItem
from responses.services.delivery import (
    FAILURE_BURST_LONGEST,
    FAILURE_BURST_QUIET,
    outbox_failure_notify,
)
from responses.services.outbox import (
    MAX_ATTEMPTS,
    NOTIFY_TASK,
    outbox_deliver,
    outbox_failures_untold,
)
from tests.crisis.fake_chat import FakeChat
from tests.responses.conftest import approved_reply, review_in
from tests.responses.test_delivery import _facebook_review

SETUP = Actor.of_system("test", "Setup")
WAITING = "waiting for the channel's burst of failures to end"
OUTBOX = "/clinics/clinic-a/outbox/"


@pytest.fixture
def chat(world):
    """The agency's Slack channel and the clinic's Teams channel, on a local fake."""
    fake = FakeChat().start()
    agency = world.agencies["alpha"].pk
    chat_webhook_set(
        agency_id=agency, clinic=None, kind="slack", url=f"{fake.base_url}/slack", actor=SETUP
    )
    chat_webhook_set(
        agency_id=agency, clinic=world.clinics["a"], kind="teams",
        url=f"{fake.base_url}/teams", actor=SETUP,
    )  # fmt: skip
    yield fake
    fake.stop()


def _on_last_attempt(clinic, platforms, as_user, capture, n: int) -> list[int]:
    """`n` replies approved on Google (the manager, then the clinic's approver), each on its
    last attempt: the next 5xx fails it for good. Returns their outbox items."""
    ids = []
    for _ in range(n):
        review = review_in(clinic, fake=platforms)
        with capture(execute=True):
            ids.append(approved_reply(clinic, as_user, review)["delivery"][0]["outbox_id"])
    with schema_context(clinic.schema_name):
        OutboxItem.objects.filter(pk__in=ids).update(attempts=MAX_ATTEMPTS - 1)
    return ids


def _fail(clinic, platforms, capture, item_id: int) -> None:
    """Google answers 503 (an outage): the reply fails for good."""
    platforms.fail(1, status=503, platform="google", method="PUT", message="Backend Error")
    with capture(execute=True), schema_context(clinic.schema_name):
        assert outbox_deliver(item_id=item_id) == "failed"


def _notify(clinic, capture, item_id: int, now=None) -> str:
    with capture(execute=True), schema_context(clinic.schema_name):
        return outbox_failure_notify(item_id=item_id, now=now)


def _told(mailoutbox) -> list:
    return [m for m in mailoutbox if "Not posted on" in m.subject]


def _ref(clinic, item_id: int) -> str:
    with schema_context(clinic.schema_name):
        return f"outbox-source:{OutboxItem.objects.get(pk=item_id).source_id}:failed"


def _later() -> datetime:
    return timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)


def test_an_outage_is_one_notice_email_and_chat_post_per_channel_and_a_later_failure_adds_to_it(
    platforms, clinic_a, as_user, world, chat, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    users = world.users
    ids = _on_last_attempt(clinic_a, platforms, as_user, capture, 6)
    queued.clear()
    mailoutbox.clear()

    # when five replies fail one after another and each one's notice runs as it comes
    for item_id in ids[:5]:
        _fail(clinic_a, platforms, capture, item_id)
        assert _notify(clinic_a, capture, item_id) == WAITING
    # then nobody is told while the burst goes on (it was 5 notices, 15 e-mails, 10 posts)
    assert _told(mailoutbox) == [] and chat.posts == []
    assert not Notification.objects.filter(kind="delivery_failed").exists()
    # each one's task, the newest at its time, looks again once the burst may be over
    assert [args for name, args in queued if name == NOTIFY_TASK] == [
        (i,) for i in ids[:5] for _ in range(2)
    ]
    # an older one's task (the sweeper queues them all) leaves it to the newest's
    queued.clear()
    assert _notify(clinic_a, capture, ids[0]) == WAITING
    assert queued == []

    # when a minute passed without a new failure (the newest's task, or the sweeper's)
    later = _later()
    with schema_context(clinic_a.schema_name):
        assert sorted(outbox_failures_untold(now=later)) == ids[:5]
    assert _notify(clinic_a, capture, ids[4], now=later) == "told 3; slack: posted, teams: posted"
    for item_id in ids[:4]:
        assert _notify(clinic_a, capture, item_id, now=later) == "already told"
    with schema_context(clinic_a.schema_name):
        assert outbox_failures_untold(now=later) == []

    # then one notice per person, counting the five, leading to the outbox's failed group
    ref = _ref(clinic_a, ids[0])
    title = "Not posted on google source: 5 replies (platform unavailable)"
    rows = Notification.objects.filter(clinic=clinic_a, ref=ref)
    assert sorted((n.user_id, n.waits, n.open, n.title, n.url) for n in rows) == sorted([
        (users["alpha_manager"].pk, True, True, title, f"{OUTBOX}#group-failed"),
        (users["alpha_owner"].pk, True, True, title, f"{OUTBOX}#group-failed"),
        # the clinic's approver: for information, never waiting for them
        (users["a_approver"].pk, False, False, title,
         "/clinics/clinic-a/portal/approvals/#portal-delivered"),
    ])  # fmt: skip
    # one e-mail per person, with the count and what to do
    mails = {m.to[0]: m for m in _told(mailoutbox)}
    assert len(_told(mailoutbox)) == 3
    assert set(mails) == {users[u].email for u in ("alpha_manager", "alpha_owner", "a_approver")}
    assert {m.subject for m in mails.values()} == {f"[Clinic A] {title}"}
    owner = mails[users["alpha_owner"].email].body
    assert (
        "Google Business Profile kept failing. Retry them from the outbox once it answers "
        "again, or post them by hand and mark them posted." in owner
    )
    assert f"{OUTBOX}#group-failed" in owner
    approver = mails[users["a_approver"].email].body
    assert (
        "google source did not take them. Your agency has been told and will see that they "
        "are posted; nothing is needed from you." in approver
    )
    assert "/outbox/" not in approver and "Retry" not in approver
    # one post per chat channel, with the count and a button to the failed group
    [slack] = chat.to("/slack")
    [teams] = chat.to("/teams")
    assert slack["json"]["text"] == f"Clinic A: {title}"
    assert slack["json"]["blocks"][1]["elements"][0]["url"].endswith(f"{OUTBOX}#group-failed")
    card = teams["json"]["attachments"][0]["content"]
    assert card["body"][0]["text"] == f"Clinic A: {title}"

    # when a sixth fails while the notice is open
    mailoutbox.clear()
    _fail(clinic_a, platforms, capture, ids[5])
    assert _notify(clinic_a, capture, ids[5]) == "added to the channel's notice (6 failed)"
    # then the notice counts it, nobody is told again, and it is told (not left for the sweeper)
    six = "Not posted on google source: 6 replies (platform unavailable)"
    assert {(n.title, n.open) for n in rows.filter(waits=True)} == {(six, True)}
    assert rows.count() == 3
    assert _told(mailoutbox) == [] and len(chat.posts) == 2
    with schema_context(clinic_a.schema_name):
        assert outbox_failures_untold(now=_later()) == []
    assert _notify(clinic_a, capture, ids[5], now=_later()) == "already told"


def test_a_failure_alone_on_another_channel_is_told_on_its_own_with_its_own_title(
    platforms, clinic_a, as_user, world, chat, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    users = world.users
    # given Google's notice of two failures, open
    ids = _on_last_attempt(clinic_a, platforms, as_user, capture, 2)
    for item_id in ids:
        _fail(clinic_a, platforms, capture, item_id)
    assert _notify(clinic_a, capture, ids[1], now=_later()).startswith("told 3")
    mailoutbox.clear()
    # and a reply on the clinic's Facebook page, which Facebook refuses
    review = _facebook_review(clinic_a, platforms, connected=True)
    with capture(execute=True):
        fb_id = approved_reply(clinic_a, as_user, review)["delivery"][0]["outbox_id"]
    platforms.fail(
        1, status=400, platform="facebook", method="POST", code=100, message="Invalid parameter"
    )
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=fb_id) == "failed"

    # when its notice runs: it waits a minute in case others follow, then tells it alone
    assert _notify(clinic_a, capture, fb_id) == WAITING
    assert _notify(clinic_a, capture, fb_id, now=_later()) == (
        "told 3; slack: posted, teams: posted"
    )

    # then its own notice, title and link, apart from Google's (which did not change)
    day = timezone.localtime(review.published_at, clinic_zone(clinic_a))
    title = (
        "Not posted on Sunrise Facebook page: the reply to Commenter’s Facebook page comment "
        f"of {day.day} {day:%b %Y}"
    )
    rows = Notification.objects.filter(ref=_ref(clinic_a, fb_id), waits=True)
    assert sorted((n.user_id, n.title, n.url) for n in rows) == sorted(
        (users[u].pk, title, f"{OUTBOX}#item-{fb_id}") for u in ("alpha_manager", "alpha_owner")
    )
    assert {m.subject for m in _told(mailoutbox)} == {f"[Clinic A] {title}"}
    assert len(_told(mailoutbox)) == 3
    owner = next(m for m in _told(mailoutbox) if m.to == [users["alpha_owner"].email])
    assert "Facebook page refused it. Fix what Facebook page names, then retry." in owner.body
    assert len(chat.posts) == 4
    assert chat.to("/slack")[-1]["json"]["text"] == f"Clinic A: {title}"
    card = chat.to("/teams")[-1]["json"]["attachments"][0]["content"]
    assert card["body"][0]["text"] == f"Clinic A: {title}"
    assert set(
        Notification.objects.filter(ref=_ref(clinic_a, ids[0]), waits=True).values_list(
            "title", flat=True
        )
    ) == {"Not posted on google source: 2 replies (platform unavailable)"}


def test_a_reply_posted_since_leaves_the_count_and_one_failing_again_is_counted_once(
    platforms, clinic_a, as_user, world, chat, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    ids = _on_last_attempt(clinic_a, platforms, as_user, capture, 3)
    for item_id in ids:
        _fail(clinic_a, platforms, capture, item_id)
    assert _notify(clinic_a, capture, ids[2], now=_later()).startswith("told 3")
    ref = _ref(clinic_a, ids[0])
    mailoutbox.clear()
    posts = len(chat.posts)
    writer = as_user("alpha_writer", clinic_a)

    def titles() -> set[tuple[str, bool]]:
        return set(Notification.objects.filter(ref=ref, waits=True).values_list("title", "open"))

    # when Google is back and the first is retried: it is published and leaves the count
    assert writer.post(f"outbox/{ids[0]}/retry/").status_code == 200
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=ids[0]) == "sent"
    assert titles() == {("Not posted on google source: 2 replies (platform unavailable)", True)}

    # when the second is retried and fails again, it is counted again, once
    assert writer.post(f"outbox/{ids[1]}/retry/").status_code == 200
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=ids[1]).update(attempts=MAX_ATTEMPTS - 1)
    _fail(clinic_a, platforms, capture, ids[1])
    assert _notify(clinic_a, capture, ids[1]) == "added to the channel's notice (2 failed)"
    assert titles() == {("Not posted on google source: 2 replies (platform unavailable)", True)}

    # when they are posted by hand, the count follows, then the notice leaves the banners
    posted = writer.post(f"outbox/{ids[1]}/mark-posted/", {"url": "https://x.org/1"})
    assert posted.status_code == 200
    assert titles() == {("Not posted on google source: 1 reply (platform unavailable)", True)}
    posted = writer.post(f"outbox/{ids[2]}/mark-posted/", {"url": "https://x.org/2"})
    assert posted.status_code == 200
    assert titles() == {("Not posted on google source: 1 reply (platform unavailable)", False)}
    # and nobody was told again on the way
    assert _told(mailoutbox) == [] and len(chat.posts) == posts

    # a failure after that is a new notice, told again
    ids2 = _on_last_attempt(clinic_a, platforms, as_user, capture, 1)
    mailoutbox.clear()
    _fail(clinic_a, platforms, capture, ids2[0])
    assert _notify(clinic_a, capture, ids2[0], now=_later()).startswith("told 3")
    assert len(_told(mailoutbox)) == 3
    assert Notification.objects.filter(ref=ref, waits=True, open=True).count() == 2


def test_an_outage_that_goes_on_is_told_once_its_first_failure_waited_the_longest(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    ids = _on_last_attempt(clinic_a, platforms, as_user, capture, 2)
    for item_id in ids:
        _fail(clinic_a, platforms, capture, item_id)
    # the first failed ten minutes ago, the second just now: the burst has not been quiet
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=ids[0]).update(
            last_error_at=timezone.now() - FAILURE_BURST_LONGEST
        )
    mailoutbox.clear()
    assert _notify(clinic_a, capture, ids[1]).startswith("told 3")
    assert {m.subject for m in _told(mailoutbox)} == {
        "[Clinic A] Not posted on google source: 2 replies (platform unavailable)"
    }
