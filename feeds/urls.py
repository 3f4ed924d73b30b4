from django.urls import path

from feeds.views_privacy import PrivacyLogView, PrivacyReceiptView, PrivacyRequestsView

# Mounted under /agency/ by config.urls_public (namespace "agency"): privacy requests across
# the agency's clinics.
staff_patterns = [
    path("privacy/", PrivacyRequestsView.as_view(), name="privacy"),
    path("privacy/requests/", PrivacyLogView.as_view(), name="privacy-log"),
    path(
        "privacy/requests/<int:request_id>/", PrivacyReceiptView.as_view(), name="privacy-receipt"
    ),
]
