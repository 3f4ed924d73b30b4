"""Publishing as people are told of it (walk-through 6, #5, #6, #7): the clinic's approver
sees, before approving one reply to many mentions, which channels its replies go to and how
many, and in their words what happens on a channel that is not connected or has no publishing
connector; afterwards the result accounts for every mention. The portal says one sentence per
delivery state, never a connector's reason nor "post it by hand". Every channel a batch's
replies failed on is told once, with how many and the claim's words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from facts.models import Fact
from responses.models import OutboxItem, ResponseSettings
from responses.services.delivery import (
    BATCH_WAIT,
    FAILURE_BURST_QUIET,
    outbox_failure_notify,
    reply_failures_mail,
)
from responses.services.outbox import outbox_deliver
from scoring.claims.services import claims_cluster
from scoring.models import ClaimMention
from tests.fixtures.rows import score_add
from tests.responses.conftest import approved_reply, review_in, source_of
from tests.responses.test_batches import CLAIM, _flag

BASE = "/clinics/clinic-a"
POSTED = {"url": "https://example.org/posted-by-hand"}  # where a person posted it


def _burst_over(clinic, world, capture) -> None:
    """The writer's e-mail about her failed replies goes once their burst is over."""
    later = timezone.now() + FAILURE_BURST_QUIET + timedelta(seconds=5)
    with capture(execute=True), schema_context(clinic.schema_name):
        reply_failures_mail(user_id=world.users["alpha_writer"].pk, now=later)


def _mixed_claim(clinic, kinds: dict[str, int], fake=None) -> tuple[int, dict[str, list[int]]]:
    """Mentions of the claim on several channels ({"x": 2, ...}), scored and clustered into
    one claim: (cluster id, review ids per kind)."""
    with schema_context(clinic.schema_name):
        Fact.objects.get_or_create(
            slug="single-use-needles",
            defaults={"title": "Needles", "statement": "Every needle we use is single-use and sealed.",
                      "source": "Sterilisation log", "verified_on": timezone.now().date()},
        )  # fmt: skip
    ids: dict[str, list[int]] = {}
    for kind, n in kinds.items():
        ids[kind] = [review_in(clinic, kind, fake=fake, text=CLAIM).pk for _ in range(n)]
    every = [i for group in ids.values() for i in group]
    with schema_context(clinic.schema_name):
        for review_id in every:
            score_add(
                review_id=review_id, model_version="t1", label="negative", score=-0.6,
                flags=[_flag()],
            )  # fmt: skip
        claims_cluster(review_ids=every, embed=None)
        clusters = set(
            ClaimMention.objects.filter(review_id__in=every).values_list("cluster_id", flat=True)
        )
    assert len(clusters) == 1, clusters
    return clusters.pop(), ids


def _batch_at_client(clinic, as_user, cluster_id: int) -> int:
    writer = as_user("alpha_writer", clinic)
    created = writer.post("reply-batches/", {"cluster_id": cluster_id})
    assert created.status_code == 201, created.json()
    bid = created.json()["id"]
    writer.post(f"reply-batches/{bid}/submit/")
    as_user("alpha_manager", clinic).post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    return bid


def _approve_in_portal(client, bid: int) -> str:
    return client.post(
        f"{BASE}/portal/act/",
        {"kind": "batch", "id": bid, "action": "approve", "expected_status": "pending_client",
         "expected_version": 1},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip


def test_the_batch_card_shows_its_channels_before_approving_and_the_result_counts_every_mention(
    platforms, clinic_a, as_user, login
):
    # given one reply to 7 mentions: Google connected (2), Facebook not connected (2), and X
    # (2) and Instagram (1), which have no publishing connector
    with schema_context(clinic_a.schema_name):
        source_of("google", platforms)
        source_of("facebook")  # no credentials: not connected
    cluster_id, _ids = _mixed_claim(
        clinic_a, {"google": 2, "facebook": 2, "x": 2, "instagram": 1}, fake=platforms
    )
    bid = _batch_at_client(clinic_a, as_user, cluster_id)
    approver = login("a_approver")

    # when the clinic's approver opens the card
    page = approver.get(f"{BASE}/portal/approvals/").content.decode()
    card = page.split(f'id="card-batch-{bid}"', 1)[1].split("</article>", 1)[0]

    # then, before the Approve button, each channel with how many of its replies go there,
    # and in the client's words what happens where Carewatch cannot post
    plan = card.split('data-testid="channel-plan"', 1)[1].split('<div class="actions">', 1)[0]
    assert "Your approval is the last one; it then goes to:" in card
    assert 'google source (2 replies): <span class="pill positive">connected</span>' in plan
    assert 'facebook source (2 replies): <span class="pill negative">not connected</span>' in plan
    assert (
        "Your agency has not connected it yet. Once you approve, the replies wait until they do"
        in plan
    )
    assert 'x source (2 replies): <span class="pill neutral">posted by hand</span>' in plan
    assert 'instagram source (1 reply): <span class="pill neutral">posted by hand</span>' in plan
    assert (
        "It takes no automatic posts: your agency posts these replies there by hand once you "
        "approve; nothing is needed from you." in plan
    )
    assert (
        "It takes no automatic posts: your agency posts the reply there by hand once you "
        "approve; nothing is needed from you." in plan
    )
    # no connector internals and nothing for the client to post
    for internal in ("publishing connector", "copy the reply", "mark it posted", "is missing"):
        assert internal not in plan

    # when they approve, the result accounts for all 7, by channel
    answer = _approve_in_portal(approver, bid)
    assert (
        "Approved. 2 replies are queued for google source; 2 on facebook source wait for your "
        "agency to connect the channel (then they are posted by themselves) or to post them by "
        "hand; 3 on x source and instagram source are posted by your agency by hand. Nothing is "
        "needed from you." in answer
    )
    # and the replies approved lately never tell the client to post by hand
    page = approver.get(f"{BASE}/portal/approvals/").content.decode()
    delivered = page.split('id="portal-delivered"', 1)[1]
    # the batch is one line, whose words account for all 7 as the answer did (the agency posts
    # the 3 by hand) ...
    assert delivered.count('data-testid="delivered-batch"') == 1
    assert (
        "— 2 replies are queued for google source; 2 on facebook source wait for your agency to "
        "connect the channel (then they are posted by themselves) or to post them by hand; 3 on x "
        "source and instagram source are posted by your agency by hand. Nothing is needed from "
        "you.</p>" in delivered
    )
    # ... and each of the 3 mentions, one tap away, names its state once
    assert "See the 7 mentions and where each reply stands" in delivered
    assert delivered.count('<span class="pill neutral">Your agency posts it by hand</span>') == 3
    for internal in (
        "publishing connector",
        "copy the reply",
        "mark it posted",
        "token",
        "(Sources)",
    ):
        assert internal not in delivered


def test_a_batch_approved_by_the_agency_as_the_last_step_says_where_its_replies_stand(
    clinic_a, as_user, login
):
    # given a clinic whose replies need no clinic approval: the agency's approval is the last
    with schema_context(clinic_a.schema_name):
        ResponseSettings.objects.update_or_create(pk=1, defaults={"require_client_approval": False})
    cluster_id, _ids = _mixed_claim(clinic_a, {"x": 2})
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    writer.post(f"reply-batches/{bid}/submit/")

    # when the manager approves it on the agency's queue
    manager = login("alpha_manager")
    done = manager.post(
        f"{BASE}/replies/act/",
        {"kind": "batch", "id": bid, "action": "approve", "expected_status": "pending_agency",
         "expected_version": 1},
        follow=True,
    )  # fmt: skip

    # then (it was a 500: a batch has no outbox items of its own) the flash accounts for both
    assert done.status_code == 200
    assert "Approved. 2 replies on x source are to be posted by hand (the outbox)." in (
        done.content.decode()
    )


def _deliver_all(clinic, ids) -> list[str]:
    with schema_context(clinic.schema_name):
        return [outbox_deliver(item_id=i) for i in ids]


def test_every_failed_channel_of_a_batch_is_told_once_with_counts_and_the_claims_words(
    clinic_a, as_user, world, mailoutbox, login, django_capture_on_commit_callbacks
):
    # given one reply to 2 Facebook and 3 Google mentions, neither channel connected
    cluster_id, _ids = _mixed_claim(clinic_a, {"facebook": 2, "google": 3})
    bid = _batch_at_client(clinic_a, as_user, cluster_id)
    _approve_in_portal(login("a_approver"), bid)
    with schema_context(clinic_a.schema_name):
        items = list(OutboxItem.objects.filter(draft__batch_id=bid).select_related("source"))
    by_source = {}
    for item in items:
        by_source.setdefault(item.source.kind, []).append(item.pk)

    # when every reply fails and each one's notice runs
    assert _deliver_all(clinic_a, [i.pk for i in items]) == ["failed"] * 5
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        outcomes = [outbox_failure_notify(item_id=i.pk) for i in items]

    # then each channel is told once (Google was never told: the batch shared one notice)
    assert sum(o.startswith("told") for o in outcomes) == 2
    users = world.users
    # the batch's writer, who posts by hand, hears of them only as what she is asked to do:
    # one line per channel asks her to post them by hand meanwhile (`test_failed_publish_story`),
    # with no "were not posted" e-mail for her information beside them once the burst is over
    _burst_over(clinic_a, world, django_capture_on_commit_callbacks)
    writer_mails = [m for m in mailoutbox if m.to == [users["alpha_writer"].email]]
    asks = sorted(m.subject for m in writer_mails)
    assert asks == [
        "[Clinic A] Post by hand: 2 replies not posted on facebook source (not connected) wait "
        "for you",
        "[Clinic A] Post by hand: 3 replies not posted on google source (not connected) wait "
        "for you",
    ]
    mailoutbox = [m for m in mailoutbox if m not in writer_mails]
    subjects = sorted({m.subject for m in mailoutbox})
    assert subjects == [
        "[Clinic A] 2 replies to the claim “Riverside Family Dental reuses needles” were not "
        "posted on facebook source",
        "[Clinic A] 3 replies to the claim “Riverside Family Dental reuses needles” were not "
        "posted on google source",
    ]
    for subject in subjects:
        assert sorted(m.to[0] for m in mailoutbox if m.subject == subject) == sorted(
            u.email for u in (users["alpha_manager"], users["a_approver"], users["alpha_owner"])
        )
    # the clinic's e-mail is in their words: no connector reason, nothing for them to do
    clinic_mails = [m for m in mailoutbox if m.to == [users["a_approver"].email]]
    for mail in clinic_mails:
        assert "is not connected. Your agency connects it" in mail.body
        assert "missing" not in mail.body and "Sources" not in mail.body
    # each channel waits on the agency's people's banner on its own (the channel's notice:
    # both wait for their channel to be connected)
    refs = {
        kind: f"outbox-source:{_source_id(clinic_a, ids[0])}:waiting"
        for kind, ids in by_source.items()
    }
    for ref in refs.values():
        assert sorted(
            Notification.objects.filter(ref=ref, open=True).values_list("user_id", flat=True)
        ) == sorted([users["alpha_manager"].pk, users["alpha_owner"].pk])

    # when the Facebook replies are posted by hand, only Facebook's notice closes
    writer = as_user("alpha_writer", clinic_a)
    for item_id in by_source["facebook"]:  # each at its own link
        posted = {"url": f"{POSTED['url']}/{item_id}"}
        assert writer.post(f"outbox/{item_id}/mark-posted/", posted).status_code == 200
    assert not Notification.objects.filter(ref=refs["facebook"], open=True).exists()
    assert Notification.objects.filter(ref=refs["google"], open=True).count() == 2


def _source_id(clinic, item_id: int) -> int:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.get(pk=item_id).source_id


def test_a_batch_notice_waits_for_the_channels_first_attempts_then_counts_them(
    clinic_a, as_user, world, mailoutbox, login, django_capture_on_commit_callbacks
):
    # given 3 Google mentions of one batch, not connected; one has failed, two wait to be sent
    cluster_id, _ids = _mixed_claim(clinic_a, {"google": 3})
    bid = _batch_at_client(clinic_a, as_user, cluster_id)
    _approve_in_portal(login("a_approver"), bid)
    with schema_context(clinic_a.schema_name):
        first, *rest = OutboxItem.objects.filter(draft__batch_id=bid).order_by("pk")
    assert _deliver_all(clinic_a, [first.pk]) == ["failed"]

    # when its notice runs, it waits for the others' first attempt: nobody is told yet
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_failure_notify(item_id=first.pk) == (
            "waiting for the batch's other replies on this channel"
        )
        assert OutboxItem.objects.get(pk=first.pk).failure_notified_at is None
    assert mailoutbox == []

    # when the last of them fails, its notice tells of the three at once
    assert _deliver_all(clinic_a, [i.pk for i in rest]) == ["failed", "failed"]
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_failure_notify(item_id=rest[-1].pk).startswith("told 3")
        assert outbox_failure_notify(item_id=rest[0].pk) == "already told"
        assert outbox_failure_notify(item_id=first.pk) == "already told"
    _burst_over(clinic_a, world, django_capture_on_commit_callbacks)
    assert {m.subject for m in mailoutbox} == {
        "[Clinic A] 3 replies to the claim “Riverside Family Dental reuses needles” were not "
        "posted on google source",
        "[Clinic A] Post by hand: 3 replies not posted on google source (not connected) wait "
        "for you",
    }


def test_a_batch_notice_does_not_wait_for_ever(
    clinic_a, as_user, world, mailoutbox, login, django_capture_on_commit_callbacks
):
    cluster_id, _ids = _mixed_claim(clinic_a, {"google": 2})
    bid = _batch_at_client(clinic_a, as_user, cluster_id)
    _approve_in_portal(login("a_approver"), bid)
    with schema_context(clinic_a.schema_name):
        first, _other = OutboxItem.objects.filter(draft__batch_id=bid).order_by("pk")
    assert _deliver_all(clinic_a, [first.pk]) == ["failed"]
    # the other one never gets its first attempt (the broker was away): after BATCH_WAIT the
    # sweeper's notice tells of what failed
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=first.pk).update(
            last_error_at=timezone.now() - BATCH_WAIT - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_failure_notify(item_id=first.pk).startswith("told 3")
    _burst_over(clinic_a, world, django_capture_on_commit_callbacks)
    assert {m.subject for m in mailoutbox} == {
        "[Clinic A] 1 reply to the claim “Riverside Family Dental reuses needles” was not "
        "posted on google source",
        "[Clinic A] Post by hand: 1 reply not posted on google source (not connected) waits "
        "for you",
    }


@pytest.mark.parametrize(
    ("failure_kind", "label", "sentence"),
    [
        pytest.param(
            "auth", "Waiting for your agency",
            "Not posted yet: google source is not connected. Your agency connects it (it is then "
            "posted by itself) or posts it there by hand; nothing is needed from you.",
            id="connection-expired",
        ),
        pytest.param(
            "refused", "Not posted yet",
            "Not posted yet: google source did not take it. Your agency has been told and will "
            "see that it is posted; nothing is needed from you.",
            id="refused",
        ),
        pytest.param(
            "guard", "Not posted yet",
            "Not posted yet: The privacy check stopped it before it was sent. Your agency has "
            "been told and will see that it is posted; nothing is needed from you.",
            id="guard",
        ),
    ],
)  # fmt: skip
def test_the_portal_says_one_sentence_per_failure_never_the_platforms_reason(
    clinic_a, as_user, login, failure_kind, label, sentence
):
    review = review_in(clinic_a)
    draft = approved_reply(clinic_a, as_user, review)
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(draft_id=draft["id"]).update(
            status="failed", failure_kind=failure_kind,
            last_error="Invalid OAuth 2.0 access token (code 190)",
        )  # fmt: skip
    page = login("a_approver").get(f"{BASE}/portal/approvals/").content.decode()
    delivered = page.split(f'id="delivered-{draft["id"]}"', 1)[1].split("</article>", 1)[0]
    assert sentence in delivered
    assert f">{label}</span>" in delivered
    assert "OAuth" not in delivered and "Failed" not in delivered
    # the agency's own view keeps the platform's reason and what to do
    [row] = as_user("alpha_writer", clinic_a).get(f"drafts/{draft['id']}/").json()["delivery"]
    assert row["state_label"] == "Failed" and "What to do" not in row["what_to_do"]
    assert row["reason"] != sentence
