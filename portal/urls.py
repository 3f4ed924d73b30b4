"""The portal's pages inside a clinic (mounted at the clinic root by config.urls_tenant)."""

from django.urls import path

from portal import views

page_patterns: list = [
    path("portal/", views.PortalHomeView.as_view(), name="portal-home"),
    path("portal/approvals/", views.PortalApprovalsView.as_view(), name="portal-approvals"),
    path("portal/statements/", views.PortalStatementsView.as_view(), name="portal-statements"),
    path("portal/review/", views.PortalReviewView.as_view(), name="portal-review"),
    path("portal/override/", views.PortalOverrideView.as_view(), name="portal-override"),
    path("portal/act/", views.PortalActView.as_view(), name="portal-act"),
    path("portal/incidents/", views.PortalIncidentsView.as_view(), name="portal-incidents"),
    path(
        "portal/incidents/<int:incident_id>/",
        views.PortalIncidentView.as_view(),
        name="portal-incident",
    ),
    path(
        "portal/incidents/<int:incident_id>/review/",
        views.PortalIncidentReviewView.as_view(),
        name="portal-incident-review",
    ),
    path(
        "portal/incidents/<int:incident_id>/review.pdf",
        views.PortalIncidentReviewPdfView.as_view(),
        name="portal-incident-review-pdf",
    ),
    path("portal/follow-ups/", views.PortalFollowUpsView.as_view(), name="portal-follow-ups"),
    path("portal/facts/", views.PortalFactsView.as_view(), name="portal-facts"),
    path("portal/fact-sheet/", views.PortalFactSheetView.as_view(), name="portal-fact-sheet"),
    path("portal/report/", views.PortalReportView.as_view(), name="portal-report"),
    path(
        "portal/approvals-log/",
        views.PortalApprovalsLogView.as_view(),
        name="portal-approvals-log",
    ),
    path(
        "portal/privacy/",
        views.PortalPrivacyRequestsView.as_view(),
        name="portal-privacy-requests",
    ),
    path(
        "portal/notifications/",
        views.PortalNotificationsView.as_view(),
        name="portal-notifications",
    ),
    path(
        "portal/notifications/settings/",
        views.PortalNotificationSettingsView.as_view(),
        name="portal-notification-settings",
    ),
    path("portal/alerts/banner/", views.PortalBannerView.as_view(), name="portal-banner"),
    path("portal/brand.css", views.PortalBrandCssView.as_view(), name="portal-brand-css"),
]
