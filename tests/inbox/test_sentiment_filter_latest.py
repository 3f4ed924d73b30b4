"""`sentiment=` (the inbox page and `GET reviews/`) lists a review under the label of its latest
score (`scoring.selectors.scores_latest`: the newest, ties to the higher id) only: a rescored
review leaves its old label's list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from inbox.selectors import reviews_matching
from scoring.models import ReviewScore
from scoring.services import latest_scores_refresh

T0 = datetime(2026, 9, 1, tzinfo=UTC)
INBOX = "/clinics/clinic-a/inbox/"
API = "/clinics/clinic-a/api/v1/reviews/"


@pytest.fixture
def rescored(clinic_a):
    """external id -> review, each scored with the labels listed (oldest first: hours after
    T0); "same-instant" twice in one instant (the second row, the higher id, is the latest)."""
    rows = {
        "neg-then-pos": [("negative", 0), ("positive", 1)],
        "pos-then-neg": [("positive", 0), ("negative", 1)],
        "neutral-once": [("neutral", 0)],
        "same-instant": [("negative", 3), ("positive", 3)],
        "same-instant-back": [("positive", 3), ("negative", 3)],
        "never-scored": [],
    }
    made = {}
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n, (eid, scores) in enumerate(rows.items()):
            made[eid] = Review.objects.create(
                source=source, external_id=eid, rating=3, text=f"{eid} text",
                published_at=T0 + timedelta(hours=n),
            )  # fmt: skip
            for version, (label, hours) in enumerate(scores):
                score = ReviewScore.objects.create(
                    review=made[eid], model_version=f"v{version}", label=label, score=0.0
                )
                ReviewScore.objects.filter(pk=score.pk).update(
                    created_at=T0 + timedelta(hours=hours)
                )
        latest_scores_refresh(review_ids=[r.pk for r in made.values()])  # as scores_write
    return made


EXPECTED = {
    "positive": {"neg-then-pos", "same-instant"},
    "negative": {"pos-then-neg", "same-instant-back"},
    "neutral": {"neutral-once"},
    "unscored": {"never-scored"},
}


@pytest.mark.parametrize("sentiment", list(EXPECTED))
def test_the_selector_lists_the_latest_label_only(rescored, clinic_a, sentiment):
    with schema_context(clinic_a.schema_name):
        mine = [r.pk for r in rescored.values()]
        listed = reviews_matching(sentiment=sentiment).filter(pk__in=mine)
        assert set(listed.values_list("external_id", flat=True)) == EXPECTED[sentiment]


@pytest.mark.parametrize("sentiment", list(EXPECTED))
def test_the_inbox_page_lists_the_latest_label_only(rescored, login, sentiment):
    body = login("alpha_writer").get(f"{INBOX}?sentiment={sentiment}")
    assert body.status_code == 200
    shown = {eid for eid, r in rescored.items() if f'id="r{r.pk}"' in body.content.decode()}
    assert shown == EXPECTED[sentiment]


@pytest.mark.parametrize("sentiment", list(EXPECTED))
def test_the_api_lists_the_latest_label_only(rescored, api, sentiment):
    body = api("key_a").get(f"{API}?sentiment={sentiment}").json()
    listed = {r["external_id"] for r in body["results"]} & set(rescored)
    assert listed == EXPECTED[sentiment]
    # and each one listed shows that label as its sentiment
    labels = {r["sentiment"]["label"] if r["sentiment"] else "unscored" for r in body["results"]}
    assert labels <= {sentiment}
