"""The post-crisis review of a pile-on (walk-through 6, #3, #4, #8): figures that match the
incident room's claim and say what they count, a timeline with one line per batch step and
with the failures and guard findings of its deliveries and versions, and nothing that says
"pinned" before a channel confirmed it."""

from __future__ import annotations

from datetime import UTC

from django.db import connection
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from crisis.export import review_figures, statement_line
from crisis.metrics import review_metrics
from crisis.models import Incident, IncidentMention
from crisis.timeline import review_timeline
from feeds.models import Review, Source
from responses.models import (
    OutboxItem,
    PrivateConversation,
    ReplyBatchVersion,
    ReplyDraft,
    Statement,
    StatementVersion,
)
from responses.services.outbox import outbox_deliver, outbox_mark_posted
from responses.services.private import followup_start
from scoring.models import ClaimMention
from tests.crisis.conftest import HOUR, MIN, NOW, resolved_anyway
from tests.fixtures.rows import score_add
from tests.responses.conftest import as_user, platforms, review_in  # noqa: F401 - fixtures
from tests.responses.test_batches import CLAIM, _claim, approved_batch

GOOGLE = "Google Business Profile"


def _figures(metrics) -> dict[str, str]:
    return {label: value for _, label, value in review_figures(metrics, UTC)}


def _pile_on(clinic, fake, as_user):  # noqa: F811 - the fixture
    """Four flagged mentions of one claim and a viral repeat the model did not flag, all in
    the claim's cluster and linked to an incident; one correction batch for the five,
    approved at both steps. Returns (incident, batch id, outbox ids, review ids, viral)."""
    cluster_id, review_ids = _claim(clinic, 4, fake=fake)
    viral = review_in(clinic, "google", fake=fake, text=f"PSA: {CLAIM}. Saw it myself.")
    with schema_context(clinic.schema_name):
        score_add(review=viral, model_version="t1", label="negative", score=-0.7)
        ClaimMention.objects.create(review=viral, cluster_id=cluster_id, similarity=0.9)
        Review.objects.filter(pk__in=review_ids).update(likes=10, shares=5, replies=5)
        Review.objects.filter(pk=viral.pk).update(likes=900, shares=640, replies=210)
        incident = Incident.objects.create(
            kind="surge", title="Surge", severity="high",
            trigger={"numbers": {"window_minutes": 60}},
            opened_at=viral.published_at, last_detected_at=viral.published_at,
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [
                IncidentMention(incident=incident, review_id=pk, added_at=viral.published_at)
                for pk in [*review_ids, viral.pk]
            ]
        )
    bid, item_ids = approved_batch(clinic, as_user, cluster_id)
    return incident, bid, item_ids, review_ids, viral


def test_the_false_claims_count_every_mention_of_the_claim_and_the_correction_what_was_posted(
    platforms,  # noqa: F811 - the fixture
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    world,
):
    incident, _, item_ids, _, viral = _pile_on(clinic_a, platforms, as_user)
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    with schema_context(clinic_a.schema_name):
        # given the batch's replies waiting for their channel, the viral one posted by hand
        # and marked posted with its link
        viral_item = OutboxItem.objects.get(pk__in=item_ids, review_id=viral.pk)
        OutboxItem.objects.filter(pk=viral_item.pk).update(status="manual")
        outbox_mark_posted(item_id=viral_item.pk, access=writer, url="https://x.com/p/1")

        # when the review's figures are taken
        m = review_metrics(incident)

    # then the claim's reach is the room's: all five mentions, the unflagged viral one too
    assert (m["false_claims"], m["false_claim_clusters"], m["false_claims_reach"]) == (
        5,
        1,
        4 * 20 + 1750,
    )
    # and the reply posted by hand counts as answered in public, for the claim as for all
    assert (m["false_claims_corrected"], m["correction_reach"]) == (1, 1750)
    assert (m["mentions_answered"], m["mentions_linked"]) == (1, 5)
    assert m["replies_waiting"] == {"approved": 4, "in_approval": 0, "none": 0}
    figures = _figures(m)
    assert figures["Reach of the false claims"] == (
        "1,830 likes, shares and replies across 5 mentions of 1 claim answered as false"
    )
    assert figures["Reach of the correction"] == (
        "1,750 (96%): 1 of 5 mentions answered in public with the correction"
    )
    assert figures["Mentions answered in public"] == "1 of 5 (20%)"
    assert figures["Replies not posted yet"] == (
        "4 mentions with an approved reply waiting to be posted (for its channel to be "
        "connected, or to be posted by hand)"
    )


def test_a_batch_step_is_one_line_with_its_failures_and_guard_findings(
    platforms,  # noqa: F811 - the fixture
    clinic_a,
    as_user,  # noqa: F811 - the fixture
):
    # given a correction for five mentions approved at two steps, whose version 1 the privacy
    # check found needing review (the same finding in every reply), and two of its five
    # replies refused by Google; the replies' ids are the deliveries' ids (a reply's line once
    # took the platform of the delivery with its id, and split the step in two)
    with schema_context(clinic_a.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval('responses_outboxitem_id_seq', "
            "(SELECT last_value FROM responses_replydraft_id_seq))"
        )
    incident, bid, item_ids, _, _ = _pile_on(clinic_a, platforms, as_user)
    with schema_context(clinic_a.schema_name):
        drafts = set(ReplyDraft.objects.filter(batch_id=bid).values_list("pk", flat=True))
    assert drafts & set(item_ids), "the ids meant to collide do not"
    finding = {"kind": "health", "severity": "needs_review", "text": "needles", "message": "M"}
    platforms.fail(2, status=400, platform="google", method="PUT", message="Reply too long")
    with schema_context(clinic_a.schema_name):
        ReplyBatchVersion.objects.filter(batch_id=bid, number=1).update(
            guard_verdict="needs_review", guard_findings=[finding] * 5
        )
        assert sorted(outbox_deliver(item_id=i) for i in item_ids) == [
            "failed", "failed", "sent", "sent", "sent",
        ]  # fmt: skip

        # when the timelines are read
        staff = review_timeline(incident, clinic_a)
        client = review_timeline(incident, clinic_a, for_client=True)

    # then the agency's has one line per step of the batch, not one per mention
    said = [(line["category"], line["what"], line["who"]) for line in staff]
    mentions = f"Reply to 5 mentions (batch #{bid})"
    assert [s for s in said if s[0] == "approval"] == [
        ("approval", f"{mentions}: approved", "Alpha Manager"),
        ("approval", f"{mentions}: approved", "A Approver"),
    ]
    assert ("draft", f"{mentions}: submitted", "Alpha Writer") in said
    assert not [s for s in said if s[1].startswith("Reply #")]
    # the failures on one platform as one line, with the platform's reason
    [failed] = [line for line in staff if line["category"] == "failure"]
    assert failed["what"] == f"2 replies of batch #{bid} failed on {GOOGLE}"
    assert "Reply too long" in failed["details"]
    # the guard's verdict once for the version, its finding said once
    [guard] = [line for line in staff if line["category"] == "guard"]
    assert guard["what"] == (
        f"Reply to 5 mentions (batch #{bid}, version 1): the privacy check says needs review"
    )
    assert guard["details"] == "1 finding"
    # and the clinic's copy says the same facts without the plumbing: no reason for the
    # failure, no deliveries queued, no drafts
    assert [(line["category"], line["what"], line["details"]) for line in client] == [
        ("guard", "Reply to 5 mentions (version 1): the privacy check says needs review",
         "1 finding"),
        ("approval", "Reply to 5 mentions: approved", ""),
        ("approval", "Reply to 5 mentions: approved", ""),
        ("failure", f"2 replies could not be posted on {GOOGLE}", ""),
        ("publication", "Reply to 3 mentions: published", ""),
    ]  # fmt: skip


def test_a_follow_up_started_during_the_crisis_is_counted_even_with_a_mention_not_linked(
    surge, stream, world, clinic_a, django_capture_on_commit_callbacks
):
    # given a surge (13:30 → 19:00), an upset patient's mention of 15:10 the alert did not
    # link, and an old review (before the crisis)
    incident, _ = surge
    upset = stream.add(NOW + 10 * MIN, label="negative", kind="mention", text="hepatitis C")
    old = stream.add(NOW - 3 * 24 * HOUR, label="negative", rating=1)
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    # when a follow-up with each is started at 15:20 and the upset patient's is resolved
    for review in (upset, old):
        followup_start(review_id=review.pk, access=writer, channel="phone")
    PrivateConversation.objects.update(created_at=NOW + 20 * MIN)
    PrivateConversation.objects.filter(review=upset).update(status="resolved")
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    m = review_metrics(incident, now=NOW + 30 * HOUR)

    # then the review counts it, apart from those of the incident's mentions (none here); the
    # old review's follow-up is not the crisis's
    assert m["private_follow_ups"] == {"total": 0}
    assert m["private_follow_ups_other"] == {"total": 1, "Resolved": 1}
    assert _figures(m)["Private follow-ups"] == (
        "1 started during the crisis with a mention of that time not linked to the incident "
        "(1 resolved)"
    )


def test_a_published_statement_is_pinned_only_where_a_channel_confirmed_it(
    surge, clinic_a, login, django_capture_on_commit_callbacks
):
    # given the incident's statement published on the public page (version 1), its pin on
    # Facebook queued and not confirmed
    incident, _ = surge
    statement = Statement.objects.get(title="About the rumour")
    version = StatementVersion.objects.create(
        statement=statement, number=1, title=statement.title, body="The facts.",
        guard_verdict="ok", author_label="user:1",
    )  # fmt: skip
    Statement.objects.filter(pk=statement.pk).update(published_version=version)
    facebook = Source.objects.create(kind="facebook", name="Facebook")
    pin = OutboxItem.objects.create(
        kind="statement_post", idempotency_key="pin-1", source=facebook, statement=statement,
        version=1, status="pending",
    )  # fmt: skip
    resolved_anyway(incident, django_capture_on_commit_callbacks)

    def said() -> tuple[str, str]:
        with schema_context(clinic_a.schema_name):
            statements = review_metrics(incident, now=NOW + 30 * HOUR)["statements"]
        [line] = [statement_line(st, UTC) for st in statements if st["published_at"]]
        page = login("alpha_writer").get("/clinics/clinic-a/statements/").content.decode()
        [row] = [r for r in page.split("<tr>") if "About the rumour" in r]
        return line, row

    # then neither the review nor the statements list says "pinned"
    line, row = said()
    assert line == (
        "About the rumour — published 2026-03-04 17:00 UTC (on the public page; no channel "
        "has pinned it)"
    )
    assert "On the public page (version 1); no channel has pinned it" in row
    assert "Pinned" not in row
    # and once Facebook confirms the pin, both name it
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=pin.pk).update(status="sent", external_id="post-1")
    line, row = said()
    assert line.endswith("(on the public page; pinned on Facebook)")
    assert "On the public page (version 1); pinned on Facebook" in row


def test_the_review_counts_what_failed_to_post_and_how_each_failure_ended(
    platforms,  # noqa: F811 - the fixture
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    world,
):
    """Walk 21: a channel that refused replies mid-crisis left no trace in the review's
    figures (only a line of the timeline). `metrics.publishing` counts the writes that failed
    for good (a person had to act) with their reason and how they ended; a write the platform
    took on its own retry is no failure anyone saw."""
    incident, _, item_ids, _, _ = _pile_on(clinic_a, platforms, as_user)
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
    # given Google refusing two of the five replies, and failing once (503) on a third, which
    # its retry then posts
    platforms.fail(2, status=400, platform="google", method="PUT", message="Reply too long")
    platforms.fail(1, status=503, platform="google", method="PUT", message="Unavailable")
    with schema_context(clinic_a.schema_name):
        said = {pk: outbox_deliver(item_id=pk) for pk in item_ids}
        assert sorted(said.values()) == ["failed", "failed", "retry", "sent", "sent"]
        refused = [pk for pk, result in said.items() if result == "failed"]
        [retried] = [pk for pk, result in said.items() if result == "retry"]
        OutboxItem.objects.filter(pk=retried).update(next_attempt_at=None)
        assert outbox_deliver(item_id=retried) == "sent"
        m = review_metrics(incident)
    assert m["publishing"] == {
        "writes": 5,
        "reached": 3,
        "failed": 2,
        "reasons": {"Refused by the platform": 2},
        "posted_later": 0,
        "longest_wait_seconds": None,
        "still_failed": 2,
        "still_waiting": 0,
        "cancelled": 0,
    }
    agency = {label: value for _, label, value in review_figures(m, UTC, for_clinic=False)}
    assert agency["Posting problems"] == (
        "2 of 5 failed to post (refused by the platform: 2); 2 still not posted"
    )
    # the clinic's copy says the same without the reasons (the agency's plumbing)
    assert _figures(m)["Posting problems"] == "2 of 5 failed to post; 2 still not posted"

    # when one of them is posted by hand 65 minutes after it failed
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=refused[0]).update(status="manual")
        outbox_mark_posted(item_id=refused[0], access=writer, url="https://g.page/r/1")
        failed_at = OutboxItem.objects.get(pk=refused[0]).last_error_at
        OutboxItem.objects.filter(pk=refused[0]).update(sent_at=failed_at + 65 * MIN)
        m = review_metrics(incident)
    # then it counts as posted later, with how long it waited
    assert (m["publishing"]["posted_later"], m["publishing"]["still_failed"]) == (1, 1)
    assert m["publishing"]["reached"] == 4
    assert _figures(m)["Posting problems"] == (
        "2 of 5 failed to post; 1 posted later, the longest 65 minutes after it failed; 1 still "
        "not posted"
    )


def test_with_nothing_failed_the_review_says_so_and_a_frozen_review_says_nothing(surge):
    incident, _ = surge
    m = review_metrics(incident)
    assert m["publishing"]["writes"] == 0
    assert _figures(m)["Posting problems"] == "none: nothing was sent to a platform"
    m["publishing"] = {**m["publishing"], "writes": 3, "reached": 3}
    assert (
        _figures(m)["Posting problems"]
        == "none: no reply or statement failed to post (3 of 3 posted)"
    )
    del m["publishing"]  # figures frozen before they were counted
    assert _figures(m)["Posting problems"] == "—"
