"""Walk 14: the clinic confirmed its "single-use needles" fact while the needle claim ran; the
room went on naming an unrelated myth for the claim and offered no correction citing the fact
until new mentions came, eight minutes later. A fact confirmed (or its confirmed words edited)
has the recent claims checked against the sheet again, with the real model."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from facts.models import Fact
from facts.services import fact_confirm, fact_update
from scoring.claims.services import claims_recheck
from scoring.ml.engine import ScorerConfig, load_scorer
from scoring.models import ClaimCluster
from scoring.services import scoring_context
from tests.responses.conftest import access_of  # noqa: F401 (the fixture)

MYTH = {"kind": "myth", "slug": "multi-dose-vial-shared", "similarity": 0.61,
        "statement": "Multi-dose vials are made for several patients when a new needle is used."}  # fmt: skip
CLAIM = "Riverside Family Dental reuses needles on patients"
FACT = (
    "Every needle and syringe we use is single-use: opened in front of the patient and thrown "
    "away after one use."
)


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default"))


def _claim(title: str, contradicts: dict) -> ClaimCluster:
    return ClaimCluster.objects.create(
        title=title, misinformation=True, flags=["misinformation"], contradicts=contradicts,
        last_joined_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip


def _draft_fact() -> Fact:
    """The clinic's needles fact (a default one to fill in), as a draft saying FACT."""
    Fact.objects.filter(slug="needles-single-use").update(statement=FACT, status="draft")
    fact, _ = Fact.objects.get_or_create(
        slug="needles-single-use", defaults={"title": "Needles", "statement": FACT}
    )
    return fact


def test_a_running_claim_names_the_fact_confirmed_since(clinic_a, scorer, access_of):  # noqa: F811
    with schema_context(clinic_a.schema_name):
        ClaimCluster.objects.all().delete()
        needles = _claim(CLAIM, MYTH)
        parking = _claim("Parking at Riverside Family Dental costs $40 an hour", {})
        quiet = _claim(CLAIM, MYTH)
        ClaimCluster.objects.filter(pk=quiet.pk).update(
            last_joined_at=timezone.now() - timedelta(days=90)
        )
        # before the fact is confirmed, checking again changes nothing
        assert claims_recheck(scorer=scorer, context=scoring_context()) == 0

        fact = _draft_fact()
        fact_confirm(fact_id=fact.pk, access=access_of("alpha_manager", clinic_a))

        assert claims_recheck(scorer=scorer, context=scoring_context()) == 1
        needles.refresh_from_db()
        assert (needles.fact_id, needles.contradicts["kind"]) == (fact.pk, "fact")
        assert needles.contradicts["slug"] == "needles-single-use"
        parking.refresh_from_db()
        assert parking.fact_id is None and parking.contradicts == {}
        quiet.refresh_from_db()  # a claim quiet for months is left as it was
        assert quiet.contradicts == MYTH


def test_confirming_or_rewording_a_fact_asks_for_the_check(
    clinic_a,
    access_of,  # noqa: F811
    queued,
    django_capture_on_commit_callbacks,
):
    with schema_context(clinic_a.schema_name):
        fact = _draft_fact()
        manager = access_of("alpha_manager", clinic_a)
        with django_capture_on_commit_callbacks(execute=True):
            fact_update(fact_id=fact.pk, access=manager, title="Needles and syringes")
        assert queued == []  # a draft's change checks nothing
        with django_capture_on_commit_callbacks(execute=True):
            fact_confirm(fact_id=fact.pk, access=manager)
        with django_capture_on_commit_callbacks(execute=True):
            fact_update(fact_id=fact.pk, access=manager, statement=FACT + " Always.")
        with django_capture_on_commit_callbacks(execute=True):
            fact_update(fact_id=fact.pk, access=manager, title="Needles")
    assert queued == [("scoring.tasks.claims_recheck", ()), ("scoring.tasks.claims_recheck", ())]
