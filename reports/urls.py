"""Report routes inside a clinic; `api_patterns` go under api/v1/ (config.urls_tenant)."""

from django.urls import path

from reports.apis import ReportMonthlyApi
from reports.views import MonthlyReportView

page_patterns: list = [
    path("report/", MonthlyReportView.as_view(), name="report-page"),
]

api_patterns: list = [
    path("reports/monthly/", ReportMonthlyApi.as_view(), name="report-monthly"),
]
