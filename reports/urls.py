"""Report routes inside a clinic; `api_patterns` go under api/v1/ (config.urls_tenant)."""

from django.urls import path

from reports.apis import ReportMonthlyApi
from reports.views import (
    MonthlyReportPdfView,
    MonthlyReportSendView,
    MonthlyReportView,
    PortalMonthlyReportPdfView,
    ReportSettingsView,
)

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
