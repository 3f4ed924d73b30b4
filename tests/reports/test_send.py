"""Sending a month's report to the clinic: "Send to the clinic" on the staff Report tab (owners
and managers of the agency), and the schedule (the 1st at 08:00 clinic time, for clinics that
turned "send the monthly report automatically" on, never twice for a month). What goes out: a
branded e-mail with the headline figures, the portal link and the PDF to the clinic's approvers
and the report settings' extra addresses; in-app, "Your report for November 2026 is ready" to
every one of the clinic's people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor
from clinics.models import Clinic, Notification
from clinics.notifications import preference_set
from reports.models import ReportSending, ReportSettings
from reports.services import (
    monthly_report_send_scheduled,
    monthly_reports_due,
    report_settings_update,
    schedule_month_due,
)
from tests.responses.conftest import review_in

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up

NOVEMBER = date(2026, 11, 1)
EXTRA = "owner@practice.test"


def _last_month() -> date:
    return (timezone.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def zoned(clinic_a):
    """Clinic A in New York time (1 Dec 2026 08:00 EST is 13:00 UTC), with one review in
    November and the schedule on, with one extra address."""
    before = clinic_a.timezone
    clinic_a.timezone = "America/New_York"
    clinic_a.save(update_fields=["timezone"])  # save(): the routing cache hears of it
    review_in(clinic_a, "csv", published_at=datetime(2026, 11, 10, 15, tzinfo=UTC))
    report_settings_update(clinic=clinic_a, send_monthly=True, extra_recipients=EXTRA, actor=SETUP)
    yield Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
    clinic_a.timezone = before
    clinic_a.save(update_fields=["timezone"])


def _run(clinic, now, capture):
    with capture(execute=True):
        return monthly_report_send_scheduled(clinic_id=clinic.pk, now=now)


def test_the_schedule_sends_last_month_once_at_eight_clinic_time(
    zoned, world, mailoutbox, django_capture_on_commit_callbacks
):
    # before 08:00 in New York (12:59 UTC): nothing is due
    early = datetime(2026, 12, 1, 12, 59, tzinfo=UTC)
    assert monthly_reports_due(now=early) == []
    assert _run(zoned, early, django_capture_on_commit_callbacks) is False
    # 08:00 in New York: November is due, and goes out
    eight = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert (zoned.pk, zoned.schema_name, NOVEMBER) in monthly_reports_due(now=eight)
    assert _run(zoned, eight, django_capture_on_commit_callbacks) is True
    sending = ReportSending.objects.get(clinic=zoned)
    assert (sending.month, sending.automatic, sending.sent_by_name) == (
        NOVEMBER, True, "Monthly report schedule"
    )  # fmt: skip
    assert sending.emailed_to == ["a_approver@clinics.test", EXTRA]
    assert sending.told_in_app == 3  # a_approver, a_viewer, a_legal
    assert sorted(m.to[0] for m in mailoutbox) == sorted(sending.emailed_to)
    # a quarter of an hour later, and again in the catch-up days: never a second time
    for later in (eight + timedelta(minutes=15), eight + timedelta(days=2)):
        assert (zoned.pk, zoned.schema_name, NOVEMBER) not in monthly_reports_due(now=later)
        assert _run(zoned, later, django_capture_on_commit_callbacks) is False
    assert ReportSending.objects.filter(clinic=zoned).count() == 1
    assert len(mailoutbox) == 2
    assert Notification.objects.filter(clinic=zoned, ref="report:2026-11").count() == 3


def test_the_email_is_branded_with_the_figures_the_portal_link_and_the_pdf(
    zoned, mailoutbox, django_capture_on_commit_callbacks
):
    _run(zoned, datetime(2026, 12, 1, 13, tzinfo=UTC), django_capture_on_commit_callbacks)
    approver = next(m for m in mailoutbox if m.to == ["a_approver@clinics.test"])
    extra = next(m for m in mailoutbox if m.to == [EXTRA])
    assert approver.subject == "[Clinic A] Your report for November 2026 is ready"
    assert approver.from_email.startswith("Alpha Agency <")
    # an answer reaches the agency's support address, not the platform's sending address
    assert approver.reply_to == extra.reply_to == ["help@alpha.test"]
    # October is before the clinic's first item and its creation: nothing to compare with
    assert (
        "- Reviews and mentions received: 1 (no data for October 2026 to compare with)"
        in approver.body
    )
    assert "- Answered: 0 of 1 (0 %)" in approver.body
    assert "/clinics/clinic-a/portal/report/?month=2026-11" in approver.body
    # the extra address has no portal account: the PDF, no link to a page it cannot open
    assert "/portal/report/" not in extra.body
    for message in (approver, extra):
        ((name, content, kind),) = message.attachments
        assert (name, kind) == ("clinic-a-report-2026-11.pdf", "application/pdf")
        assert content.startswith(b"%PDF-")
        assert message.alternatives[0][1] == "text/html"


def test_the_schedule_never_resends_a_month_a_person_sent(
    zoned, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = ReportSending.objects.create(
            clinic=zoned, month=NOVEMBER, sent_by_label="user:1", sent_by_name="Alpha Manager"
        )
    assert sent.automatic is False
    eight = datetime(2026, 12, 1, 13, tzinfo=UTC)
    assert monthly_reports_due(now=eight) == []
    assert _run(zoned, eight, django_capture_on_commit_callbacks) is False
    assert ReportSending.objects.filter(clinic=zoned).count() == 1 and mailoutbox == []


@pytest.mark.parametrize(
    ("zone", "opens"),
    [
        pytest.param("UTC", datetime(2026, 12, 1, 8, tzinfo=UTC), id="utc"),
        pytest.param("Asia/Kolkata", datetime(2026, 12, 1, 2, 30, tzinfo=UTC), id="half-hour"),
        pytest.param("Pacific/Auckland", datetime(2026, 11, 30, 19, tzinfo=UTC), id="ahead"),
    ],
)
def test_the_report_is_due_at_eight_on_the_first_in_the_clinics_own_zone(zone, opens):
    clinic = Clinic(timezone=zone)
    assert schedule_month_due(clinic, opens - timedelta(minutes=1)) is None
    assert schedule_month_due(clinic, opens) == NOVEMBER
    assert schedule_month_due(clinic, opens + timedelta(days=3, minutes=-1)) == NOVEMBER
    # later than the catch-up days: a clinic that turns it on mid-month waits for the next 1st
    assert schedule_month_due(clinic, opens + timedelta(days=3)) is None


def test_off_by_default_nothing_is_sent(clinic_a, mailoutbox, django_capture_on_commit_callbacks):
    assert not ReportSettings.objects.filter(clinic=clinic_a).exists()
    eight = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert monthly_reports_due(now=eight) == []
    assert _run(clinic_a, eight, django_capture_on_commit_callbacks) is False
    assert not ReportSending.objects.exists() and mailoutbox == []


def test_a_manager_sends_a_finished_month_from_the_report_tab(
    clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    month = _last_month()
    client = login("alpha_manager")
    html = client.get(f"/clinics/{clinic_a.slug}/report/?month={month:%Y-%m}").content.decode()
    assert 'action="/clinics/clinic-a/report/send/"' in html
    assert "has not been sent to the clinic" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/clinics/{clinic_a.slug}/report/send/", {"month": f"{month:%Y-%m}", "confirm": "yes"}
        )
    assert response.status_code == 302
    sending = ReportSending.objects.get(clinic=clinic_a)
    assert (sending.month, sending.automatic, sending.sent_by_name) == (
        month, False, "Alpha Manager"
    )  # fmt: skip
    assert [m.to for m in mailoutbox] == [["a_approver@clinics.test"]]
    html = client.get(response["Location"]).content.decode()
    assert "1 e-mail with the PDF, 3 people told in the portal" in html
    assert "by Alpha Manager" in html and "Send again" in html


def test_an_approver_who_turned_emails_off_is_told_in_the_portal_only(
    clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    preference_set(user=world.users["a_approver"], email=False, in_app=True, digest="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_owner").post(
            f"/clinics/{clinic_a.slug}/report/send/",
            {"month": f"{_last_month():%Y-%m}", "confirm": "yes"},
        )
    assert mailoutbox == []
    assert ReportSending.objects.get(clinic=clinic_a).told_in_app == 3


@pytest.mark.parametrize("who", ["alpha_writer", "alpha_analyst", "a_approver"])
def test_only_the_agencys_owners_and_managers_send(clinic_a, login, mailoutbox, who):
    response = login(who).post(
        f"/clinics/{clinic_a.slug}/report/send/", {"month": f"{_last_month():%Y-%m}"}
    )
    assert response.status_code == 403
    assert not ReportSending.objects.exists() and mailoutbox == []
    assert not Notification.objects.filter(ref__startswith="report:").exists()


def test_a_month_in_progress_is_not_sent(clinic_a, login, mailoutbox):
    month = f"{timezone.now():%Y-%m}"
    client = login("alpha_manager")
    response = client.post(f"/clinics/{clinic_a.slug}/report/send/", {"month": month})
    assert response.status_code == 302
    assert not ReportSending.objects.exists() and mailoutbox == []
    html = client.get(response["Location"]).content.decode()
    assert "has not ended yet: its report is sent once it has." in html
