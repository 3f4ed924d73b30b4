"""Routing and the access gate for clinic URLs.

Clinics are addressed by path: `/clinics/<slug>/...` for pages and `/clinics/<slug>/api/v1/...`
for the API. `ClinicRoutingMiddleware` (first in the stack) finds the clinic and switches the
connection to its schema; `ClinicAccessMiddleware` (after authentication) lets a request
through only if `clinics.access.clinic_access` says the caller may reach the clinic. A clinic
that does not exist and one the caller may not reach answer alike: 404 for a signed-in caller,
401 / the login page for an anonymous one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.urls import set_urlconf
from django.utils import timezone

from accounts.actors import ANONYMOUS, Actor
from accounts.credentials import api_key_prefix, credential_authenticate
from agency.brand_links import without_brand_param
from clinics.access import clinic_access
from clinics.models import clinic_zone
from clinics.routes import clinic_for_segment
from core.api import ActorRateThrottle
from core.http import JsonAnswer, bearer, clinic_segment, clinic_urlconf, is_api_path


class ClinicRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection.set_schema_to_public()
        request.clinic = None
        request.clinic_segment = clinic_segment(request.path_info)
        if request.clinic_segment is None:
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        else:
            clinic = clinic_for_segment(request.clinic_segment)
            # An unknown clinic still gets the clinic URLconf; the access gate answers for it.
            request.urlconf = clinic_urlconf(request.clinic_segment)
            if clinic is not None:
                request.clinic = clinic
                request.tenant = clinic
                connection.set_tenant(clinic)
                if not is_api_path(request):
                    # a clinic's pages and portal show its own clock (the API keeps UTC)
                    timezone.activate(clinic_zone(clinic))
            else:
                request.tenant = connection.tenant
        set_urlconf(request.urlconf)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            connection.set_schema_to_public()


def actor_for_request(request) -> Actor:
    """A credential in the Authorization header wins on API paths; otherwise the session."""
    if is_api_path(request):
        secret = bearer(request)
        if secret is not None:
            prefix = api_key_prefix(secret)
            # The rate limit's count rides on the key's lookup: one Redis round trip, not two.
            counter = ActorRateThrottle().counter(f"api-key:{prefix}") if prefix else None
            credential = credential_authenticate(secret, counter=counter)
            if credential is None:
                return _INVALID_CREDENTIAL
            request.rate_counted = getattr(credential, "rate_counted", None)
            return Actor.from_credential(credential)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor(user=user, via_session=True)
    return ANONYMOUS


class _InvalidCredential(Actor):
    pass


_INVALID_CREDENTIAL = _InvalidCredential()


def not_authenticated_response(request, *, invalid: bool = False):
    if is_api_path(request):
        detail = (
            "Invalid or revoked credential."
            if invalid
            else "Authentication credentials were not provided."
        )
        response = JsonAnswer(
            {"detail": detail, "code": "authentication_failed" if invalid else "not_authenticated"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


def not_found_response(request):
    if is_api_path(request):
        return JsonAnswer({"detail": "Not found.", "code": "not_found"}, status=404)
    raise Http404("Not found.")


class ClinicAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = actor_for_request(request)
        request.actor = actor
        request.clinic_access = None
        if isinstance(actor, _InvalidCredential):
            return not_authenticated_response(request, invalid=True)
        if request.clinic_segment is None:
            return self.get_response(request)
        if not actor.is_authenticated:
            return not_authenticated_response(request)
        access = clinic_access(actor, request.clinic)
        if access is None:
            return not_found_response(request)
        request.clinic_access = access
        rest = without_brand_param(request.GET) if request.method == "GET" else None
        if rest is not None:
            # an e-mail's portal link, signed for the sign-in page: the page itself answers
            # at its own address, so no page reads (or refuses) the signature
            return HttpResponseRedirect(request.path + (f"?{rest}" if rest else ""))
        return self.get_response(request)
