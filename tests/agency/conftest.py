"""Rows written straight into a clinic's schema for the dashboard tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.models import Incident
from feeds.models import Review, Source
from scoring.models import ReviewScore


class ClinicRows:
    def __init__(self, clinic):
        self.clinic = clinic
        self.n = 0
        with schema_context(clinic.schema_name):
            self.source = Source.objects.create(kind="google", name="Google test", enabled=False)

    def review(
        self, *, hours_ago=1.0, rating=None, label=None, score=None, status="new", text="ok"
    ):
        self.n += 1
        with schema_context(self.clinic.schema_name):
            review = Review.objects.create(
                source=self.source,
                external_id=f"t{self.n}",
                rating=rating,
                text=text,
                published_at=timezone.now() - timedelta(hours=hours_ago),
                status=status,
            )
            if label is not None:
                ReviewScore.objects.create(
                    review=review,
                    model_version="test",
                    label=label,
                    score=score
                    if score is not None
                    else {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label],
                )
        return review

    def incident(self, *, status="open", severity="high", title="Surge of complaints"):
        now = timezone.now()
        self.n += 1
        with schema_context(self.clinic.schema_name):
            return Incident.objects.create(
                kind="surge",
                key=f"test-{self.n}",
                title=title,
                severity=severity,
                status=status,
                opened_at=now,
                last_detected_at=now,
                trigger={"explanation": "Test surge."},
            )


@pytest.fixture
def rows():
    return ClinicRows
