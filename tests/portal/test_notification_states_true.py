"""Each line of the portal's notification history says what is true now: the monthly report is
for the person's information (never "waits for you"), and an incident's notice says where the
incident stands (open, acknowledged, resolved), not "done" once its alert closed."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from crisis.models import Incident, IncidentStatus

URL = "/clinics/clinic-a/portal/notifications/"


def _line(html: str, notice) -> str:
    item = html[html.index(f'id="notification-{notice.pk}"') :]
    return item[: item.index("</li>")]


def _told(user, clinic, title, **fields):
    return Notification.objects.create(
        user=user, clinic=clinic, title=title, url=fields.pop("url", "/"), **fields
    )


def test_the_report_ready_notice_is_for_information(world, clinic_a, login):
    # given: the report notice, still in the banner (not opened yet)
    viewer = world.users["a_viewer"]
    report = _told(viewer, clinic_a, "Your report for November 2026 is ready", kind="report",
                   ref="report:2026-11", url=REPORT)  # fmt: skip

    html = login("a_viewer", otp=False).get(URL).content.decode()

    line = _line(html, report)
    assert "waits for you" not in line
    assert "for your information, not opened yet" in line
    assert "Nothing waits for you at Clinic A." in html
    assert f'<li class="card" id="notification-{report.pk}">' in html


REPORT = "/clinics/clinic-a/portal/report/?month=2026-11"


def test_an_incident_notice_says_where_the_incident_stands(world, clinic_a, rows, login):
    # given: three incidents, each alerted to the approver (its alert closed once acknowledged)
    approver = world.users["a_approver"]
    made = rows(clinic_a)
    open_one, acked, resolved = (made.incident(title=t) for t in ("Open", "Acked", "Resolved"))
    with schema_context(clinic_a.schema_name):
        Incident.objects.filter(pk=acked.pk).update(
            status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(),
            acknowledged_by="Alpha Manager",
        )  # fmt: skip
        Incident.objects.filter(pk=resolved.pk).update(
            status=IncidentStatus.RESOLVED, resolved_at=timezone.now()
        )
    notices = {
        incident.pk: _told(
            approver,
            clinic_a,
            f"Critical incident: {incident.title}",
            kind="incident",
            ref=f"incident:{incident.pk}",
            open=incident is open_one,
            url=f"/clinics/clinic-a/incidents/{incident.pk}/",
        )  # fmt: skip
        for incident in (open_one, acked, resolved)
    }

    html = login("a_approver", otp=False).get(URL).content.decode()

    # then: each says the incident's state now, none "done"
    line = _line(html, notices[open_one.pk])
    assert "<strong>waits for you</strong>" in line
    assert "incident open, not acknowledged yet" in line
    line = _line(html, notices[acked.pk])
    assert "incident acknowledged by Alpha Manager, still open" in line
    assert "done" not in line
    line = _line(html, notices[resolved.pk])
    assert '<span data-testid="incident-state">incident resolved</span>' in line
    assert "done" not in line
