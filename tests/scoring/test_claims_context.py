"""The worker tells the model which clinic it scores for: its name and its active fact sheet,
and the misinformation flag it writes cites that clinic's facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django_tenants.utils import schema_context

from facts.models import Fact
from feeds.models import Review, Source
from scoring.ml.claims import FactRef
from scoring.models import ReviewScore
from scoring.services import reviews_score, scoring_context


@pytest.fixture(scope="module")
def scorer():
    from scoring.ml.engine import ScorerConfig, load_scorer

    return load_scorer(ScorerConfig(model="default"))


def _fact(slug: str, statement: str, *, active: bool = True) -> Fact:
    return Fact.objects.create(
        slug=slug, title=slug.replace("-", " ").title(), statement=statement,
        source="Clinic policy", verified_on=date(2026, 11, 1), is_active=active,
    )  # fmt: skip


def test_the_context_is_the_clinic_name_and_its_active_facts(clinic_a, clinic_b):
    with schema_context(clinic_a.schema_name):
        _fact("single-use-needles", "Every needle we use is single-use and sealed.")
        _fact("old-hours", "We close at noon on Fridays.", active=False)
        context = scoring_context()
    assert context["clinic_name"] == "Clinic A"
    assert context["clinic_key"] == clinic_a.schema_name
    assert context["facts"] == [
        FactRef("single-use-needles", "Every needle we use is single-use and sealed.",
                "Single Use Needles")
    ]  # fmt: skip
    # another clinic sees only its own sheet
    with schema_context(clinic_b.schema_name):
        assert scoring_context()["facts"] == []


def test_outside_a_clinic_there_is_no_context(db):
    assert scoring_context() == {}


def test_a_scored_false_claim_cites_the_clinics_fact(clinic_a, scorer):
    with schema_context(clinic_a.schema_name):
        _fact(
            "vaccine-storage",
            "Vaccines are kept in monitored medical refrigerators, the expiry date of every dose "
            "is checked before it is given, and expired stock is destroyed.",
        )
        source = Source.objects.create(kind="facebook", name="Facebook")
        review = Review.objects.create(
            source=source, external_id="m1", kind="mention",
            published_at=datetime(2026, 11, 20, tzinfo=UTC),
            text="PSA: Clinic A gives kids expired vaccines. They keep the shots in a broken "
            "fridge. Share this!",
        )  # fmt: skip
        assert reviews_score(review_ids=[review.pk], scorer=scorer) == 1
        score = ReviewScore.objects.get(review=review)
    [flag] = [f for f in score.flags if f["name"] == "misinformation"]
    assert "expired vaccines" in flag["claim"]
    slugs = {"vaccine-storage"} | {m["slug"] for m in scorer.misinformation.myths}
    assert flag["contradicts"]["slug"] in slugs
    assert score.model_version == scorer.version
