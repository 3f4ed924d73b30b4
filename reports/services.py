"""Sending a month's report to the clinic, by a person ("Send to the clinic" on the staff
Report tab) or on schedule (the 1st at 08:00 in the clinic's time zone, for clinics that chose
"send the monthly report automatically"), and the clinic's report settings.

A sending e-mails the clinic's approvers (those who take e-mails) and the extra addresses of
the clinic's report settings a short branded message with the month's headline figures, a link
to the portal report and the PDF attached; every one of the clinic's people is told in-app
("Your report for November 2026 is ready"). The PDF is attached, not only linked, because the
extra addresses (a practice owner, a board) have no portal account to follow a link with, and
because an agency's clients forward the document; it holds figures only, never a review's
words or a patient's name, so nothing private travels by e-mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import User
from agency.branding import brand_name, brand_palette, brand_reply_to, brand_sender
from clinics.history import settings_changed
from clinics.models import Clinic, ClinicMembership, ClinicRole, clinic_zone
from clinics.notifications import (
    absolute_url,
    mails_send_quietly,
    notifications_close,
    people_notify,
)
from clinics.preferences import NOW, email_when, preferences_for
from clinics.selectors import clinic_people
from core.errors import ValidationFailed
from core.mail import MailWithAlternatives
from core.settings_history import Setting, SettingArea
from core.text import one_line
from reports.export import month_words, report_filename, report_headlines, report_pdf
from reports.models import EXTRA_RECIPIENTS_MAX, ReportSending, ReportSettings
from reports.selectors import (
    monthly_report,
    next_month,
    previous_month,
    report_months,
    report_settings_get,
)

logger = logging.getLogger(__name__)

SCHEDULE_DAY, SCHEDULE_HOUR = 1, 8
# The schedule still sends last month's report this many days after the 1st (a beat that was
# down on the 1st catches up), never later: a clinic that turns the setting on mid-month gets
# its first report on the next 1st, not an old one at once.
SCHEDULE_CATCH_UP_DAYS = 3
SCHEDULE = Actor.of_system("reports", "Monthly report schedule")


def report_ref(month: date) -> str:
    return f"report:{month:%Y-%m}"


def portal_report_path(clinic: Clinic, month: date) -> str:
    return f"/clinics/{clinic.slug}/portal/report/?month={month:%Y-%m}"


def extra_recipients_clean(raw: str | list[str]) -> list[str]:
    """Addresses one per line or separated by commas, lower-cased, without repeats; a bad
    one, or more than EXTRA_RECIPIENTS_MAX, raises ValidationFailed naming it."""
    items = raw if isinstance(raw, list) else raw.replace(",", "\n").replace(";", "\n").split()
    found: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item or item in found:
            continue
        try:
            validate_email(item)
        except ValidationError:
            raise ValidationFailed(
                "Invalid address.",
                fields={"extra_recipients": [f"“{item[:80]}” is not an e-mail address."]},
            ) from None
        found.append(item)
    if len(found) > EXTRA_RECIPIENTS_MAX:
        raise ValidationFailed(
            "Too many addresses.",
            fields={"extra_recipients": [f"At most {EXTRA_RECIPIENTS_MAX} addresses."]},
        )
    return found


REPORT_SETTINGS = {
    "send_monthly": Setting(SettingArea.REPORTS, "Send the monthly report automatically"),
    "extra_recipients": Setting(SettingArea.REPORTS, "Also e-mail the report to"),
}


@transaction.atomic
def report_settings_update(
    *, clinic: Clinic, send_monthly: bool, extra_recipients: str | list[str], actor: Actor
) -> ReportSettings:
    """Change the clinic's report choices; each change is recorded in the settings history as
    `actor`'s. A bad address changes nothing."""
    row, _ = ReportSettings.objects.select_for_update().get_or_create(clinic=clinic)
    before = {"send_monthly": row.send_monthly, "extra_recipients": list(row.extra_recipients)}
    row.send_monthly = bool(send_monthly)
    row.extra_recipients = extra_recipients_clean(extra_recipients)
    row.save(update_fields=["send_monthly", "extra_recipients", "updated_at"])
    settings_changed(
        actor=actor,
        settings=REPORT_SETTINGS,
        before=before,
        after={"send_monthly": row.send_monthly, "extra_recipients": row.extra_recipients},
        clinic=clinic,
    )
    return row


@dataclass(frozen=True)
class Recipients:
    people: list[User]  # told in-app: every one of the clinic's people
    emailed_people: list[User]  # the approvers who take e-mails
    extra: list[str]  # the settings' extra addresses that are not already above
    approvers: list[User]  # every active approver, whether they take e-mails or not

    @property
    def addresses(self) -> list[str]:
        return [u.email for u in self.emailed_people] + self.extra


def report_recipients(clinic: Clinic) -> Recipients:
    """Who a sending reaches: in-app, the clinic's people; by e-mail, its approvers who take
    the monthly report by e-mail (their notification choice, `email_when`) and the extra
    addresses of the report settings."""
    people = clinic_people(clinic)
    approvers = [
        m.user
        for m in ClinicMembership.objects.filter(
            clinic=clinic, role=ClinicRole.APPROVER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__full_name", "pk")
    ]
    prefs = preferences_for(approvers)
    emailed = [
        u
        for u in approvers
        if u.email and email_when(prefs[u.pk], kind="report", waits=False) == NOW
    ]
    taken = {u.email.lower() for u in emailed}
    extra = [a for a in report_settings_get(clinic).extra_recipients if a.lower() not in taken]
    return Recipients(people=people, emailed_people=emailed, extra=extra, approvers=approvers)


def report_no_recipient(recipients: Recipients) -> str:
    """Why a sending would reach nobody by e-mail, or "" when it reaches someone: a clinic with
    no approver (the only one left) and no address in the report settings. An approver who
    turned e-mails off still counts: that is their choice, and the portal tells them."""
    if recipients.approvers or recipients.extra:
        return ""
    return (
        "Nobody would receive the report: the clinic has no approver and no address in its "
        "report settings. Add an approver to the clinic, or an address in the report settings, "
        "first."
    )


def month_finished(clinic: Clinic, month: date, now: datetime) -> bool:
    tz = clinic_zone(clinic)
    return datetime.combine(next_month(month), time.min, tzinfo=tz) <= now


def report_send_check(*, clinic: Clinic, month: date, now: datetime) -> Recipients:
    """Who a sending of `month` would reach now; ValidationFailed (400) for a month not finished
    yet and for a clinic with nobody to e-mail it to. `report_send` asks it, and the Report
    tab before it asks the person to confirm."""
    if not month_finished(clinic, month, now):
        raise ValidationFailed(
            f"{month_words(month)} has not ended yet: its report is sent once it has.",
            code="month_in_progress",
            fields={"month": ["Choose a month that has ended."]},
        )
    recipients = report_recipients(clinic)
    nobody = report_no_recipient(recipients)
    if nobody:
        raise ValidationFailed(
            nobody,
            code="no_recipients",
            fields={"recipients": ["No approver and no report address."]},
        )
    return recipients


def report_send(
    *,
    clinic: Clinic,
    month: date,
    actor: Actor,
    automatic: bool = False,
    now: datetime | None = None,
) -> ReportSending | None:
    """Send `month`'s report (its first day; a finished month) to the clinic: the e-mails go
    after commit and never fail the caller; the in-app messages and the `ReportSending` row in
    the same transaction. A person may send a month again (everyone is told again);
    `automatic=True` (the schedule) sends a month only if nobody sent it before, and returns
    None when it was. The connection must be in the clinic's schema. Refused (400) for a
    month not finished yet and for a clinic with nobody to send it to."""
    now = now or timezone.now()
    recipients = report_send_check(clinic=clinic, month=month, now=now)
    if automatic and _sent_before(clinic, month):
        return None
    report = monthly_report(clinic=clinic, month=month, now=now)
    path = portal_report_path(clinic, month)
    pdf = report_pdf(clinic=clinic, report=report, portal_url=absolute_url(path))
    headlines = report_headlines(
        report, brand=brand_name(clinic.agency), months=report_months(clinic, now=now)
    )
    title = f"Your report for {month_words(month)} is ready"
    with transaction.atomic():
        ReportSettings.objects.select_for_update().get_or_create(clinic=clinic)
        if automatic and _sent_before(clinic, month):
            return None
        try:
            with transaction.atomic():
                sending = ReportSending.objects.create(
                    clinic=clinic,
                    month=month,
                    automatic=automatic,
                    sent_by_label=actor.label[:100],
                    sent_by_name=actor.name[:200],
                    emailed_to=recipients.addresses,
                    figures={key: value for key, _label, value in headlines},
                )
        except IntegrityError:  # the schedule ran twice at once: the other one sends it
            return None
        ref = report_ref(month)
        notifications_close(clinic=clinic, ref=ref)
        told = people_notify(
            users=recipients.people,
            clinic=clinic,
            kind="report",
            ref=ref,
            title=title,
            url=path,
            email=False,  # the e-mail below carries the figures and the PDF
        )
        sending.told_in_app = len(told)
        sending.save(update_fields=["told_in_app", "updated_at"])
        messages = _messages(clinic, month, recipients, headlines, path, pdf, report)
        if messages:
            transaction.on_commit(lambda: mails_send_quietly(messages, what="monthly report"))
    return sending


def _sent_before(clinic: Clinic, month: date) -> bool:
    return ReportSending.objects.filter(clinic=clinic, month=month).exists()


def _messages(clinic, month, recipients, headlines, path, pdf, report) -> list:
    agency = clinic.agency
    agency_name = brand_name(agency)
    subject = one_line(f"[{clinic.name}] Your report for {month_words(month)} is ready")
    palette = brand_palette(agency.primary_colour)
    base = {
        "clinic": clinic,
        "agency_name": agency_name,
        "month_text": month_words(month),
        "headlines": headlines,
        "basis": report["response_time"]["basis"],
        "url": absolute_url(path),
        "palette": palette,
        "filename": report_filename(clinic, f"{month:%Y-%m}"),
    }
    people = [(u.email, u.full_name or u.email, True) for u in recipients.emailed_people]
    extra = [(address, "", False) for address in recipients.extra]
    messages = []
    for address, name, on_portal in people + extra:
        context = {**base, "name": name, "on_portal": on_portal}
        message = MailWithAlternatives(
            subject=subject[:250],
            body=render_to_string("reports/email/monthly_report.txt", context),
            from_email=brand_sender(agency),
            reply_to=brand_reply_to(agency) or None,
            to=[address],
        )
        message.attach_alternative(
            render_to_string("reports/email/monthly_report.html", context), "text/html"
        )
        message.attach(base["filename"], pdf, "application/pdf")
        messages.append(message)
    return messages


# --- the schedule -------------------------------------------------------------------------


def schedule_month_due(clinic: Clinic, now: datetime) -> date | None:
    """The month whose report the schedule owes `clinic` at `now`: last month, from the 1st
    at 08:00 in the clinic's time zone until SCHEDULE_CATCH_UP_DAYS later; None otherwise."""
    local = now.astimezone(clinic_zone(clinic))
    first = local.date().replace(day=SCHEDULE_DAY)
    opens = datetime.combine(first, time(SCHEDULE_HOUR), tzinfo=local.tzinfo)
    if not opens <= local < opens + timedelta(days=SCHEDULE_CATCH_UP_DAYS):
        return None
    return previous_month(first)


def schedule_next(clinic: Clinic, now: datetime) -> tuple[datetime, date]:
    """When the schedule next sends the clinic a report, in the clinic's time, and which month:
    within minutes while last month is due and unsent (the next beat), else the next 1st at
    08:00, with the month that ends then. Whether the setting is on is the caller's question."""
    local = now.astimezone(clinic_zone(clinic))
    due = schedule_month_due(clinic, now)
    if due is not None and not _sent_before(clinic, due):
        return local, due
    first = local.date().replace(day=SCHEDULE_DAY)
    opens = datetime.combine(first, time(SCHEDULE_HOUR), tzinfo=local.tzinfo)
    if opens <= local:
        first = next_month(first)
        opens = datetime.combine(first, time(SCHEDULE_HOUR), tzinfo=local.tzinfo)
    return opens, previous_month(first)


def monthly_reports_due(*, now: datetime | None = None) -> list[tuple[int, str, date]]:
    """(clinic id, schema, month) of every clinic with "send the monthly report automatically"
    on whose last month's report is due at `now` and was not sent yet. Reads the public schema
    only: the clinics that chose it, not every clinic."""
    now = now or timezone.now()
    due = []
    rows = ReportSettings.objects.filter(send_monthly=True, clinic__deactivated_at__isnull=True)
    for row in rows.select_related("clinic"):
        month = schedule_month_due(row.clinic, now)
        if month is not None and not _sent_before(row.clinic, month):
            due.append((row.clinic_id, row.clinic.schema_name, month))
    return due


def monthly_report_send_scheduled(*, clinic_id: int, now: datetime | None = None) -> bool:
    """Send last month's report to the clinic if the schedule owes it one now (the setting is
    on, it is due, nobody sent it yet). Safe to run any number of times: a month is sent once.
    Returns whether it sent."""
    now = now or timezone.now()
    clinic = Clinic.objects.select_related("agency").filter(pk=clinic_id).first()
    if clinic is None or clinic.is_deactivated or not report_settings_get(clinic).send_monthly:
        return False
    month = schedule_month_due(clinic, now)
    if month is None:
        return False
    with schema_context(clinic.schema_name):
        try:
            sent = report_send(clinic=clinic, month=month, actor=SCHEDULE, automatic=True, now=now)
        except ValidationFailed as exc:
            logger.warning("monthly report of %s not sent: %s", clinic.slug, exc.text())
            return False
    return sent is not None
