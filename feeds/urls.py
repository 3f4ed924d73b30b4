from django.urls import path

from feeds.apis_privacy import PrivacyMatchesApi, PrivacyRequestDetailApi, PrivacyRequestListApi
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

# Mounted under /api/v1/ by config.urls_public (namespace "api"): privacy requests for
# integrators, agency-wide.
api_patterns = [
    path("privacy-requests/", PrivacyRequestListApi.as_view(), name="privacy-request-list"),
    path("privacy-requests/matches/", PrivacyMatchesApi.as_view(), name="privacy-matches"),
    path(
        "privacy-requests/<int:request_id>/",
        PrivacyRequestDetailApi.as_view(),
        name="privacy-request-detail",
    ),
]
