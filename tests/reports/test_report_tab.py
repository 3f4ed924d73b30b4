"""The staff Report tab at month-end: it opens on the month that can be sent, asks before it
e-mails the client (to whom, which month, when it went before), refuses a sending nobody would
receive, says when the schedule sends next and which month it will never send, and names each
week by the days of the month it holds, in the page, its chart and the PDF alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import ClinicMembership, ClinicRole, Notification
from core.errors import ValidationFailed
from reports.export import weekly_chart
from reports.models import ReportSending
from reports.selectors import monthly_report, week_label
from reports.services import report_send, report_settings_update, schedule_next
from tests.responses.conftest import review_in

SETUP = Actor.of_system("test", "Setup")
NOVEMBER = date(2026, 11, 1)
# 5 Dec 2026, 09:00 in New York: November is finished, outside the schedule's catch-up days
DEC_5 = datetime(2026, 12, 5, 14, tzinfo=UTC)
EXTRA = "board@practice.test"


@pytest.fixture
def new_york(clinic_a):
    """Clinic A in New York time, created in January 2026 (so November is one of its months)."""
    before = clinic_a.timezone, clinic_a.created_at
    clinic_a.timezone = "America/New_York"
    clinic_a.created_at = datetime(2026, 1, 5, tzinfo=UTC)
    clinic_a.save(update_fields=["timezone", "created_at"])  # the routing cache hears of it
    yield clinic_a
    clinic_a.timezone, clinic_a.created_at = before
    clinic_a.save(update_fields=["timezone", "created_at"])


@pytest.fixture
def on_dec_5(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: DEC_5)


def _nothing_sent():
    assert not ReportSending.objects.exists()
    assert not Notification.objects.filter(ref__startswith="report:").exists()


# --- F5: the tab opens on the month that can be sent -------------------------------------


def test_the_tab_opens_on_the_last_complete_month_and_links_the_one_in_progress(
    new_york, login, on_dec_5
):
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert "monthly report · November 2026</h1>" in html
    assert 'value="2026-11"' in html  # the picker, and the month the form sends
    assert '<input type="hidden" name="month" value="2026-11"><button type="submit">' in html
    assert '<a href="?month=2026-12">December 2026 (in progress)</a>' in html


def test_a_clinic_created_this_month_opens_on_it(new_york, login, on_dec_5):
    new_york.created_at = datetime(2026, 12, 2, tzinfo=UTC)
    new_york.save(update_fields=["created_at"])
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert "monthly report · December 2026 (in progress)</h1>" in html


def test_the_month_in_progress_says_so_and_points_to_the_one_to_send(new_york, login, on_dec_5):
    html = (
        login("alpha_manager")
        .get(f"/clinics/{new_york.slug}/report/", {"month": "2026-12"})
        .content.decode()
    )
    assert "monthly report · December 2026 (in progress)</h1>" in html
    assert 'action="/clinics/clinic-a/report/send/"' not in html
    assert '(<a href="?month=2026-11">send November 2026</a>)' in html


# --- F4: a confirmation that names the month and the recipients ---------------------------


def test_sending_asks_first_naming_the_month_and_every_recipient(
    new_york, world, login, mailoutbox, django_capture_on_commit_callbacks, on_dec_5
):
    report_settings_update(clinic=new_york, send_monthly=False, extra_recipients=EXTRA, actor=SETUP)
    client = login("alpha_manager")
    url = f"/clinics/{new_york.slug}/report/send/"
    asked = client.post(url, {"month": "2026-11"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Send the report for November 2026 to Clinic A?" in html
    approver = world.users["a_approver"]
    assert f"{approver.full_name} (a_approver@clinics.test), approver" in html
    assert f"{EXTRA}, from the report settings" in html
    assert "(2 addresses)" in html and "the clinic's 3 people" in html
    assert '<input type="hidden" name="confirm" value="yes">' in html
    assert "Nothing has been sent yet." in html
    _nothing_sent()
    assert mailoutbox == []
    # confirmed: sent
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"month": "2026-11", "confirm": "yes"})
    assert done.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(["a_approver@clinics.test", EXTRA])
    # "Send again" asks too, saying when and to whom it went
    again = client.post(url, {"month": "2026-11"}).content.decode()
    assert "Send the report for November 2026 to Clinic A again?" in again
    assert "It was already sent:" in again
    assert "2026-12-05 " in again  # when, in the page's time (the clock stands at 5 Dec)
    assert (
        f" by Alpha Manager, e-mailed to a_approver@clinics.test, {EXTRA}; 3 told in the portal."
        in again
    )
    assert ReportSending.objects.count() == 1 and len(mailoutbox) == 2


# --- F8: nobody to e-mail ----------------------------------------------------------------


def test_without_an_approver_or_an_address_sending_is_disabled_and_refused(
    new_york, login, mailoutbox, on_dec_5
):
    ClinicMembership.objects.filter(clinic=new_york, role=ClinicRole.APPROVER).delete()
    client = login("alpha_manager")
    html = client.get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert 'action="/clinics/clinic-a/report/send/"' not in html
    assert '<button type="button" disabled aria-describedby="no-recipient">' in html
    assert "Nobody would receive the report: the clinic has no approver" in html
    # the confirmation step and the sending refuse it alike, with the reason
    for data in ({"month": "2026-11"}, {"month": "2026-11", "confirm": "yes"}):
        response = client.post(f"/clinics/{new_york.slug}/report/send/", data)
        assert response.status_code == 302
        assert (
            "Nobody would receive the report" in client.get(response["Location"]).content.decode()
        )
    with schema_context(new_york.schema_name), pytest.raises(ValidationFailed) as refused:
        report_send(clinic=new_york, month=NOVEMBER, actor=SETUP, now=DEC_5)
    assert refused.value.code == "no_recipients"
    _nothing_sent()
    assert mailoutbox == []


def test_an_extra_address_alone_is_enough_to_send(new_york, login, on_dec_5):
    ClinicMembership.objects.filter(clinic=new_york, role=ClinicRole.APPROVER).delete()
    report_settings_update(clinic=new_york, send_monthly=False, extra_recipients=EXTRA, actor=SETUP)
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert 'action="/clinics/clinic-a/report/send/"' in html
    assert "Nobody would receive" not in html


# --- F25: when the schedule sends next, and what it will never send -----------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(DEC_5, (datetime(2027, 1, 1, 13, tzinfo=UTC), date(2026, 12, 1)), id="mid"),
        pytest.param(
            datetime(2026, 12, 1, 12, tzinfo=UTC),
            (datetime(2026, 12, 1, 13, tzinfo=UTC), NOVEMBER),
            id="1st-before-eight",
        ),
        pytest.param(
            datetime(2026, 12, 2, 12, tzinfo=UTC),
            (datetime(2026, 12, 2, 12, tzinfo=UTC), NOVEMBER),
            id="catch-up-unsent",
        ),
    ],
)
def test_the_next_automatic_sending(new_york, now, expected):
    at, month = schedule_next(new_york, now)
    assert (at, month) == expected


def test_the_page_says_when_the_schedule_sends_next_and_that_november_is_left_to_hand(
    new_york, login, on_dec_5
):
    report_settings_update(clinic=new_york, send_monthly=True, extra_recipients="", actor=SETUP)
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert "Next automatic sending: 1 Jan 2027, 08:00 EST (December 2026)." in html
    assert (
        "November 2026 will not be sent automatically: the schedule sends only last month's "
        "report, in the first days of the next month. Send it by hand with the button above."
    ) in html


# --- F6: weeks named by the days of the month they hold -----------------------------------


def test_a_week_is_named_by_its_days_in_the_month():
    assert week_label("2026-11-01", "2026-11-01") == "1 Nov"
    assert week_label("2026-11-02", "2026-11-08") == "2–8 Nov"


def test_the_page_the_chart_and_the_pdf_name_the_weeks_alike(new_york, login, on_dec_5):
    review_in(new_york, "csv", published_at=datetime(2026, 11, 1, 15, tzinfo=UTC))
    with schema_context(new_york.schema_name):
        report = monthly_report(clinic=new_york, month=NOVEMBER, now=DEC_5)
    labels = [w["label"] for w in report["weekly"]]
    assert labels == ["1 Nov", "2–8 Nov", "9–15 Nov", "16–22 Nov", "23–29 Nov", "30 Nov"]
    assert report["weekly"][0]["week_start"] == "2026-10-26"  # the API keeps the Monday
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    weekly = html[html.index('data-testid="report-weekly"') :]
    assert '<th scope="row">1 Nov</th><td data-label="Items">1</td>' in weekly
    assert "2026-10-26" not in weekly
    assert "each row shows the days of November 2026 it holds" in html
    chart = weekly_chart(report, "#123456")
    assert ">1 Nov</text>" in chart and "1 Nov: 1 items" in chart and "Oct" not in chart


def test_the_tabs_title_names_the_month(new_york, login, on_dec_5):
    # two tabs (or two entries of the history) of two months tell themselves apart
    client = login("alpha_manager")
    url = f"/clinics/{new_york.slug}/report/"
    default = client.get(url).content.decode()
    current = client.get(url, {"month": "2026-12"}).content.decode()
    assert f"<title>Monthly report · November 2026 · {new_york.name}</title>" in default
    assert (
        f"<title>Monthly report · December 2026 (in progress) · {new_york.name}</title>" in current
    )


def test_a_clinic_without_an_approver_is_not_said_to_have_them(new_york, login, on_dec_5):
    # walk 2: no approver, two extra addresses: "E-mails the clinic's approvers and 2 other
    # addresses (2 in all)"
    ClinicMembership.objects.filter(clinic=new_york, role=ClinicRole.APPROVER).update(
        role=ClinicRole.VIEWER
    )
    extra = f"{EXTRA}\nowner@practice.test"
    report_settings_update(clinic=new_york, send_monthly=False, extra_recipients=extra, actor=SETUP)
    html = login("alpha_manager").get(f"/clinics/{new_york.slug}/report/").content.decode()
    assert "E-mails the 2 addresses of the report settings (2 in all)" in html
    assert "the clinic's approvers" not in html
