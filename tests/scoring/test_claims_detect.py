"""The scoring task asks crisis to run its detectors after it clustered the batch's claims, so
the detectors see each mention's claim (an incident holding a false claim takes in every
mention of it); a batch that only clustered what an earlier run left undone asks too, and one
that changed nothing does not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from scoring import engine, tasks
from scoring.models import ClaimCluster, ClaimMention
from tests.fixtures.rows import score_add

CLAIM = "Riverside Family Dental reuses needles"


@dataclass
class _Result:
    label: str = "negative"
    score: float = -0.7
    confidence: float = 0.9
    topics: list = field(default_factory=list)
    flags: list = field(
        default_factory=lambda: [{"name": "misinformation", "evidence": [CLAIM], "claim": CLAIM}]
    )
    model_version: str = "fake-1"


class _Scorer:
    version = "fake-1"  # no `embed`: claims are grouped by their key words

    def score(self, texts, **context):
        return [_Result() for _ in texts]


@pytest.fixture
def asked(monkeypatch) -> list[tuple[list[int], int]]:
    """What the task asked crisis: (review ids, clustered mentions at that moment)."""
    calls: list[tuple[list[int], int]] = []
    monkeypatch.setattr(engine, "get_scorer", lambda: _Scorer())
    monkeypatch.setattr(
        tasks, "reviews_scored", lambda ids: calls.append((list(ids), ClaimMention.objects.count()))
    )
    return calls


def _mentions(n: int) -> list[int]:
    ClaimMention.objects.all().delete()  # what other tests' workers committed in clinic A
    ClaimCluster.objects.all().delete()
    source = Source.objects.create(kind="facebook", name="Facebook")
    return [
        Review.objects.create(
            source=source, external_id=f"claim-{i}", kind="mention", text=CLAIM,
            published_at=datetime(2026, 11, 20, 10, i, tzinfo=UTC),
        ).pk
        for i in range(n)
    ]  # fmt: skip


def test_detection_is_asked_for_after_the_claims_are_clustered(clinic_a, asked):
    with schema_context(clinic_a.schema_name):
        ids = _mentions(3)
        # when the task scores and clusters the batch
        assert tasks.reviews_score_task(ids) == 3
        # then crisis was asked once, with the batch, when all three were in their claim
        assert asked == [(ids, 3)]
        assert ClaimCluster.objects.count() == 1


def test_a_batch_that_only_clusters_asks_and_one_that_changes_nothing_does_not(clinic_a, asked):
    with schema_context(clinic_a.schema_name):
        ids = _mentions(2)
        # given mentions scored whose clustering was left undone (the sweeper queues them)
        for pk in ids:
            score_add(
                review_id=pk, model_version="fake-1", label="negative", score=-0.7,
                flags=[{"name": "misinformation", "evidence": [CLAIM], "claim": CLAIM}],
            )  # fmt: skip
        # when the task runs on them: nothing to score, two to cluster
        assert tasks.reviews_score_task(ids) == 0
        assert asked == [(ids, 2)]
        # and when it runs again, nothing changed: nothing asked
        assert tasks.reviews_score_task(ids) == 0
        assert asked == [(ids, 2)]
