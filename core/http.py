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


def branded_for_set(request, user) -> None:
    """A page nobody is signed in on that is about one person (the page a password link
    opens, the "password set" page after it): it carries that person's agency brand."""
    request._branded_for = user


def branded_for(request):
    """The person whose agency's brand a page carries: the signed-in person, else the person
    the page is about (`branded_for_set`), else None."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return getattr(request, "_branded_for", None)
