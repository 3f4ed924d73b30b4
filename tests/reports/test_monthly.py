"""The monthly report: exact numbers from known data, days in the clinic's time zone, the
previous month, response times; the API and its errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from reports.selectors import monthly_report, report_months
from responses.models import ApprovalStatus, ReplyDraft
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in


def _at(day: int, hour: int = 12, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _review(clinic, when, *, rating=None, label=None, score=None, reply_after=None):
    review = review_in(clinic, "csv", text=f"review at {when.isoformat()}", published_at=when)
    with schema_context(clinic.schema_name):
        if rating is not None:
            type(review).objects.filter(pk=review.pk).update(rating=rating)
        else:
            type(review).objects.filter(pk=review.pk).update(rating=None)
        if label is not None:
            # an older score first: the report must use the latest one
            score_add(review=review, model_version="old", label="neutral", score=0)
            score_add(review=review, model_version="new", label=label, score=score)
        if reply_after is not None:
            ReplyDraft.objects.create(
                review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
                published_at=when + reply_after,
            )  # fmt: skip
    return review


@pytest.fixture
def october(clinic_a):
    """Clinic A in New York time, with known items in September and October 2026."""
    before = clinic_a.timezone
    clinic_a.timezone = "America/New_York"
    clinic_a.save(update_fields=["timezone"])  # save(): the routing cache hears of it
    # October (EDT, UTC-4)
    _review(clinic_a, _at(1, 12), rating=5, label="positive", score=0.8,
            reply_after=timedelta(minutes=60))  # fmt: skip
    _review(clinic_a, _at(1, 15), rating=1, label="negative", score=-0.6,
            reply_after=timedelta(minutes=180))  # fmt: skip
    _review(clinic_a, _at(2, 12), rating=4, label="neutral", score=0.1)
    _review(clinic_a, _at(15, 12), label="negative", score=-0.4,
            reply_after=timedelta(hours=30))  # fmt: skip
    _review(clinic_a, _at(20, 12))  # not scored, no rating
    # 1 Nov 02:00 UTC is still 31 Oct in New York
    _review(clinic_a, datetime(2026, 11, 1, 2, tzinfo=UTC), rating=3, label="positive", score=0.2)
    # 1 Oct 03:00 UTC is 30 Sep in New York: September
    _review(clinic_a, datetime(2026, 10, 1, 3, tzinfo=UTC), rating=2, label="negative",
            score=-0.9, reply_after=timedelta(minutes=30))  # fmt: skip
    _review(clinic_a, _at(10, 12, month=9), rating=4, label="positive", score=0.5)
    deleted = _review(clinic_a, _at(5, 12), rating=1, label="negative", score=-1)
    with schema_context(clinic_a.schema_name):
        type(deleted).objects.filter(pk=deleted.pk).update(is_deleted=True)
    yield clinic_a
    clinic_a.timezone = before
    clinic_a.save(update_fields=["timezone"])


def test_the_report_counts_exactly_what_happened_in_the_clinics_month(october, api):
    response = api("key_a_read").get(
        f"/clinics/{october.slug}/api/v1/reports/monthly/", {"month": "2026-10"}
    )
    assert response.status_code == 200
    report = response.json()
    assert (report["month"], report["timezone"]) == ("2026-10", "America/New_York")
    # the clinic's month (New York, EDT), given in UTC as the whole API gives times
    assert report["start"] == "2026-10-01T04:00:00+00:00"
    assert report["end"] == "2026-11-01T04:00:00+00:00"
    assert (report["volume"], report["rated"]) == (6, 4)
    assert report["average_rating"] == 3.25  # (5 + 1 + 4 + 3) / 4
    assert report["sentiment"] == {
        "positive": 2, "neutral": 1, "negative": 2, "unscored": 1,
        "average_score": 0.02,  # (0.8 - 0.6 + 0.1 - 0.4 + 0.2) / 5
        "negative_share": 0.4,
        "average_score_words": "Neutral on balance",  # the page's "Average sentiment"
    }  # fmt: skip
    basis = report["response_time"].pop("basis")
    # "within the target" only over the replies the reply target counts (the 1★ one and the
    # unrated negative one): the 5★ thank-you has no clock (it counted as within: 2 of 3)
    assert report["response_time"] == {
        "replies": 3, "past_left_out": 0, "median_minutes": 180.0, "average_minutes": 680.0,
        "target_counted": 2, "within_target": 1, "within_target_share": 0.5,
        "target_minutes": 1440,
    }  # fmt: skip
    assert basis.startswith("Response time is measured only where the reply time is known: 3 ")
    # the three replied items were replied through Carewatch (tests/reports/test_answered.py)
    assert report["answered"] == {
        "reviews": 3, "share": 0.5, "through_carewatch": 3, "posted_by_hand": 0,
        "elsewhere": 0, "handled_privately": 0, "past_imported": 0,
    }  # fmt: skip
    days = {d["date"]: d for d in report["daily"]}
    assert len(report["daily"]) == 31
    assert days["2026-10-01"] | {} == {
        "date": "2026-10-01", "volume": 2, "rated": 2, "average_rating": 3.0,
        "average_score": 0.1, "positive": 1, "neutral": 0, "negative": 1, "answered": 2,
        "replies": 2, "median_response_minutes": 120.0,
    }  # fmt: skip
    assert days["2026-10-31"]["volume"] == 1 and days["2026-10-05"]["volume"] == 0
    # the reply to the 15 Oct review was published on 16 Oct
    assert days["2026-10-16"]["replies"] == 1 and days["2026-10-15"]["replies"] == 0
    weeks = report["weekly"]
    assert weeks[0]["week_start"] == "2026-09-28" and weeks[0]["days"] == 4
    assert sum(w["volume"] for w in weeks) == 6 and sum(w["days"] for w in weeks) == 31
    assert weeks[0]["average_rating"] == round((5 + 1 + 4) / 3, 2)
    assert report["in_progress"] is False
    assert report["compared"] == "October 2026 compared with September 2026"
    assert report["previous"] == {
        "month": "2026-09", "start": "2026-09-01T04:00:00+00:00",
        "end": "2026-10-01T04:00:00+00:00", "volume": 2, "average_rating": 3.0, "average_score": -0.2,
        "negative_share": 0.5, "answered": 1, "answered_share": 0.5, "replies": 1,
        "median_response_minutes": 30.0,
    }  # fmt: skip
    assert report["change"] == {
        "volume": 4, "volume_pct": 200.0, "average_rating": 0.25, "average_score": 0.22,
        "negative_share": -0.1, "answered_share": 0.0, "median_response_minutes": 150.0,
    }  # fmt: skip


def test_a_month_in_progress_is_compared_with_the_same_days_of_the_previous_one(october):
    # given: 5 November 2026, 07:43 UTC (02:43 in New York): five days of November so far
    _review(october, datetime(2026, 11, 2, 12, tzinfo=UTC), rating=1, label="negative", score=-1)
    _review(october, datetime(2026, 11, 5, 6, tzinfo=UTC), rating=5, label="positive", score=1)
    now = datetime(2026, 11, 5, 7, 43, tzinfo=UTC)
    # when
    with schema_context(october.schema_name):
        report = monthly_report(clinic=october, month=date(2026, 11, 1), now=now)
    # then it is month to date, against 1 October 00:00 → 5 October 02:43 (New York),
    # not against the whole of October (6 items)
    assert report["in_progress"] is True
    assert report["end"] == now.isoformat()
    assert report["compared"] == (
        "Month to date, 1–5 November 2026 (to 02:43), compared with the same days of October: "
        "1–5 October 2026 to the same time"
    )
    assert (report["previous"]["start"], report["previous"]["end"]) == (
        "2026-10-01T00:00:00-04:00",
        "2026-10-05T02:43:00-04:00",
    )
    assert (report["volume"], report["previous"]["volume"]) == (2, 3)
    assert (report["change"]["volume"], report["change"]["volume_pct"]) == (-1, -33.3)
    assert report["previous"]["replies"] == 2  # the replies published 1 October
    # no day after today, and no week that has not started
    assert [d["date"] for d in report["daily"]] == [f"2026-11-0{n}" for n in range(1, 6)]
    assert [(w["week_start"], w["days"]) for w in report["weekly"]] == [
        ("2026-10-26", 1),
        ("2026-11-02", 4),
    ]


def test_a_month_in_progress_never_reaches_past_the_previous_months_end(october):
    # 31 March against February: the whole of February, not days of March
    with schema_context(october.schema_name):
        report = monthly_report(
            clinic=october, month=date(2026, 3, 1), now=datetime(2026, 3, 31, 14, tzinfo=UTC)
        )
    assert report["previous"]["end"] == "2026-03-01T00:00:00-05:00"
    assert len(report["daily"]) == 31


def test_an_empty_month_has_zeros_and_no_averages(clinic_a, api):
    report = (
        api("key_a_read")
        .get(f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/", {"month": "2024-02"})
        .json()
    )
    assert report["volume"] == 0 and report["average_rating"] is None
    assert report["sentiment"]["average_score_words"] is None  # nothing scored: no words
    assert len(report["daily"]) == 29  # a leap year
    assert report["response_time"]["median_minutes"] is None
    assert report["change"]["volume_pct"] is None


def test_without_a_month_it_is_the_month_the_portal_opens_on(clinic_a, api, login):
    # (tests/reports/test_report_months.py pins the clock: the last complete month, in the
    # clinic's time zone; the month in progress for a clinic created in it, as clinic A is)
    report = api("key_a_read").get(f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/").json()
    page = login("a_viewer").get(f"/clinics/{clinic_a.slug}/portal/report/")
    with schema_context(clinic_a.schema_name):
        default = report_months(clinic_a).default
    assert report["month"] == page.context["month_value"] == f"{default:%Y-%m}"


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "Use the form YYYY-MM, for example 2026-11."),
     ("2026-1", "Use the form YYYY-MM, for example 2026-11."),
     ("october", "Use the form YYYY-MM, for example 2026-11."),
     ("1999-12", "Choose 2000-01 or later."),
     ("2999-01", "That month has not started yet.")],
    ids=["month-13", "one-digit", "words", "too-early", "future"],
)  # fmt: skip
def test_a_bad_month_is_400_with_a_field_message(month, message, clinic_a, api):
    response = api("key_a_read").get(
        f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/", {"month": month}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["fields"] == {"month": [message]}


def test_a_clinic_person_reads_it_and_an_outsider_cannot(clinic_a, login, api):
    url = f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/"
    assert login("a_viewer").get(url).status_code == 200
    assert api("key_b").get(url).status_code == 404
    assert api(None).get(url).status_code == 401


def test_the_openapi_document_describes_it_with_an_example(db):
    from django.test import Client

    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/clinics/{clinic}/api/v1/reports/monthly/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["month"]
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["examples"]["AMonth"]["value"]["month"] == "2026-10"
    bad = operation["responses"]["400"]["content"]["application/json"]["examples"]
    assert bad["ABadMonth"]["value"]["fields"] == {
        "month": ["Use the form YYYY-MM, for example 2026-11."]
    }

    def component(ref: str) -> dict:
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    report = component(content["schema"]["$ref"])
    sentiment = component(report["properties"]["sentiment"]["$ref"])["properties"]
    assert sentiment["average_score_words"]["type"] == "string"
    assert sentiment["average_score_words"]["nullable"] is True
    assert content["examples"]["AMonth"]["value"]["sentiment"]["average_score_words"] == (
        "Mostly positive"
    )


def test_the_api_says_the_average_sentiment_in_the_words_the_page_shows(clinic_a, api, login):
    # given a month where two very positive items outweigh three mildly negative ones: the
    # average reads "Mostly positive" (0.24) but most items are negative
    for day, label, score in (
        (3, "positive", 1.0), (4, "positive", 0.9),
        (5, "negative", -0.2), (6, "negative", -0.2), (7, "negative", -0.3),
    ):  # fmt: skip
        _review(clinic_a, datetime(2025, 9, day, 12, tzinfo=UTC), rating=3, label=label,
                score=score)  # fmt: skip
    # when
    report = api("key_a_read").get(
        f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/", {"month": "2025-09"}
    )
    page = login("a_approver", otp=False).get(
        f"/clinics/{clinic_a.slug}/portal/report/", {"month": "2025-09"}
    )
    # then the API gives the words beside the number, as the page says them
    sentiment = report.json()["sentiment"]
    assert (sentiment["average_score"], sentiment["negative_share"]) == (0.24, 0.6)
    assert sentiment["average_score_words"] == "Mixed: more negative than positive items"
    html = page.content.decode()
    kpi = html[html.index('<div data-kpi="sentiment">') :]
    kpi = kpi[: kpi.index("</div>")]
    assert f"<dd>{sentiment['average_score_words']}</dd>" in kpi


def test_the_agency_reads_the_clients_report_under_the_clinics_report_tab(october, login):
    manager = login("alpha_manager")
    page = manager.get(f"/clinics/{october.slug}/report/", {"month": "2026-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-current="page">Report</a>' in html
    # the figures the client reads in its portal, from the one template
    client = login("a_approver", otp=False).get(
        f"/clinics/{october.slug}/portal/report/", {"month": "2026-10"}
    )
    kpis = html[html.index('<dl class="kpis">') : html.index("</dl>")]
    portal = client.content.decode()
    assert kpis == portal[portal.index('<dl class="kpis">') : portal.index("</dl>")]
    assert "<dt>Reviews and mentions</dt><dd>6</dd>" in kpis
    assert f'href="/clinics/{october.slug}/portal/report/?month=2026-10">open the client' in html
    assert 'id="report-data"' in html and "chart-volume" in html
    # a month it cannot read: 400 with the reason, the form kept
    bad = manager.get(f"/clinics/{october.slug}/report/", {"month": "2026-13"})
    assert bad.status_code == 400
    assert "Use the form YYYY-MM" in bad.content.decode()
    assert 'value="2026-13"' in bad.content.decode()
