"""The clinic hears of a new month's report: "Your report for November 2026 is ready" among its
people's notifications (and in the banner until they open it), leading to the portal report of
that month, which offers its PDF; the portal's home says how much of this month was answered."""

from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic, Notification
from reports.services import report_send

NOVEMBER = date(2026, 11, 1)
REPORT = "/clinics/clinic-a/portal/report/?month=2026-11"


@pytest.fixture
def sent(clinic_a, world, django_capture_on_commit_callbacks):
    clinic = Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic.schema_name):
        report_send(clinic=clinic, month=NOVEMBER, actor=Actor(user=world.users["alpha_manager"]))
    return clinic


def test_the_portal_notifications_say_the_report_is_ready(sent, login, world):
    html = login("a_viewer").get("/clinics/clinic-a/portal/notifications/").content.decode()
    assert f'<a href="{REPORT}">Your report for November 2026 is ready</a>' in html
    row = Notification.objects.get(user=world.users["a_viewer"], ref="report:2026-11")
    assert (row.kind, row.open, row.url) == ("report", True, REPORT)


def test_opening_the_report_reads_the_message_and_offers_the_pdf(sent, login, world):
    html = login("a_viewer").get(REPORT).content.decode()
    assert 'href="/clinics/clinic-a/portal/report.pdf?month=2026-11"' in html
    mine = Notification.objects.get(user=world.users["a_viewer"], ref="report:2026-11")
    other = Notification.objects.get(user=world.users["a_approver"], ref="report:2026-11")
    assert (mine.open, mine.read_at is not None) == (False, True)
    assert other.open is True  # each person's own message


def test_sending_again_tells_them_again_once(sent, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), schema_context(sent.schema_name):
        report_send(clinic=sent, month=NOVEMBER, actor=Actor(user=world.users["alpha_owner"]))
    rows = Notification.objects.filter(user=world.users["a_viewer"], ref="report:2026-11")
    assert [r.open for r in rows.order_by("pk")] == [False, True]


def test_the_portal_home_says_how_much_was_answered(clinic_a, login):
    html = login("a_approver").get("/clinics/clinic-a/portal/").content.decode()
    assert "<dt>Answered</dt><dd>0 of 0</dd>" in html
