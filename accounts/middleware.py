"""Two-factor sign-in for agency staff (and for clients who enrolled a device).

A signed-in person who must pass the TOTP step and has not yet, in this session, reaches only
the code step (or enrolment, when they have no device yet), sign-out and static files — not
backup codes, switching two-factor off or moving it to another app: every other page redirects there, and a
session-authenticated API call is refused (403). Calls with an API key or a personal token in
the Authorization header carry no session and are not concerned."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect

from accounts.selectors import user_has_confirmed_device, user_needs_otp
from accounts.services import security_request_bind, security_request_unbind
from core.http import JsonAnswer, bearer, is_api_path

SETUP_URL = "/account/two-factor/setup/"
VERIFY_URL = "/account/two-factor/verify/"
# A password link's page answers for itself: a link used a moment ago (in another tab) says
# its password is set and leads on to the code step, never back to the link afterwards.
PASSWORD_LINK_PREFIX = "/password-reset/"  # noqa: S105 - a path, not a password
# /alerts/ack/: a signed one-click link is its own credential (crisis.services.alerting).
OPEN_PREFIXES = (
    "/static/",
    "/health/",
    "/brand/",
    "/logout/",
    "/alerts/ack/",
    PASSWORD_LINK_PREFIX,
)
OPEN_PATHS = (VERIFY_URL, SETUP_URL)  # the setup view sends anyone with a device to verify


def _has_bearer(request) -> bool:
    return is_api_path(request) and bearer(request) is not None


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path_info.startswith(OPEN_PREFIXES)
            or request.path_info in OPEN_PATHS
            or _has_bearer(request)
            or not user_needs_otp(user)
        ):
            return self.get_response(request)
        if request.headers.get("HX-Request") == "true":
            # a background request (the banner's poll): nothing to swap in. A redirect would
            # be followed and the whole code page pasted into the banner region
            return HttpResponse(status=204)
        if is_api_path(request):
            return JsonAnswer(
                {
                    "detail": "Two-factor verification is required: sign in again in the "
                    "browser, or use an API key or personal token.",
                    "code": "otp_required",
                },
                status=403,
            )
        target = VERIFY_URL if user_has_confirmed_device(user) else SETUP_URL
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class SecurityContextMiddleware:
    """Makes the request the one that security events recorded while serving it are
    attributed to (who acts, from which address and browser)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = security_request_bind(request)
        try:
            return self.get_response(request)
        finally:
            security_request_unbind(token)
