import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from core.api import ClinicAPIView


class _DatabaseGone(ClinicAPIView):
    def get(self, request):
        raise OperationalError("server closed the connection unexpectedly")


class _Bug(ClinicAPIView):
    def get(self, request):
        raise ZeroDivisionError


urlpatterns = [
    path("api/v1/db-gone/", _DatabaseGone.as_view()),
    path("api/v1/bug/", _Bug.as_view()),
]
handler500 = "core.views.server_error"


def _client(world) -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}")


@pytest.fixture
def broken_routes(settings):
    from clinics import middleware

    settings.ROOT_URLCONF = __name__
    middleware.clinic_urlconf.cache_clear()
    yield
    middleware.clinic_urlconf.cache_clear()


def test_database_outage_is_503_with_retry_after(world, db, broken_routes):
    client = _client(world)
    response = client.get("/clinics/clinic-a/api/v1/db-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"


def test_other_errors_are_a_json_500_without_details(world, db, broken_routes):
    client = _client(world)
    response = client.get("/clinics/clinic-a/api/v1/bug/")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side; it has been logged.",
        "code": "server_error",
    }
