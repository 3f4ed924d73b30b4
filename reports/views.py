"""The monthly report as the agency reads it: under the clinic's Report tab, the same report the
clinic reads in its portal (one template, `reports/_monthly.html`), its PDF, "Send to the
clinic", and the clinic's report settings page."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.generic.base import TemplateResponseMixin

from agency.branding import brand_name
from agency.forms import apply_domain_errors
from clinics.models import clinic_zone
from clinics.paused import clinic_read_only
from clinics.views import SettingsView
from core.errors import DomainError, ValidationFailed
from core.permissions import Permission
from core.views import ClinicView
from reports.export import month_words, report_filename, report_pdf
from reports.forms import ReportSettingsForm
from reports.selectors import (
    history_notice,
    month_parse,
    month_query,
    monthly_report,
    previous_month,
    report_comparison,
    report_months,
    report_sendings,
    report_settings_get,
)
from reports.services import (
    month_finished,
    portal_report_path,
    report_no_recipient,
    report_recipients,
    report_send,
    report_send_check,
    report_settings_update,
    schedule_next,
)


class MonthlyReportView(TemplateResponseMixin, ClinicView):
    """One month of the clinic: volume, rating, sentiment, answers and response times against
    the month before, per week and per day; a month it cannot read is a 400 with the reason.
    Owners and managers send a finished month to the clinic from here. Without `?month=` it
    opens on the last complete month, the one that can be sent (the month in progress for a
    clinic created in it); the month in progress is one link away."""

    template_name = "reports/monthly.html"
    portal_path = "portal/report/"

    def get(self, request, *args, **kwargs):
        base = f"/clinics/{self.clinic.slug}/"
        context = {"clinic": self.clinic, "portal": f"{base}portal/"}
        now = timezone.now()
        tz = clinic_zone(self.clinic)
        months = report_months(self.clinic, now=now)
        current = months.current
        try:
            asked = month_query(request.GET)
            month = month_parse(asked, tz=tz)
        except ValidationFailed as exc:
            context.update(
                month_error=exc.text(),
                month_value=request.GET.get("month"),
                month_picker=months.picker(),
            )
            return self.render_to_response(context, status=400)
        if not asked:
            month = months.default  # the month that can be sent, where the clinic existed in it
        report = monthly_report(clinic=self.clinic, month=month)
        can_send = self.access.is_agency_staff and self.access.can(Permission.MANAGE)
        recipients = report_recipients(self.clinic) if can_send else None
        report_settings = report_settings_get(self.clinic)
        next_at, next_month_sent = schedule_next(self.clinic, now)
        return self.render_to_response(
            {
                **context,
                "report": report,
                "comparison": report_comparison(report),
                "month_value": report["month"],
                "month_picker": months.picker(month),
                "history_notice": history_notice(
                    months,
                    month,
                    clinic_name=self.clinic.name,
                    brand=brand_name(self.clinic.agency),
                ),
                "month_text": month_words(month),
                "pdf_url": f"{base}report.pdf?month={report['month']}",
                # for the agency's integrators; the clinic's copy in the portal leaves it out
                "api_url": f"{base}api/v1/reports/monthly/?month={report['month']}",
                "can_send": can_send,
                "read_only": clinic_read_only(self.clinic),
                "recipients": recipients,
                "no_recipient": report_no_recipient(recipients) if recipients else "",
                "finished": month_finished(self.clinic, month, now),
                "sendings": report_sendings(self.clinic, month),
                "report_settings": report_settings,
                "settings_url": f"{base}settings/report/",
                "current_month": f"{current:%Y-%m}",
                "current_text": month_words(current),
                "last_month": f"{previous_month(current):%Y-%m}",
                "last_text": month_words(previous_month(current)),
                "next_text": (
                    "within a quarter of an hour"
                    if next_at <= now
                    else next_at.strftime("%-d %b %Y, %H:%M %Z")
                ),
                "next_month_text": month_words(next_month_sent),
                "sent_automatically": month == next_month_sent,
            }
        )


class MonthlyReportPdfView(ClinicView):
    """The month's report as its branded, tagged PDF (`?month=YYYY-MM`; without it, the
    month the report pages open on: the last complete month, or the month in progress for a
    clinic created in it, `ReportMonths.default`), from the agency's Report tab;
    `PortalMonthlyReportPdfView` serves it in the portal."""

    portal_path = "portal/report/"

    def get(self, request, *args, **kwargs):
        try:
            asked = month_query(request.GET)
            month = month_parse(asked, tz=clinic_zone(self.clinic))
        except ValidationFailed as exc:
            return HttpResponseBadRequest(exc.text(), content_type="text/plain; charset=utf-8")
        if not asked:
            month = report_months(self.clinic).default
        report = monthly_report(clinic=self.clinic, month=month)
        portal_url = request.build_absolute_uri(portal_report_path(self.clinic, month))
        pdf = report_pdf(clinic=self.clinic, report=report, portal_url=portal_url)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{report_filename(self.clinic, report["month"])}"'
        )
        return response


class PortalMonthlyReportPdfView(MonthlyReportPdfView):
    """The same PDF under the portal's path, where the clinic's people download it."""

    staff_page = False


class MonthlyReportSendView(ClinicView):
    """POST `month`: "Send to the clinic", for the agency's owners and managers. It e-mails
    the client, so it asks first: without `confirm=yes` it shows who gets which month (and
    when it was sent before) and sends nothing."""

    write_permission = Permission.MANAGE

    def post(self, request, *args, **kwargs):
        if not self.access.is_agency_staff:
            raise PermissionDenied("Reports are sent by the agency.")
        tz = clinic_zone(self.clinic)
        raw = request.POST.get("month", "")
        back = f"/clinics/{self.clinic.slug}/report/?month={raw}"
        try:
            month: date = month_parse(raw, tz=tz)
            if request.POST.get("confirm") != "yes":
                recipients = report_send_check(clinic=self.clinic, month=month, now=timezone.now())
                return render(
                    request,
                    "reports/send_confirm.html",
                    {
                        "clinic": self.clinic,
                        "month_value": f"{month:%Y-%m}",
                        "month_text": month_words(month),
                        "recipients": recipients,
                        "sendings": report_sendings(self.clinic, month),
                        "cancel": back,
                    },
                )
            sending = report_send(clinic=self.clinic, month=month, actor=request.actor)
        except DomainError as exc:
            messages.error(request, exc.text())
            return HttpResponseRedirect(back)
        emailed = len(sending.emailed_to)
        messages.success(
            request,
            f"The report for {month_words(month)} was sent: {emailed} e-mail"
            f"{'' if emailed == 1 else 's'} with the PDF, {sending.told_in_app} "
            f"{'person' if sending.told_in_app == 1 else 'people'} told in the portal.",
        )
        return HttpResponseRedirect(back)


class ReportSettingsView(SettingsView):
    """The clinic's monthly report: sent automatically or not, and to which other addresses."""

    template_name = "reports/settings_report.html"
    section = "report"

    def get(self, request, *args, **kwargs):
        row = report_settings_get(self.clinic)
        initial = {
            "send_monthly": row.send_monthly,
            "extra_recipients": "\n".join(row.extra_recipients),
        }
        return self.render(form=ReportSettingsForm(initial=initial))

    def post(self, request, *args, **kwargs):
        self.staff_only()
        form = ReportSettingsForm(request.POST)
        if form.is_valid():
            try:
                report_settings_update(clinic=self.clinic, actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Report settings saved.")
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form)
