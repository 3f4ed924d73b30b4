"""The months a clinic's report offers (walk 15): the pickers start at the clinic's first month
with data (its creation month, in its time zone, or the first month of the history imported for
it) and end at the last complete month; a month before the clinic was created stays readable,
since imported history lives there (tests/reports/test_answered.py, tests/portal/test_pages.py),
and says honestly what it holds. The portal opens on the last complete month, as the staff tab
does, and labels the month in progress; an item answered without a reply through the agency
reads "before <brand> answered for the clinic", never "before <brand>"; the API refuses a
`month` given twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.branding import brand_name
from feeds.models import Review, ReviewStatus
from reports.export import report_context, report_headlines
from reports.selectors import ReportMonths, history_notice, monthly_report, report_months
from tests.responses.conftest import review_in

# 5 Dec 2026, 09:00 in New York: November is the last complete month
DEC_5 = datetime(2026, 12, 5, 14, tzinfo=UTC)
# 22:00 on 28 February in New York: the clinic's creation month is February, not March
CREATED = datetime(2026, 3, 1, 3, tzinfo=UTC)
# an item of the history imported for it, long before
IMPORTED = datetime(2025, 6, 14, 12, tzinfo=UTC)


@pytest.fixture
def new_york(clinic_a, monkeypatch):
    """Clinic A in New York time, created on 28 February 2026 (its time), on 5 December."""
    before = clinic_a.timezone, clinic_a.created_at
    clinic_a.timezone = "America/New_York"
    clinic_a.created_at = CREATED
    clinic_a.save(update_fields=["timezone", "created_at"])  # the routing cache hears of it
    monkeypatch.setattr(timezone, "now", lambda: DEC_5)
    yield clinic_a
    clinic_a.timezone, clinic_a.created_at = before
    clinic_a.save(update_fields=["timezone", "created_at"])


@pytest.fixture
def with_history(new_york):
    """An item imported as a past review in June 2025, answered on the platform."""
    review = review_in(new_york, "csv", text="a past review", published_at=IMPORTED)
    with schema_context(new_york.schema_name):
        Review.objects.filter(pk=review.pk).update(
            imported_as_past=True, status=ReviewStatus.REPLIED
        )
    return new_york


def _page(client, url: str, **query) -> tuple[int, str]:
    response = client.get(url, query)
    return response.status_code, response.content.decode()


# --- the months offered -------------------------------------------------------------------


def _months(since: date, first_item: date | None = None) -> ReportMonths:
    return ReportMonths(current=date(2026, 12, 1), since=since, first_item=first_item)


@pytest.mark.parametrize(
    ("months", "shown", "picker"),
    [
        pytest.param(_months(date(2026, 2, 28)), None, ("2026-02", "2026-11"), id="since"),
        pytest.param(
            _months(date(2026, 2, 28)), date(2026, 12, 1), ("2026-02", "2026-12"),
            id="showing-the-month-in-progress",
        ),
        pytest.param(
            _months(date(2026, 2, 28), date(2025, 6, 14)), None, ("2025-06", "2026-11"),
            id="imported-history",
        ),
        pytest.param(
            _months(date(2026, 2, 28), date(2026, 5, 2)), None, ("2026-02", "2026-11"),
            id="items-only-since",
        ),
        pytest.param(
            _months(date(2026, 12, 2)), None, ("2026-12", "2026-12"), id="created-this-month"
        ),
        pytest.param(
            _months(date(2026, 12, 2), date(2026, 10, 3)), None, ("2026-10", "2026-11"),
            id="created-this-month-with-history",
        ),
    ],
)  # fmt: skip
def test_the_picker_offers_from_the_first_month_with_data_to_the_last_complete_one(
    months, shown, picker
):
    assert months.picker(shown) == {"min": picker[0], "max": picker[1]}


@pytest.mark.parametrize(
    ("since", "default"),
    [
        pytest.param(date(2026, 2, 28), date(2026, 11, 1), id="older-clinic"),
        pytest.param(date(2026, 11, 30), date(2026, 11, 1), id="created-last-month"),
        pytest.param(date(2026, 12, 1), date(2026, 12, 1), id="created-on-the-1st"),
    ],
)
def test_the_report_opens_on_the_last_complete_month_where_the_clinic_had_one(since, default):
    assert _months(since).default == default


def test_a_clinic_created_this_month_with_imported_history_opens_on_last_month():
    # walk 2: a clinic onboarded on 2 December with its October and November history has a
    # complete month to report and send: November, not 1-2 December
    assert _months(date(2026, 12, 2), date(2026, 10, 3)).default == date(2026, 11, 1)
    # an item of this month only (nothing imported from before): the month in progress
    assert _months(date(2026, 12, 2), date(2026, 12, 3)).default == date(2026, 12, 1)


def test_the_months_are_read_in_the_clinics_time_zone(with_history):
    with schema_context(with_history.schema_name):
        months = report_months(with_history)
    assert months == ReportMonths(
        current=date(2026, 12, 1), since=date(2026, 2, 28), first_item=date(2025, 6, 14)
    )


# --- what a month before the clinic holds ---------------------------------------------------


def test_a_month_before_the_clinic_says_what_it_holds(with_history):
    brand, name = brand_name(with_history.agency), with_history.name
    with schema_context(with_history.schema_name):
        months = report_months(with_history)

    def notice(first: date) -> str:
        return history_notice(months, first, clinic_name=name, brand=brand)

    assert notice(date(2026, 2, 1)) == ""  # the creation month (28 February, its time)
    assert notice(date(2026, 11, 1)) == ""
    assert (
        notice(date(2025, 6, 1))
        == notice(date(2026, 1, 1))
        == (
            f"{brand} began reporting on {name} on 28 February 2026: the figures before that come "
            "only from the history imported for it, which begins on 14 June 2025 (no data before)."
        )
    )
    assert notice(date(2025, 5, 1)) == (
        f"No data before 14 June 2025, the earliest item imported for {name} ({brand} began "
        "reporting on it on 28 February 2026)."
    )


def test_a_clinic_without_imported_history_has_no_data_before_it(new_york, login):
    brand = brand_name(new_york.agency)
    status, html = _page(
        login("alpha_manager"), f"/clinics/{new_york.slug}/report/", month="2026-01"
    )
    assert status == 200  # still readable: an import may fill it later
    assert (
        f"No data before 28 February 2026: {brand} began reporting on {new_york.name} then, "
        "and no earlier history was imported." in html
    )
    assert 'min="2026-02" max="2026-11"' in html


@pytest.mark.parametrize(
    ("who", "path"),
    [
        pytest.param("alpha_manager", "report/", id="staff-tab"),
        pytest.param("a_viewer", "portal/report/", id="portal"),
    ],
)
def test_both_pages_offer_the_imported_months_and_say_what_they_hold(
    with_history, login, who, path
):
    client = login(who)
    url = f"/clinics/{with_history.slug}/{path}"
    status, html = _page(client, url, month="2025-06")
    assert status == 200
    assert 'value="2025-06" min="2025-06" max="2026-11"' in html
    assert "<dt>Reviews and mentions</dt><dd>1</dd>" in html
    assert "the history imported for it, which begins on 14 June 2025" in html
    # a month of its own has no notice
    status, html = _page(client, url, month="2026-10")
    assert status == 200 and 'data-testid="report-history"' not in html
    # a month it cannot read keeps the picker's months
    status, html = _page(client, url, month="2026-13")
    assert status == 400 and 'min="2025-06" max="2026-11"' in html


def test_the_pdf_says_it_too(with_history):
    with schema_context(with_history.schema_name):
        report = monthly_report(clinic=with_history, month=date(2025, 5, 1))
        context = report_context(clinic=with_history, report=report, portal_url="https://x.test")
    assert context["history_notice"].startswith("No data before 14 June 2025, the earliest item")


# --- the portal opens on the last complete month ---------------------------------------------


def test_the_portal_opens_on_the_last_complete_month_and_labels_the_one_in_progress(
    new_york, login
):
    status, html = _page(login("a_viewer"), f"/clinics/{new_york.slug}/portal/report/")
    assert status == 200
    assert "<h1>Monthly report · November 2026</h1>" in html
    assert 'value="2026-11"' in html
    assert "November 2026 compared with October 2026" in html
    assert '<a href="?month=2026-12">December 2026 (in progress)</a>' in html
    assert 'href="/clinics/clinic-a/portal/report.pdf?month=2026-11"' in html


def test_the_portal_labels_the_month_in_progress_when_it_shows_it(new_york, login):
    status, html = _page(
        login("a_viewer"), f"/clinics/{new_york.slug}/portal/report/", month="2026-12"
    )
    assert status == 200
    assert "<h1>Monthly report · December 2026 (in progress)</h1>" in html
    assert "<title>Monthly report · December 2026 (in progress) ·" in html
    assert (
        "December 2026 is in progress: its figures are month to date. Last complete month: "
        '<a href="?month=2026-11">November 2026</a>.' in html
    )
    assert 'value="2026-12" min="2026-02" max="2026-12"' in html


def test_a_clinic_created_this_month_opens_on_it_in_the_portal(new_york, login):
    new_york.created_at = datetime(2026, 12, 2, tzinfo=UTC)
    new_york.save(update_fields=["created_at"])
    status, html = _page(login("a_viewer"), f"/clinics/{new_york.slug}/portal/report/")
    assert status == 200
    assert "<h1>Monthly report · December 2026 (in progress)</h1>" in html


@pytest.mark.parametrize("path", ["report.pdf", "portal/report.pdf"], ids=["staff", "portal"])
def test_the_pdf_without_a_month_is_the_month_the_pages_open_on(new_york, login, path):
    # on 5 December, without ?month=: November, the last complete month, as the pages show
    who = "alpha_manager" if path == "report.pdf" else "a_viewer"
    response = login(who).get(f"/clinics/{new_york.slug}/{path}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{new_york.slug}-report-2026-11.pdf"'
    )
    # a clinic created in the month in progress has only that month: its PDF is that one
    new_york.created_at = datetime(2026, 12, 2, tzinfo=UTC)
    new_york.save(update_fields=["created_at"])
    response = login(who).get(f"/clinics/{new_york.slug}/{path}", {"month": ""})
    assert response["Content-Disposition"] == (
        f'attachment; filename="{new_york.slug}-report-2026-12.pdf"'
    )


# --- "before <brand>" reads as what it is ----------------------------------------------------


def test_items_answered_elsewhere_say_before_whom_answered_in_every_output(with_history, login):
    brand = brand_name(with_history.agency)
    words = f"on the platform directly or before {brand} answered for the clinic"
    with schema_context(with_history.schema_name):
        report = monthly_report(clinic=with_history, month=date(2025, 6, 1))
    # the e-mail's and the PDF's headline
    answered = {key: value for key, _label, value in report_headlines(report, brand=brand)}
    assert answered["answered"] == f"1 of 1 (100 %): 0 through {brand}, 1 {words}"
    # the response time's basis (page, PDF, e-mail, API)
    assert f"Reviews answered {words} count as answered" in report["response_time"]["basis"]
    # the page
    status, html = _page(
        login("a_viewer"), f"/clinics/{with_history.slug}/portal/report/", month="2025-06"
    )
    assert status == 200
    assert f"0 published through {brand}, 1 {words}</dd>" in html
    assert f"or answered {words}." in html
    assert f"before {brand}," not in html and f"before {brand}." not in html


# --- the API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        pytest.param("month=2026-10&month=2026-11", {"month": ["Give one value."]}, id="twice"),
        pytest.param("month=2026-10&month=2026-10", {"month": ["Give one value."]}, id="same-twice"),
        pytest.param("month=2026-10&months=2026-11", {"months": ["Unknown parameter."]},
                     id="unknown"),
    ],
)  # fmt: skip
def test_the_api_refuses_a_month_given_twice(clinic_a, api, query, fields):
    response = api("key_a_read").get(f"/clinics/{clinic_a.slug}/api/v1/reports/monthly/?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("alpha_manager", "report/"),
        ("alpha_manager", "report.pdf"),
        ("a_viewer", "portal/report/"),
        ("a_viewer", "portal/report.pdf"),
    ],
)
def test_the_pages_read_the_month_as_the_api_does(new_york, login, who, path):
    # walk 2: given twice, the API refused and the pages showed the last one (October)
    client = login(who)
    url = f"/clinics/{new_york.slug}/{path}"
    response = client.get(f"{url}?month=2026-11&month=2026-10")
    assert response.status_code == 400
    assert "Give one value." in response.content.decode()
    # spaces only: the month the pages open on, as the API answers (it was a 400 here)
    response = client.get(url, {"month": "  "})
    assert response.status_code == 200
    if path.endswith(".pdf"):
        assert response["Content-Disposition"].endswith('-report-2026-11.pdf"')
    else:
        assert response.context["month_value"] == "2026-11"


def test_the_api_still_reads_one_month_and_a_month_before_the_clinic(with_history, api):
    url = f"/clinics/{with_history.slug}/api/v1/reports/monthly/"
    report = api("key_a_read").get(url, {"month": "2025-06", "format": "json"})
    assert report.status_code == 200
    assert (report.json()["month"], report.json()["volume"]) == ("2025-06", 1)
    # an empty month is no month, as on the pages: the last complete month
    assert api("key_a_read").get(url, {"month": ""}).json()["month"] == "2026-11"


# --- the API's default month is the pages' ---------------------------------------------------


def _opened_on(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["month_value"]


def test_without_a_month_the_api_answers_the_month_the_pages_open_on(new_york, api, login):
    # given 5 December in New York, a clinic created in February: November is complete
    url = f"/clinics/{new_york.slug}/api/v1/reports/monthly/"
    # when the API is asked without a month
    report = api("key_a_read").get(url).json()
    # then it is November, whole, as the staff tab and the portal open on
    assert (report["month"], report["in_progress"]) == ("2026-11", False)
    assert (report["start"], report["end"]) == (
        "2026-11-01T04:00:00+00:00",  # the clinic's midnights, in UTC as the API gives times
        "2026-12-01T05:00:00+00:00",
    )
    assert report["compared"] == "November 2026 compared with October 2026"
    assert _opened_on(login("alpha_manager"), f"/clinics/{new_york.slug}/report/") == "2026-11"
    assert _opened_on(login("a_viewer"), f"/clinics/{new_york.slug}/portal/report/") == "2026-11"
    # and the month in progress is still answered when asked for
    current = api("key_a_read").get(url, {"month": "2026-12"}).json()
    assert (current["month"], current["in_progress"]) == ("2026-12", True)


def test_the_clinics_time_zone_decides_which_month_is_complete(new_york, api, monkeypatch):
    # given 1 December 03:00 UTC: still 30 November, 22:00, in New York
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 3, tzinfo=UTC))
    url = f"/clinics/{new_york.slug}/api/v1/reports/monthly/"
    # when / then: November is in progress there, so October is the last complete month
    report = api("key_a_read").get(url).json()
    assert (report["month"], report["in_progress"]) == ("2026-10", False)
    assert report["end"] == "2026-11-01T04:00:00+00:00"
    # and December has not started in New York yet
    response = api("key_a_read").get(url, {"month": "2026-12"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"month": ["That month has not started yet."]}
    assert api("key_a_read").get(url, {"month": "2026-11"}).json()["in_progress"] is True


def test_a_clinic_created_this_month_with_history_opens_on_last_month_everywhere(
    with_history, api, login
):
    # given a clinic created on 2 December (its time) with history imported from June 2025
    with_history.created_at = datetime(2026, 12, 2, 15, tzinfo=UTC)
    with_history.save(update_fields=["created_at"])
    slug = with_history.slug
    # when / then the API, the staff tab, the portal and the PDF open on November
    report = api("key_a_read").get(f"/clinics/{slug}/api/v1/reports/monthly/").json()
    assert (report["month"], report["in_progress"]) == ("2026-11", False)
    assert _opened_on(login("alpha_manager"), f"/clinics/{slug}/report/") == "2026-11"
    assert _opened_on(login("a_viewer"), f"/clinics/{slug}/portal/report/") == "2026-11"
    response = login("alpha_manager").get(f"/clinics/{slug}/report.pdf")
    assert response["Content-Disposition"] == f'attachment; filename="{slug}-report-2026-11.pdf"'


def test_a_clinic_created_this_month_opens_on_the_month_in_progress(new_york, api, login):
    # given a clinic created on 2 December (its time): it has no complete month yet
    new_york.created_at = datetime(2026, 12, 2, 15, tzinfo=UTC)
    new_york.save(update_fields=["created_at"])
    url = f"/clinics/{new_york.slug}/api/v1/reports/monthly/"
    # when / then the API answers the month in progress, as the pages open on it
    report = api("key_a_read").get(url).json()
    assert (report["month"], report["in_progress"]) == ("2026-12", True)
    assert _opened_on(login("a_viewer"), f"/clinics/{new_york.slug}/portal/report/") == "2026-12"
