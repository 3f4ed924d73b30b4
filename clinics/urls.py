from django.urls import path

from clinics.views import ClinicGoView, SettingsClinicsView

# Mounted under /agency/ by config.urls_public (namespace "agency").
staff_patterns = [
    path("go/", ClinicGoView.as_view(), name="clinic-go"),
    path("settings/", SettingsClinicsView.as_view(), name="settings-clinics"),
]
