"""Routes of the fact sheet inside a clinic (mounted under /clinics/<slug>/ by
config.urls_tenant): `api_patterns` under api/v1/, `page_patterns` at the clinic root."""

from django.urls import path

from facts import apis
from facts.views import FactDetailView, FactSheetView

api_patterns: list = [
    path("facts/", apis.FactListApi.as_view(), name="fact-list"),
    path("facts/ask-clinic/", apis.FactAskClinicApi.as_view(), name="fact-ask-clinic"),
    path("facts/<int:fact_id>/", apis.FactDetailApi.as_view(), name="fact-detail"),
    path("facts/<int:fact_id>/confirm/", apis.FactConfirmApi.as_view(), name="fact-confirm"),
    path(
        "facts/<int:fact_id>/versions/",
        apis.FactVersionListApi.as_view(),
        name="fact-version-list",
    ),
    path(
        "facts/<int:fact_id>/versions/<int:number>/restore/",
        apis.FactRestoreApi.as_view(),
        name="fact-restore",
    ),
]

page_patterns: list = [
    path("facts/", FactSheetView.as_view(), name="fact-sheet"),
    path("facts/<int:fact_id>/", FactDetailView.as_view(), name="fact-sheet-detail"),
]
