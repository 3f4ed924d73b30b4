"""The agency's "Month across clinics" (`/agency/reports/month/`, its CSV and
`GET /api/v1/reports/months/`): one row per clinic whose figures are those of the clinic's own
monthly report for the same month, each clinic's month in its own time zone (items at the
months' edges fall in a different month in New York, Tokyo and Auckland); read in one statement
a clinic; for the agency's staff (every role, each over the clinics they reach) and its agency
keys; a month it cannot read is a 400 that lists nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import REPLY_TARGET_SETTING, SettingChange
from crisis.models import Incident
from feeds.models import Review, Source
from reports.selectors import monthly_report, months_across
from responses.models import ApprovalStatus, ReplyDraft
from tests.fixtures.rows import score_add

DEC_5 = datetime(2026, 12, 5, 14, tzinfo=UTC)
ZONES = {"a": "America/New_York", "b": "Asia/Tokyo", "c": "Pacific/Auckland"}
NOV, DEC, OCT = date(2026, 11, 1), date(2026, 12, 1), date(2026, 10, 1)


def _at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# (published, rating, [(label, score), ...] latest last, reply after minutes, status)
ITEMS = [
    (_at(1, 4, 30), 5, [("positive", 0.8)], None, "new"),  # NY: 31 Oct; Tokyo, Auckland: 1 Nov
    (_at(10, 15), 1, [("negative", -0.7)], 180, "new"),
    (_at(12, 9), 2, [("negative", -0.5)], 600, "new"),
    (_at(14, 9), 4, [("negative", -0.4), ("positive", 0.5)], None, "replied"),  # rescored
    (_at(20, 9), None, [("neutral", 0.0)], None, "resolved"),
    (_at(30, 20), 1, [("negative", -0.9)], 370, "new"),  # NY: 30 Nov; Tokyo: 1 Dec, reply too
    (_at(1, 3, month=12), 3, [("neutral", 0.1)], None, "new"),  # NY: 30 Nov 22:00
    (_at(15, 9, month=10), 2, [("negative", -0.6)], 90, "new"),
    (_at(28, 9, month=10), 5, [], None, "new"),  # never scored
    (_at(2, 9, month=12), 1, [("negative", -0.8)], 45, "new"),
]
INCIDENTS = [_at(15, 12), _at(30, 23, 30), _at(1, 2, month=12)]


def _fill(clinic) -> None:
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind="csv", name="Edge of month")
        for n, (published, rating, scores, reply_after, status) in enumerate(ITEMS):
            review = Review.objects.create(
                source=source, external_id=f"edge-{n}", rating=rating, text=f"item {n}",
                published_at=published, status=status,
            )  # fmt: skip
            for version, (label, value) in enumerate(scores):
                score_add(review=review, model_version=f"v{version}", label=label, score=value)
            if reply_after is not None:
                ReplyDraft.objects.create(
                    review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
                    published_at=published + timedelta(minutes=reply_after),
                )  # fmt: skip
        for n, opened in enumerate(INCIDENTS):
            Incident.objects.create(
                kind="surge", key=f"edge-{n}", title=f"Surge {n}", severity="high", trigger={},
                opened_at=opened, last_detected_at=opened,
            )  # fmt: skip


@pytest.fixture
def edge_clinics(world, clinic_a, clinic_b, monkeypatch, db):
    """Clinics A and B (Alpha's) and C (Beta's) in New York, Tokyo and Auckland, each with the
    same items at the months' edges; A's reply target went from 8 h to 4 h on 3 December."""
    clinic_c = world.clinics["c"]
    clinic_c.refresh_from_db()
    clinics = {"a": clinic_a, "b": clinic_b, "c": clinic_c}
    for key, clinic in clinics.items():
        clinic.timezone = ZONES[key]
        clinic.reply_target_minutes = 240 if key == "a" else 360
        clinic.save(update_fields=["timezone", "reply_target_minutes"])
        _fill(clinic)
    SettingChange.objects.create(
        created_at=_at(3, 10, month=12), agency_id=clinic_a.agency_id, clinic=clinic_a,
        area="sla", setting=REPLY_TARGET_SETTING, old_value="480", new_value="240",
        actor_label="system:test", actor_name="T", via="api",
    )  # fmt: skip
    monkeypatch.setattr(timezone, "now", lambda: DEC_5)
    return clinics


def _of_report(report: dict) -> dict:
    """The figures of a clinic's own monthly report that the table shows, named as it does."""
    rt, previous, change = report["response_time"], report["previous"], report["change"]
    return {
        "month": report["month"],
        "in_progress": report["in_progress"],
        "volume": report["volume"],
        "average_rating": report["average_rating"],
        "negative_share": report["sentiment"]["negative_share"],
        "answered": report["answered"]["reviews"],
        "answered_share": report["answered"]["share"],
        "replies": rt["replies"],
        "target_minutes": rt["target_minutes"],
        "target_counted": rt["target_counted"],
        "within_target": rt["within_target"],
        "within_target_share": rt["within_target_share"],
        "median_response_minutes": rt["median_minutes"],
        "previous": {
            key: previous[key]
            for key in ("month", "volume", "average_rating", "negative_share", "answered_share")
        }
        | {"median_response_minutes": previous["median_response_minutes"]},
        "change": {
            key: change[key]
            for key in (
                "volume",
                "volume_pct",
                "average_rating",
                "negative_share",
                "answered_share",
                "median_response_minutes",
            )
        },  # fmt: skip
    }


def _report(clinic, month: date) -> dict:
    with schema_context(clinic.schema_name):
        return _of_report(monthly_report(clinic=clinic, month=month))


def _opened(clinic, month: date) -> int:
    zone = ZoneInfo(clinic.timezone)
    return sum(1 for at in INCIDENTS if at.astimezone(zone).date().replace(day=1) == month)


@pytest.mark.parametrize("month", [NOV, DEC, OCT], ids=["november", "in-progress", "october"])
def test_each_row_is_the_clinics_own_monthly_report(edge_clinics, month):
    clinics = list(edge_clinics.values())
    rows = months_across(clinics, month)
    for clinic, row in zip(clinics, rows, strict=True):
        assert row["clinic"] == clinic
        expected = _report(clinic, month)
        assert {key: row[key] for key in expected} == expected, clinic.timezone
        assert row["incidents_opened"] == _opened(clinic, month), clinic.timezone
    # the months' edges fall differently: New York's November is not Tokyo's
    if month == NOV:
        a, b, c = rows
        assert (a["volume"], b["volume"], c["volume"]) == (7, 5, 5)
        assert (a["incidents_opened"], b["incidents_opened"]) == (3, 1)
        # A is read against the 8 h target November had, not today's 4 h
        assert (a["target_minutes"], b["target_minutes"]) == (480, 360)


def test_one_statement_a_clinic(edge_clinics):
    clinics = list(edge_clinics.values())
    with CaptureQueriesContext(connection) as queries:
        months_across(clinics, NOV)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # every clinic's reply target in one, then one statement a clinic
    assert len(reads) == 1 + len(clinics), reads


def _row_cells(html: str, slug: str) -> list[str]:
    row = re.search(rf'<tr data-clinic="{slug}">(.*?)</tr>', html, re.S)
    assert row, slug
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def test_the_page_the_csv_and_the_api_give_each_clinics_report(edge_clinics, login, api):
    a, b = edge_clinics["a"], edge_clinics["b"]
    analyst = login("alpha_analyst")
    page = analyst.get("/agency/reports/month/?month=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    for clinic in (a, b):
        report = _report(clinic, NOV)
        cells = _row_cells(html, clinic.slug)
        assert cells[0] == str(report["volume"])
        assert cells[2] == f"{report['average_rating']} ★"
        assert cells[8].startswith(f"{report['within_target']} of {report['target_counted']}")
        assert f'href="/clinics/{clinic.slug}/report/?month=2026-11"' in html
    assert "clinic-c" not in html  # Beta's

    download = analyst.get("/agency/reports/month/?month=2026-11&format=csv")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [line["clinic"] for line in lines] == [a.slug, b.slug]
    for clinic, line in zip((a, b), lines, strict=True):
        report = _report(clinic, NOV)
        text = {k: "" if v is None else str(v) for k, v in report.items() if k != "previous"}
        assert line["reviews"] == text["volume"]
        assert line["average_rating"] == text["average_rating"]
        assert line["negative_share"] == text["negative_share"]
        assert line["replied_share"] == text["answered_share"]
        assert line["within_target"] == text["within_target"]
        assert line["median_reply_minutes"] == text["median_response_minutes"]
        assert line["reviews_change"] == str(report["change"]["volume"])
        assert line["incidents_opened"] == str(_opened(clinic, NOV))

    body = api("key_alpha").get("/api/v1/reports/months/", {"month": "2026-11"}).json()
    assert [r["clinic"]["slug"] for r in body["results"]] == [a.slug, b.slug]
    for clinic, row in zip((a, b), body["results"], strict=True):
        expected = _report(clinic, NOV)
        assert {key: row[key] for key in expected} == expected
        assert row["clinic"]["timezone"] == clinic.timezone
        assert row["incidents_opened"] == _opened(clinic, NOV)


def test_the_api_pages_the_clinics(edge_clinics, api):
    first = api("key_alpha").get("/api/v1/reports/months/", {"month": "2026-11", "page_size": 1})
    body = first.json()
    assert [r["clinic"]["slug"] for r in body["results"]] == ["clinic-a"]
    second = api("key_alpha").get(body["next"]).json()
    assert [r["clinic"]["slug"] for r in second["results"]] == ["clinic-b"]
    assert second["next"] is None


def test_a_formula_in_a_clinic_name_is_written_as_text(clinic_b, login):
    clinic_b.name = '=HYPERLINK("http://evil.test")'
    clinic_b.save(update_fields=["name"])
    download = login("alpha_manager").get("/agency/reports/month/?format=csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [line["clinic_name"] for line in lines if line["clinic"] == "clinic-b"] == [
        '\'=HYPERLINK("http://evil.test")'
    ]


def test_it_opens_on_the_last_complete_month_and_sorts(edge_clinics, login):
    client = login("alpha_owner")
    html = client.get("/agency/reports/month/").content.decode()
    assert "Month across clinics · November 2026" in html
    by_reviews = client.get("/agency/reports/month/?month=2026-11&sort=-reviews").content
    order = re.findall(r'<tr data-clinic="([\w-]+)">', by_reviews.decode())
    assert order == ["clinic-a", "clinic-b"]  # 7 before 5
    ascending = client.get("/agency/reports/month/?month=2026-11&sort=reviews").content
    assert re.findall(r'<tr data-clinic="([\w-]+)">', ascending.decode()) == order[::-1]


@pytest.mark.parametrize("role", ["owner", "manager", "writer", "analyst"])
def test_every_staff_role_reads_it(role, login, api, clinic_a):
    assert login(f"alpha_{role}").get("/agency/reports/month/").status_code == 200
    answer = login(f"alpha_{role}").get("/api/v1/reports/months/")
    assert answer.status_code == 200
    assert [r["clinic"]["slug"] for r in answer.json()["results"]] == ["clinic-a", "clinic-b"]


def test_staff_limited_to_chosen_clinics_read_those_only(limit_to, login, clinic_b):
    limit_to("alpha_analyst", clinic_b)
    client = login("alpha_analyst")
    html = client.get("/agency/reports/month/").content.decode()
    assert re.findall(r'<tr data-clinic="([\w-]+)">', html) == ["clinic-b"]
    rows = client.get("/api/v1/reports/months/").json()["results"]
    assert [r["clinic"]["slug"] for r in rows] == ["clinic-b"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=2026-13", "month"),
        ("month=11-2026", "month"),
        ("month=2099-01", "month"),
        ("month=2026-10&month=2026-11", "month"),
        ("sort=colour", "sort"),
        ("format=xlsx", "format"),
    ],
)
def test_an_address_it_cannot_read_is_a_400_that_lists_nothing(query, field, login, clinic_a):
    page = login("alpha_analyst").get(f"/agency/reports/month/?{query}")
    assert page.status_code == 400
    html = page.content.decode()
    assert f"“{field}”" in html and 'data-clinic="' not in html
    download = login("alpha_analyst").get(f"/agency/reports/month/?{query}&format=csv")
    assert download.status_code == 400


@pytest.mark.parametrize("month", ["2026-13", "nov", "2099-01"])
def test_the_api_refuses_a_month_it_cannot_read(month, api, clinic_a):
    answer = api("key_alpha").get("/api/v1/reports/months/", {"month": month})
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["month"]


def test_an_empty_month_lists_every_clinic_with_nothing_to_compare(login, api, clinic_a):
    html = login("alpha_analyst").get("/agency/reports/month/?month=2026-06").content.decode()
    assert _row_cells(html, "clinic-a")[:4] == ["0", "+0", "–", "–"]
    rows = api("key_alpha").get("/api/v1/reports/months/", {"month": "2026-06"}).json()
    row = rows["results"][0]
    assert (row["volume"], row["average_rating"], row["median_response_minutes"]) == (0, None, None)
    assert (row["change"]["volume"], row["incidents_opened"]) == (0, 0)
