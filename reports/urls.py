"""Report routes inside a clinic; `api_patterns` go under api/v1/ (config.urls_tenant).
`staff_patterns` go under /agency/ (the month across clinics) and `agency_api_patterns` under
the agency-wide /api/v1/ (config.urls_public)."""

from django.urls import path

from reports.apis import ReportMonthlyApi, ReportMonthsAcrossApi
from reports.views import (
    MonthlyReportPdfView,
    MonthlyReportSendView,
    MonthlyReportView,
    PortalMonthlyReportPdfView,
    ReportSettingsView,
)
from reports.views_months import MonthAcrossClinicsView

page_patterns: list = [
    path("report/", MonthlyReportView.as_view(), name="report-page"),
    path("report.pdf", MonthlyReportPdfView.as_view(), name="report-pdf"),
    path("report/send/", MonthlyReportSendView.as_view(), name="report-send"),
    path("portal/report.pdf", PortalMonthlyReportPdfView.as_view(), name="portal-report-pdf"),
    path("settings/report/", ReportSettingsView.as_view(), name="clinic-settings-report"),
]

api_patterns: list = [
    path("reports/monthly/", ReportMonthlyApi.as_view(), name="report-monthly"),
]

staff_patterns: list = [
    path("reports/month/", MonthAcrossClinicsView.as_view(), name="reports-month"),
]

agency_api_patterns: list = [
    path("reports/months/", ReportMonthsAcrossApi.as_view(), name="reports-months"),
]
