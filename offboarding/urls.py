"""Routes inside a clinic (config.urls_tenant); `api_patterns` go under api/v1/."""

from django.urls import path

from offboarding.apis import (
    ClinicDeactivateApi,
    ClinicDeleteApi,
    ClinicReactivateApi,
    ExportDetailApi,
    ExportDownloadApi,
    ExportListApi,
)
from offboarding.views import DeactivateView, DeleteView, ExportDownloadView, LeavingView

page_patterns: list = [
    path("settings/leaving/", LeavingView.as_view(), name="clinic-leaving"),
    path("settings/leaving/deactivate/", DeactivateView.as_view(), name="clinic-deactivate"),
    path("settings/leaving/delete/", DeleteView.as_view(), name="clinic-delete"),
    path(
        "settings/leaving/exports/<int:export_id>/download/",
        ExportDownloadView.as_view(),
        name="clinic-export-download",
    ),
]

api_patterns: list = [
    path("exports/", ExportListApi.as_view(), name="export-list"),
    path("exports/<int:export_id>/", ExportDetailApi.as_view(), name="export-detail"),
    path(
        "exports/<int:export_id>/download/",
        ExportDownloadApi.as_view(),
        name="export-download",
    ),
    path("deactivate/", ClinicDeactivateApi.as_view(), name="clinic-deactivate"),
    path("reactivate/", ClinicReactivateApi.as_view(), name="clinic-reactivate"),
    path("delete/", ClinicDeleteApi.as_view(), name="clinic-delete"),
]
