"""Facts about a request that every layer may ask: is it a clinic path, an API path, which
bearer credential does it carry, and the URLconf of a clinic's path segment. Pure functions of
the request: no model, no app."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django_tenants.urlresolvers import get_subfolder_urlconf

CLINIC_PREFIX = f"/{settings.TENANT_SUBFOLDER_PREFIX}/"


@lru_cache(maxsize=4096)
def clinic_urlconf(segment: str):
    return get_subfolder_urlconf(SimpleNamespace(domain_subfolder=segment))


def clinic_segment(path: str) -> str | None:
    """The clinic slug of a /clinics/<slug>/... path, or None."""
    if not path.startswith(CLINIC_PREFIX):
        return None
    return path[len(CLINIC_PREFIX) :].split("/", 1)[0] or None


def is_api_path(request) -> bool:
    path = request.path_info
    segment = clinic_segment(path)
    if segment is not None:
        path = path[len(CLINIC_PREFIX) + len(segment) :]
    return path.startswith("/api/")


def bearer(request) -> str | None:
    """The credential of the Authorization header (Bearer, Api-Key or Token scheme)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "api-key", "token"} and value.strip():
        return value.strip()
    return None
