"""URLs outside any clinic: sign-in, the clinic list, agency-wide API, docs, health."""

from django.contrib import admin
from django.urls import include, path

from accounts.apis import TokenListApi, TokenObtainApi, TokenRevokeApi
from agency import urls as agency_urls
from agency.views import brand_css, brand_logo
from clinics.apis import (
    AgencyApiKeyListApi,
    AgencyApiKeyRevokeApi,
    AgencyApiKeyRotateApi,
    ClinicListApi,
)
from clinics.urls import account_patterns as clinic_account_patterns
from clinics.urls import staff_patterns as clinic_staff_patterns
from core.schema import ApiDocsRedocView, ApiDocsSwaggerView, ApiSchemaView
from core.views import favicon, health
from crisis.views_alerts import AckLinkView, AlertBannerView
from dashboard.urls import staff_patterns as dashboard_staff_patterns
from feeds.apis import WebhookReceiveApi
from feeds.urls import api_patterns as feeds_api_patterns
from feeds.urls import staff_patterns as feeds_staff_patterns
from feeds.views import OAuthCallbackView
from portal.views import HomeView, LandingView
from reports import urls as reports_urls
from responses import urls as responses_urls

api_v1 = [
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/tokens/", TokenListApi.as_view(), name="token-list"),
    path("auth/tokens/<int:token_id>/", TokenRevokeApi.as_view(), name="token-revoke"),
    path("clinics/", ClinicListApi.as_view(), name="clinic-list"),
    path("api-keys/", AgencyApiKeyListApi.as_view(), name="agency-api-key-list"),
    path(
        "api-keys/<int:key_id>/revoke/",
        AgencyApiKeyRevokeApi.as_view(),
        name="agency-api-key-revoke",
    ),
    path(
        "api-keys/<int:key_id>/rotate/",
        AgencyApiKeyRotateApi.as_view(),
        name="agency-api-key-rotate",
    ),
    *feeds_api_patterns,
    *responses_urls.agency_api_patterns,
    *reports_urls.agency_api_patterns,
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("start/", LandingView.as_view(), name="landing"),
    path("", include("accounts.urls")),
    *clinic_account_patterns,
    path("health/", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("alerts/banner/", AlertBannerView.as_view(), name="alert-banner"),
    path("alerts/ack/<str:token>/", AckLinkView.as_view(), name="alert-ack"),
    path("brand/<slug:slug>.css", brand_css, name="brand-css"),
    path("brand/<slug:slug>/logo", brand_logo, name="brand-logo"),
    # The agency staff area: the dashboard, the agency's clinics, its people and keys.
    path(
        "agency/",
        include(
            (
                [
                    *dashboard_staff_patterns,
                    *clinic_staff_patterns,
                    *agency_urls.urlpatterns,
                    *feeds_staff_patterns,
                    *responses_urls.staff_patterns,
                    *reports_urls.staff_patterns,
                ],
                "agency",
            ),
            namespace="agency",
        ),
    ),
    path(
        "hooks/<slug:clinic_slug>/<int:source_id>/",
        WebhookReceiveApi.as_view(),
        name="source-webhook",
    ),
    # The redirect URI of the agency's Google and Facebook apps ("Connect ..." on a source page).
    path("oauth/<str:platform>/callback/", OAuthCallbackView.as_view(), name="oauth-callback"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", ApiSchemaView.as_view(urlconf="config.urls_openapi"), name="schema"),
    path("api/docs/", ApiDocsSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", ApiDocsRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    *responses_urls.public_patterns,
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler500 = "core.views.server_error"
