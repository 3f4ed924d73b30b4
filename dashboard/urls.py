from django.urls import path

from dashboard.views import (
    AwaitingReplyView,
    ClinicOverviewView,
    DashboardView,
    StartHereOpenView,
    StartHereView,
)

# Mounted by config.urls_public under /agency/ (in the staff area's "agency" namespace).
staff_patterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("waiting/", AwaitingReplyView.as_view(), name="awaiting-reply"),
    path("start-here/", StartHereView.as_view(), name="start-here"),
    path("start-here/open/<slug:key>/", StartHereOpenView.as_view(), name="start-here-open"),
]
# Mounted by config.urls_tenant under /clinics/<slug>/.
page_patterns = [path("", ClinicOverviewView.as_view(), name="clinic-overview")]
