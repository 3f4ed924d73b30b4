"""The URL layout the OpenAPI document describes: agency-wide API plus every clinic API under
/clinics/{clinic}/ (at run time that prefix is added by the clinic router)."""

from django.urls import include, path

from config.urls_public import api_v1 as public_api_v1
from config.urls_tenant import api_v1 as clinic_api_v1

urlpatterns = [
    path("api/v1/", include((public_api_v1, "api"), namespace="api")),
    path(
        "clinics/<slug:clinic>/api/v1/",
        include((clinic_api_v1, "clinic_api"), namespace="clinic_api"),
    ),
]
