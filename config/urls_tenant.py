"""URLs inside a clinic, mounted under /clinics/<slug>/ by `clinics.middleware`.

Every view here inherits `core.api.ClinicAPIView` or `core.views.ClinicView`
(tests/clinics/test_isolation.py walks this list to prove it)."""

from django.urls import include, path

from clinics.apis import ApiKeyListApi, ApiKeyRevokeApi, MeApi
from clinics.views import ClinicOverviewView
from feeds.apis import ReviewDetailApi, ReviewListApi

api_v1 = [
    path("me/", MeApi.as_view(), name="me"),
    path("reviews/", ReviewListApi.as_view(), name="review-list"),
    path("reviews/<int:review_id>/", ReviewDetailApi.as_view(), name="review-detail"),
    path("api-keys/", ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<int:key_id>/revoke/", ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
]

urlpatterns = [
    path("", ClinicOverviewView.as_view(), name="clinic-overview"),
    path("api/v1/", include((api_v1, "clinic_api"), namespace="clinic_api")),
]
