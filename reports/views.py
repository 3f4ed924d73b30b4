"""The monthly report as the agency reads it: under the clinic's Report tab, the same report the
clinic reads in its portal (one template, `reports/_monthly.html`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.views.generic.base import TemplateResponseMixin

from core.errors import ValidationFailed
from core.views import ClinicView
from reports.selectors import month_parse, monthly_report


class MonthlyReportView(TemplateResponseMixin, ClinicView):
    """One month of the clinic: volume, rating, sentiment, replies and response times against
    the month before, per week and per day; a month it cannot read is a 400 with the reason."""

    template_name = "reports/monthly.html"

    def get(self, request, *args, **kwargs):
        tz = ZoneInfo(self.clinic.timezone or "UTC")
        context = {"clinic": self.clinic, "portal": f"/clinics/{self.clinic.slug}/portal/"}
        try:
            month = month_parse(request.GET.get("month"), tz=tz)
        except ValidationFailed as exc:
            context.update(month_error=exc.text(), month_value=request.GET.get("month"))
            return self.render_to_response(context, status=400)
        report = monthly_report(clinic=self.clinic, month=month)
        return self.render_to_response(
            {**context, "report": report, "month_value": report["month"]}
        )
