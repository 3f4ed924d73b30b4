"""A calm clinic's inbox speaks no crisis: two ordinary complaints alike ("Parking is a
nightmare") are no "claim to answer", and nothing nudges the writer to pin a statement. Claims
come forward when something claim-like happens (misinformation, a repeated claim with a risk
flag) or while an incident runs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.models import Incident
from scoring.claims.services import claims_cluster
from scoring.models import ClaimMention
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in

INBOX = "/clinics/clinic-a/inbox/"
PARKING = "Parking is a nightmare but the care itself was good."


def _cluster(clinic, n: int, *, flags=()) -> int:
    """n negative mentions of the same complaint, scored with `flags` and clustered."""
    reviews = [review_in(clinic, "csv", text=PARKING) for _ in range(n)]
    with schema_context(clinic.schema_name):
        for review in reviews:
            score_add(
                review=review, model_version="t1", label="negative", score=-0.4,
                flags=[{"name": name, "evidence": ["x"], "probability": 0.9} for name in flags],
            )  # fmt: skip
        claims_cluster(review_ids=[r.pk for r in reviews], embed=None)
        [cluster_id] = set(
            ClaimMention.objects.filter(review__in=reviews).values_list("cluster_id", flat=True)
        )
    return cluster_id


def _incident(clinic, status: str) -> None:
    now = timezone.now()
    with schema_context(clinic.schema_name):
        Incident.objects.create(
            kind="surge", title="Surge of negative reviews", severity="high", status=status,
            opened_at=now - timedelta(hours=3), last_detected_at=now - timedelta(hours=1),
        )  # fmt: skip


def test_ordinary_complaints_alike_are_not_claims_to_answer(clinic_a, login):
    # given two ordinary complaints about parking, one claim cluster, no flag, no incident
    cluster_id = _cluster(clinic_a, 2)
    _incident(clinic_a, "resolved")  # one that is over does not count
    writer = login("alpha_writer")

    # then the inbox lists them as reviews, with no claims panel and no statement nudge
    page = writer.get(INBOX).content.decode()
    assert PARKING in page
    assert "Claims to answer" not in page and f'id="claim-{cluster_id}"' not in page
    assert "No statement is pinned" not in page and 'data-testid="answer-hint"' not in page


def test_while_an_incident_runs_repeated_complaints_come_forward(clinic_a, login):
    cluster_id = _cluster(clinic_a, 2)
    _incident(clinic_a, "open")
    page = login("alpha_writer").get(INBOX).content.decode()
    assert "Claims to answer" in page and f'id="claim-{cluster_id}"' in page
    assert "No statement is pinned" in page


def test_a_repeated_complaint_with_a_risk_flag_comes_forward(clinic_a, login):
    flagged = _cluster(clinic_a, 2, flags=("patient_safety",))
    page = login("alpha_writer").get(INBOX).content.decode()
    assert "Claims to answer" in page and f'id="claim-{flagged}"' in page
