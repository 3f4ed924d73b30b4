"""A channel's notice of failed deliveries, and its notice of what waits for the channel to be
connected, is one per person: a failure added while it is open tells nobody again, except the
people who hear of that one and were not told of the notice (an approver of that reply
alone), who get it then with the count it has now. Its count is always what still fails or
waits there: one posted since (by hand) or cancelled leaves it, and the notice leaves
everyone's banner once nothing is left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.services import agency_member_add
from clinics.access import clinic_access
from clinics.models import Notification, clinic_zone
from clinics.services import clinic_member_add
from feeds.services.privacy import reviews_redact
from responses.models import OutboxItem
from responses.services import replies as reply_services
from responses.services.delivery import FAILURE_BURST_QUIET, outbox_failure_notify
from responses.services.outbox import (
    MAX_ATTEMPTS,
    outbox_deliver,
    source_failure_ref,
    source_failures_ref,
)
from tests.responses.conftest import OK_TEXT, review_in
from tests.responses.test_delivery import _facebook_review

FAILURES = "Not posted on google source: {} replies (platform unavailable)"
WAITING = "Not posted on Sunrise Facebook page: {} replies wait until it is connected"
OUTBOX = "/clinics/clinic-a/outbox/"


@pytest.fixture
def second_pair(world, clinic_a):
    """Another agency manager and another approver of Clinic A: the people who approve the
    replies the first notice did not tell of."""
    manager = agency_member_add(
        agency=world.agencies["alpha"], email="manager2@alpha.test",
        full_name="Second Manager", role="manager",
    ).user  # fmt: skip
    approver = clinic_member_add(
        clinic=clinic_a, email="approver2@clinics.test", full_name="Second Approver",
        role="approver",
    ).user  # fmt: skip
    return manager, approver


def _approved(clinic, world, review, capture, *, by=None) -> int:
    """The writer's reply to `review`, approved by `by` (the agency's, then the clinic's
    approver; the manager and a_approver by default) through the services: its outbox item."""
    agency, client = by or (world.users["alpha_manager"], world.users["a_approver"])
    with capture(execute=True), schema_context(clinic.schema_name):
        writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=writer, text=OK_TEXT)
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        for person in (agency, client):
            reply_services.reply_approve(
                draft_id=draft.pk, access=clinic_access(Actor(user=person), clinic)
            )
        return OutboxItem.objects.get(draft_id=draft.pk).pk


def _fail_for_good(clinic, platforms, capture, item_id: int) -> None:
    """Its last attempt, and Google answers 503: it fails for good."""
    with schema_context(clinic.schema_name):
        OutboxItem.objects.filter(pk=item_id).update(attempts=MAX_ATTEMPTS - 1)
    platforms.fail(1, status=503, platform="google", method="PUT", message="Backend Error")
    with capture(execute=True), schema_context(clinic.schema_name):
        assert outbox_deliver(item_id=item_id) == "failed"


def _deliver(clinic, capture, item_id: int) -> str:
    with capture(execute=True), schema_context(clinic.schema_name):
        return outbox_deliver(item_id=item_id)


def _notify(clinic, capture, item_id: int, *, later: bool = False) -> str:
    now = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5) if later else None
    with capture(execute=True), schema_context(clinic.schema_name):
        return outbox_failure_notify(item_id=item_id, now=now)


def _source_of(clinic, item_id: int) -> int:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.get(pk=item_id).source_id


def _mails(mailoutbox, words: str) -> dict[str, str]:
    return {m.to[0]: m.subject for m in mailoutbox if words in m.subject}


def test_a_failure_added_to_an_open_notice_tells_the_approvers_of_it_who_were_not_told(
    platforms, clinic_a, world, second_pair, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    users = world.users
    manager2, approver2 = second_pair
    # given the channel's notice of one failure, told to its approvers and the owners
    first = _approved(clinic_a, world, review_in(clinic_a, fake=platforms), capture)
    _fail_for_good(clinic_a, platforms, capture, first)
    assert _notify(clinic_a, capture, first, later=True) == "told 3; "
    ref = source_failures_ref(_source_of(clinic_a, first))
    mailoutbox.clear()

    # when a reply approved by two other people fails there while it is open
    second = _approved(
        clinic_a, world, review_in(clinic_a, fake=platforms), capture, by=second_pair
    )
    _fail_for_good(clinic_a, platforms, capture, second)
    assert _notify(clinic_a, capture, second) == (
        "added to the channel's notice (2 failed); told 2 who heard of it first now"
    )

    # then those two hear of it, with the count it has now: the manager in-app and by
    # e-mail, the clinic's approver by e-mail, for information
    two = FAILURES.format(2)
    rows = Notification.objects.filter(clinic=clinic_a, ref=ref)
    assert sorted((n.user.email, n.title, n.open, n.waits, n.url) for n in rows) == sorted([
        (users["alpha_manager"].email, two, True, True, f"{OUTBOX}#group-failed"),
        (users["alpha_owner"].email, two, True, True, f"{OUTBOX}#group-failed"),
        (users["a_approver"].email, "Not posted on google source: the reply to Sam R.’s 2★ "
         f"Google Business Profile review of {_day(clinic_a, first)}", False, False,
         "/clinics/clinic-a/portal/approvals/#delivered-" + str(_draft_of(clinic_a, first))),
        (manager2.email, two, True, True, f"{OUTBOX}#group-failed"),
        (approver2.email, two, False, False,
         "/clinics/clinic-a/portal/approvals/#portal-delivered"),
    ])  # fmt: skip
    # and only they: the people told the first time are not told again
    assert _mails(mailoutbox, "Not posted on") == {
        manager2.email: f"[Clinic A] {two}",
        approver2.email: f"[Clinic A] {two}",
    }

    # when a third fails that the first pair approved, nobody is told: they all know of it
    mailoutbox.clear()
    third = _approved(clinic_a, world, review_in(clinic_a, fake=platforms), capture)
    _fail_for_good(clinic_a, platforms, capture, third)
    assert _notify(clinic_a, capture, third) == "added to the channel's notice (3 failed)"
    assert _mails(mailoutbox, "Not posted on") == {}
    assert set(rows.filter(open=True).values_list("title", flat=True)) == {FAILURES.format(3)}
    assert rows.count() == 5


def _day(clinic, item_id: int) -> str:
    with schema_context(clinic.schema_name):
        published = OutboxItem.objects.get(pk=item_id).review.published_at
    day = timezone.localtime(published, clinic_zone(clinic))
    return f"{day.day} {day:%b %Y}"


def _draft_of(clinic, item_id: int) -> int:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.get(pk=item_id).draft_id


def test_a_reply_added_to_the_channels_waiting_notice_tells_its_approvers_who_were_not_told(
    platforms, clinic_a, world, second_pair, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    manager2, approver2 = second_pair
    # given a reply waiting for the clinic's Facebook page to be connected, told
    first = _approved(
        clinic_a, world, _facebook_review(clinic_a, platforms, connected=False), capture
    )
    assert _deliver(clinic_a, capture, first) == "failed"
    assert _notify(clinic_a, capture, first) == "told 3; "
    ref = source_failure_ref(_source_of(clinic_a, first))
    mailoutbox.clear()

    # when a reply the other two approved waits there too
    second = _approved(
        clinic_a, world, _facebook_review(clinic_a, platforms, connected=False), capture,
        by=second_pair,
    )  # fmt: skip
    assert _deliver(clinic_a, capture, second) == "failed"
    assert _notify(clinic_a, capture, second) == (
        "added to the channel's notice (2 waiting); told 2 who heard of it first now"
    )

    # then the notice counts both for everyone, and only the two who did not know are told
    two = WAITING.format(2)
    staff = Notification.objects.filter(clinic=clinic_a, ref=ref, waits=True)
    assert sorted((n.user.email, n.title, n.open, n.url) for n in staff) == sorted(
        (email, two, True, f"{OUTBOX}#group-failed")
        for email in ("manager@alpha.test", "owner@alpha.test", manager2.email)
    )
    assert _mails(mailoutbox, "Not posted on") == {
        manager2.email: f"[Clinic A] {two}",
        approver2.email: f"[Clinic A] {two}",
    }


def test_the_waiting_notice_counts_down_as_replies_are_posted_and_closes_when_none_waits(
    platforms, clinic_a, world, as_user, mailoutbox, queued,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    # given three replies waiting for the clinic's Facebook page to be connected, told once
    reviews = [_facebook_review(clinic_a, platforms, connected=False) for _ in range(3)]
    ids = [_approved(clinic_a, world, review, capture) for review in reviews]
    for item_id in ids:
        assert _deliver(clinic_a, capture, item_id) == "failed"
    assert _notify(clinic_a, capture, ids[0]) == "told 3; "
    for item_id in ids[1:]:
        assert _notify(clinic_a, capture, item_id) == "already told"
    ref = source_failure_ref(_source_of(clinic_a, ids[0]))
    mailoutbox.clear()
    writer = as_user("alpha_writer", clinic_a)

    def notice() -> set[tuple[str, str, bool]]:
        return set(
            Notification.objects.filter(clinic=clinic_a, ref=ref, waits=True).values_list(
                "title", "url", "open"
            )
        )

    assert notice() == {(WAITING.format(3), f"{OUTBOX}#group-failed", True)}

    # when one is posted by hand, the notice counts the two that still wait
    done = writer.post(f"outbox/{ids[0]}/mark-posted/", {"url": "https://fb.example/1"})
    assert done.status_code == 200
    assert notice() == {(WAITING.format(2), f"{OUTBOX}#group-failed", True)}

    # when a second is posted by hand, the one left is named, and leads to its own row
    done = writer.post(f"outbox/{ids[1]}/mark-posted/", {"url": "https://fb.example/2"})
    assert done.status_code == 200
    day = timezone.localtime(reviews[2].published_at, clinic_zone(clinic_a))
    one = (
        "Not posted on Sunrise Facebook page: the reply to Commenter’s Facebook page comment "
        f"of {day.day} {day:%b %Y}"
    )
    assert notice() == {(one, f"{OUTBOX}#item-{ids[2]}", True)}

    # when the last one's comment is deleted at its author's request (its reply cancelled),
    # nothing waits: the notice leaves everyone's banner, its last count kept
    with capture(execute=True), schema_context(clinic_a.schema_name):
        reviews_redact(review_ids=[reviews[2].pk], delete=True)
        assert OutboxItem.objects.get(pk=ids[2]).status == "cancelled"
    assert notice() == {(one, f"{OUTBOX}#item-{ids[2]}", False)}
    # and nobody was told anything about the channel on the way
    assert _mails(mailoutbox, "Not posted on") == {}


@pytest.mark.parametrize("why", ["not_connected", "refused"])
def test_a_batchs_notice_on_a_channel_counts_down_as_its_replies_are_posted(
    platforms, clinic_a, as_user, mailoutbox, queued, django_capture_on_commit_callbacks, why
):
    from tests.responses.test_batches import _claim, approved_batch

    capture = django_capture_on_commit_callbacks
    # given one correction for three mentions, none of which could be posted: on a Facebook
    # page that is not connected, or on Google, which refused them
    if why == "not_connected":
        _facebook_review(clinic_a, platforms, connected=False)
        cluster_id, _ = _claim(clinic_a, 3, kind="facebook")
        where = "Sunrise Facebook page"
    else:
        cluster_id, _ = _claim(clinic_a, 3, fake=platforms)
        platforms.fail(3, status=400, platform="google", method="PUT", message="Bad reply")
        where = "google source"
    bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    assert [_deliver(clinic_a, capture, i) for i in ids] == ["failed"] * 3
    for item_id in ids:
        _notify(clinic_a, capture, item_id)
    source_id = _source_of(clinic_a, ids[0])
    ref = (
        source_failure_ref(source_id)
        if why == "not_connected"
        else f"outbox-batch:{bid}:source:{source_id}"
    )
    claim = "to the claim “Riverside Family Dental reuses needles”"
    writer = as_user("alpha_writer", clinic_a)
    mailoutbox.clear()

    def notice() -> set[tuple[str, bool]]:
        rows = Notification.objects.filter(clinic=clinic_a, ref=ref, waits=True)
        return set(rows.values_list("title", "open"))

    assert notice() == {(f"3 replies {claim} were not posted on {where}", True)}

    # when they are posted by hand one by one, the notice counts what is left
    writer.post(f"outbox/{ids[0]}/mark-posted/", {"url": "https://x.example/1"})
    assert notice() == {(f"2 replies {claim} were not posted on {where}", True)}
    writer.post(f"outbox/{ids[1]}/mark-posted/", {"url": "https://x.example/2"})
    assert notice() == {(f"1 reply {claim} was not posted on {where}", True)}
    writer.post(f"outbox/{ids[2]}/mark-posted/", {"url": "https://x.example/3"})
    assert notice() == {(f"1 reply {claim} was not posted on {where}", False)}
    assert _mails(mailoutbox, "not posted on") == {}
