"""The staff pages outside any clinic, mounted at /agency/ by config.urls_public."""

from django.urls import path

from agency.views import (
    SecurityLogView,
    SettingsApiKeysView,
    SettingsBrandingView,
    SettingsPeopleView,
)

# Mounted under /agency/ with the dashboard's and the clinics' staff pages by config.urls_public
# (namespace "agency").

urlpatterns = [
    path("settings/people/", SettingsPeopleView.as_view(), name="settings-people"),
    path("settings/branding/", SettingsBrandingView.as_view(), name="settings-branding"),
    path("settings/api-keys/", SettingsApiKeysView.as_view(), name="settings-api-keys"),
    path("security-log/", SecurityLogView.as_view(), name="security-log"),
]
