"""Routes of this app inside a clinic (mounted under /clinics/<slug>/ by config.urls_tenant).
`api_patterns` go under api/v1/, `page_patterns` at the clinic root."""

from django.urls import path

from crisis.apis import (
    DetectorSettingsApi,
    IncidentAcknowledgeApi,
    IncidentAssignApi,
    IncidentCountsApi,
    IncidentDetailApi,
    IncidentListApi,
    IncidentNoteApi,
    IncidentResolveApi,
    IncidentReviewApi,
    IncidentReviewExportApi,
    IncidentStatementListApi,
    IncidentStatusApi,
    IncidentTimelineListApi,
    ResponsePlanApi,
    ResponsePlanVersionApi,
    ReviewApplyToPlanApi,
    ReviewQuestionAnswerApi,
    ReviewQuestionListApi,
    ReviewSendApi,
)
from crisis.views import (
    IncidentListView,
    IncidentReviewView,
    IncidentRoomView,
    ResponsePlanView,
)

api_patterns: list = [
    path("incidents/", IncidentListApi.as_view(), name="incident-list"),
    path("incidents/counts/", IncidentCountsApi.as_view(), name="incident-counts"),
    path("incidents/<int:incident_id>/", IncidentDetailApi.as_view(), name="incident-detail"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        IncidentAcknowledgeApi.as_view(),
        name="incident-acknowledge",
    ),
    path(
        "incidents/<int:incident_id>/status/", IncidentStatusApi.as_view(), name="incident-status"
    ),
    path("incidents/<int:incident_id>/notes/", IncidentNoteApi.as_view(), name="incident-notes"),
    path(
        "incidents/<int:incident_id>/timeline/",
        IncidentTimelineListApi.as_view(),
        name="incident-timeline",
    ),
    path(
        "incidents/<int:incident_id>/resolve/",
        IncidentResolveApi.as_view(),
        name="incident-resolve",
    ),
    path(
        "incidents/<int:incident_id>/statements/",
        IncidentStatementListApi.as_view(),
        name="incident-statements",
    ),
    path(
        "incidents/<int:incident_id>/assign/", IncidentAssignApi.as_view(), name="incident-assign"
    ),
    path(
        "incidents/<int:incident_id>/review/", IncidentReviewApi.as_view(), name="incident-review"
    ),
    path(
        "incidents/<int:incident_id>/review/export/",
        IncidentReviewExportApi.as_view(),
        name="incident-review-export",
    ),
    path(
        "incidents/<int:incident_id>/review/send/",
        ReviewSendApi.as_view(),
        name="incident-review-send",
    ),
    path(
        "incidents/<int:incident_id>/review/apply-to-plan/",
        ReviewApplyToPlanApi.as_view(),
        name="incident-review-apply",
    ),
    path(
        "incidents/<int:incident_id>/review/questions/",
        ReviewQuestionListApi.as_view(),
        name="incident-review-questions",
    ),
    path(
        "incidents/<int:incident_id>/review/questions/<int:question_id>/answer/",
        ReviewQuestionAnswerApi.as_view(),
        name="incident-review-question-answer",
    ),
    path("crisis/settings/", DetectorSettingsApi.as_view(), name="crisis-settings"),
    path("crisis/response-plan/", ResponsePlanApi.as_view(), name="response-plan"),
    path(
        "crisis/response-plan/versions/<int:version>/",
        ResponsePlanVersionApi.as_view(),
        name="response-plan-version",
    ),
]

page_patterns: list = [
    path("incidents/", IncidentListView.as_view(), name="incidents"),
    path("incidents/<int:incident_id>/", IncidentRoomView.as_view(), name="incident-room"),
    path(
        "incidents/<int:incident_id>/review/", IncidentReviewView.as_view(), name="incident-review"
    ),
    path("response-plan/", ResponsePlanView.as_view(), name="response-plan"),
]
