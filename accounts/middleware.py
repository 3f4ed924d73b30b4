"""Two-factor sign-in for agency staff (and for clients who enrolled a device).

A signed-in person who must pass the TOTP step and has not yet, in this session, reaches only
the code step (or enrolment, when they have no device yet), sign-out and static files — not
backup codes, switching two-factor off or moving it to another app: every other page redirects there, and a
session-authenticated API call is refused (403). Calls with an API key or a personal token in
the Authorization header carry no session and are not concerned."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.selectors import user_has_confirmed_device, user_needs_otp
from accounts.services import security_request_bind, security_request_unbind
from core.http import JsonAnswer, bearer, is_api_path, is_htmx

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
        if is_htmx(request):
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


# Requests a page makes by itself, every few seconds, while it is open: the alert banner's poll
# (staff `/alerts/banner/`, the portal's `<clinic>/portal/alerts/banner/`).
BACKGROUND_SUFFIXES = ("/alerts/banner/",)


def is_background_poll(request) -> bool:
    """Whether `request` is a page polling by itself (`BACKGROUND_SUFFIXES`), not a person."""
    return request.path_info.endswith(BACKGROUND_SUFFIXES)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a background poll is no activity: the idle timeout
    (`SESSION_COOKIE_AGE`, pushed forward by every request: `SESSION_SAVE_EVERY_REQUEST`)
    counts from the person's last request, so a tab left open on an unattended screen is
    signed out like any other, however often its banner polls. A poll that changed the
    session (none does today) is saved as usual."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and is_background_poll(request) and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def _page_path(request) -> str:
    """The path (and query) of the page a background request came from (htmx's
    `HX-Current-URL`), when it is a page of this server; else the site's root."""
    url = request.headers.get("HX-Current-URL", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return "/"
    page = urlsplit(url)
    return (page.path or "/") + (f"?{page.query}" if page.query else "")


class BackgroundSignInMiddleware:
    """A background request (htmx: the banner's poll) whose session has ended is sent to the
    sign-in page as a whole page (`HX-Redirect`), leading back to the page the person was on:
    a redirect answered to htmx would be followed by the browser and the sign-in page pasted
    into the banner, with the poll's own address as where to go next; and the screen left
    open keeps showing what it showed, though nobody is signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_htmx(request) or response.status_code != 302:
            return response
        if urlsplit(response.get("Location", "")).path != settings.LOGIN_URL:
            return response
        answer = HttpResponse(status=204)
        answer["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': _page_path(request)})}"
        return answer
