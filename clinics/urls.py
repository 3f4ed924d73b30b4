from django.urls import path

from clinics.views import (
    AgencyChatView,
    AgencySettingsHistoryView,
    ClinicGoView,
    NotificationHistoryView,
    NotificationPreferenceView,
    SettingsClinicsView,
)

# Mounted under /agency/ by config.urls_public (namespace "agency").
staff_patterns = [
    path("go/", ClinicGoView.as_view(), name="clinic-go"),
    path("settings/", SettingsClinicsView.as_view(), name="settings-clinics"),
    path("settings/chat/", AgencyChatView.as_view(), name="settings-chat"),
    path("settings/history/", AgencySettingsHistoryView.as_view(), name="settings-history"),
]

# Mounted at the site root by config.urls_public, next to the account page.
account_patterns = [
    path(
        "account/notifications/",
        NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    path(
        "account/notifications/history/",
        NotificationHistoryView.as_view(),
        name="notification-history",
    ),
]
