"""URLs inside a clinic, mounted under /clinics/<slug>/ by `clinics.middleware`.

Every view here inherits `core.api.ClinicAPIView` or `core.views.ClinicView`
(tests/clinics/test_isolation.py walks this list to prove it)."""

from django.urls import include, path

from clinics.apis import (
    ApiKeyListApi,
    ApiKeyRevokeApi,
    ApiKeyRotateApi,
    ChatWebhookDetailApi,
    ChatWebhookListApi,
    ChatWebhookTestApi,
    MeApi,
    SettingsHistoryApi,
)
from clinics.views import (
    ClinicAlertsView,
    ClinicApiKeysView,
    ClinicPeopleView,
    ClinicSettingsHistoryView,
    ClinicSettingsView,
)
from crisis import urls as crisis_urls
from crisis.views import ClinicThresholdsView
from dashboard import urls as dashboard_urls
from facts import urls as facts_urls
from feeds.apis import (
    ImportDetailApi,
    ImportListApi,
    ReviewIngestApi,
    SourceDetailApi,
    SourceListApi,
)
from feeds.views import (
    ConnectChooseView,
    ConnectReturnView,
    ConnectStartView,
    ImportsView,
    ImportUploadView,
    SourceDisconnectView,
    SourcesView,
)
from inbox import urls as inbox_urls
from offboarding import urls as offboarding_urls
from portal import urls as portal_urls
from reports import urls as reports_urls
from responses import urls as responses_urls
from responses.views import ClinicTemplatesView
from scoring.apis import ScoreListApi
from webhooks import urls as webhooks_urls

api_v1 = [
    path("me/", MeApi.as_view(), name="me"),
    *inbox_urls.api_patterns,
    path("reviews/ingest/", ReviewIngestApi.as_view(), name="review-ingest"),
    path("scores/", ScoreListApi.as_view(), name="score-list"),
    path("sources/", SourceListApi.as_view(), name="source-list"),
    path("sources/<int:source_id>/", SourceDetailApi.as_view(), name="source-detail"),
    path("imports/", ImportListApi.as_view(), name="import-list"),
    path("imports/<int:job_id>/", ImportDetailApi.as_view(), name="import-detail"),
    path("api-keys/", ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<int:key_id>/revoke/", ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
    path("api-keys/<int:key_id>/rotate/", ApiKeyRotateApi.as_view(), name="api-key-rotate"),
    path("settings-history/", SettingsHistoryApi.as_view(), name="settings-history"),
    path("chat-webhooks/", ChatWebhookListApi.as_view(), name="chat-webhook-list"),
    path(
        "chat-webhooks/<int:webhook_id>/",
        ChatWebhookDetailApi.as_view(),
        name="chat-webhook-detail",
    ),
    path(
        "chat-webhooks/<int:webhook_id>/test/",
        ChatWebhookTestApi.as_view(),
        name="chat-webhook-test",
    ),
    *crisis_urls.api_patterns,
    *webhooks_urls.api_patterns,
    *facts_urls.api_patterns,
    *responses_urls.api_patterns,
    *reports_urls.api_patterns,
    *offboarding_urls.api_patterns,
]

urlpatterns = [
    *dashboard_urls.page_patterns,
    *inbox_urls.page_patterns,
    *reports_urls.page_patterns,
    *offboarding_urls.page_patterns,
    path("sources/", SourcesView.as_view(), name="sources"),
    path(
        "sources/connect/<int:attempt_id>/",
        ConnectChooseView.as_view(),
        name="source-connect-choose",
    ),
    path("sources/connect/<str:platform>/", ConnectStartView.as_view(), name="source-connect"),
    path(
        "sources/connect/<str:platform>/return/",
        ConnectReturnView.as_view(),
        name="source-connect-return",
    ),
    path(
        "sources/<int:source_id>/disconnect/",
        SourceDisconnectView.as_view(),
        name="source-disconnect",
    ),
    path("imports/", ImportsView.as_view(), name="imports"),
    path("imports/upload/", ImportUploadView.as_view(), name="imports-upload"),
    path("settings/", ClinicSettingsView.as_view(), name="clinic-settings"),
    path("settings/people/", ClinicPeopleView.as_view(), name="clinic-settings-people"),
    path("settings/api-keys/", ClinicApiKeysView.as_view(), name="clinic-settings-api-keys"),
    path("settings/alerts/", ClinicAlertsView.as_view(), name="clinic-settings-alerts"),
    path("settings/templates/", ClinicTemplatesView.as_view(), name="clinic-settings-templates"),
    path("settings/thresholds/", ClinicThresholdsView.as_view(), name="clinic-settings-thresholds"),
    path("settings/history/", ClinicSettingsHistoryView.as_view(), name="clinic-settings-history"),
    *crisis_urls.page_patterns,
    *webhooks_urls.page_patterns,
    *facts_urls.page_patterns,
    *responses_urls.page_patterns,
    *portal_urls.page_patterns,
    path("api/v1/", include((api_v1, "clinic_api"), namespace="clinic_api")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler500 = "core.views.server_error"
