"""The staff pages outside any clinic, mounted at /agency/ by config.urls_public."""

from django.urls import path

from agency.views import (
    ClinicGoView,
    DashboardView,
    SecurityLogView,
    SettingsApiKeysView,
    SettingsClinicsView,
    SettingsPeopleView,
)

app_name = "agency"

urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("go/", ClinicGoView.as_view(), name="clinic-go"),
    path("settings/", SettingsClinicsView.as_view(), name="settings-clinics"),
    path("settings/people/", SettingsPeopleView.as_view(), name="settings-people"),
    path("settings/api-keys/", SettingsApiKeysView.as_view(), name="settings-api-keys"),
    path("security-log/", SecurityLogView.as_view(), name="security-log"),
]
