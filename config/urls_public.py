"""URLs outside any clinic: sign-in, the clinic list, agency-wide API, docs, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.apis import TokenListApi, TokenObtainApi, TokenRevokeApi
from agency.views import brand_css
from clinics.apis import AgencyApiKeyListApi, AgencyApiKeyRevokeApi, ClinicListApi
from core.schema import ApiDocsRedocView, ApiDocsSwaggerView
from core.views import HomeView, health
from feeds.apis import WebhookReceiveApi
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
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("accounts.urls")),
    path("health/", health, name="health"),
    path("brand/<slug:slug>.css", brand_css, name="brand-css"),
    path("agency/", include("agency.urls")),
    path(
        "hooks/<slug:clinic_slug>/<int:source_id>/",
        WebhookReceiveApi.as_view(),
        name="source-webhook",
    ),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_openapi"), name="schema"),
    path("api/docs/", ApiDocsSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", ApiDocsRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    *responses_urls.public_patterns,
]

handler500 = "core.views.server_error"
