from __future__ import annotations

from django.core.exceptions import DisallowedHost, PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views import View, defaults

from core.http import JsonAnswer, ParamRefused, is_api_path
from core.permissions import Permission


class ClinicView(View):
    """Base of every page under /clinics/<slug>/. The access gate already refused callers who
    cannot reach the clinic; this checks the permission the page needs, and keeps the agency's
    staff pages for its staff.

    Every page is a staff page unless it says otherwise (`staff_page = False`: the client
    portal). One of the clinic's own people who opens a staff page is sent to the matching
    portal page (`portal_path`, formatted with the URL's arguments; the portal's home by
    default) when reading, and gets the 403 page when posting."""

    permission = Permission.VIEW  # to read (GET, HEAD)
    write_permission = Permission.WRITE  # to change (POST, ...)
    staff_page = True
    portal_path = "portal/"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dispatch" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override dispatch: access is decided once.")

    def dispatch(self, request, *args, **kwargs):
        access = getattr(request, "clinic_access", None)
        if access is None:
            raise Http404("Not found.")
        if self.staff_page and not access.reaches_staff_pages:
            if request.method in ("GET", "HEAD"):
                path = self.portal_path.format(**kwargs)
                return HttpResponseRedirect(f"/clinics/{request.clinic.slug}/{path}")
            raise PermissionDenied("The agency's pages are for its staff.")
        needed = (
            self.permission
            if request.method in ("GET", "HEAD", "OPTIONS")
            else self.write_permission
        )
        if not access.can(needed):
            raise PermissionDenied("Your role in this clinic does not allow this.")
        self.clinic = request.clinic
        self.access = access
        try:
            return super().dispatch(request, *args, **kwargs)
        except ParamRefused as exc:
            return param_refused_page(request, exc)


def param_refused_page(request, exc: ParamRefused):
    """The 400 page for a query or form value a page could not read (`core.http.int_param`,
    `core.paging.page_get`): it names the value; nothing was done."""
    return render(request, "400_param.html", {"text": exc.text(), "field": exc.field}, status=400)


QUEUES = ("default", "ml")


def health(request):
    """Liveness and readiness: PostgreSQL, Redis and the queues' depth. 503 with Retry-After
    when PostgreSQL or Redis does not answer; a queue deeper than HEALTH_QUEUE_WARN (workers
    behind or gone) makes the status "degraded" but stays 200: the web process itself is fine
    and must stay behind the load balancer."""
    import redis
    from django.conf import settings

    checks: dict[str, object] = {}
    ok, degraded = True, False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        ok = False
        checks["postgres"] = f"error: {exc.__class__.__name__}"
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        depths = {name: client.llen(name) for name in QUEUES}
        checks["redis"] = "ok"
        checks["queues"] = depths
        behind = sorted(
            name for name, depth in depths.items() if depth > settings.HEALTH_QUEUE_WARN
        )
        checks["queues_behind"] = behind
        degraded = bool(behind)
    except Exception as exc:  # noqa: BLE001
        ok = False
        checks["redis"] = f"error: {exc.__class__.__name__}"
    finally:
        client.close()
    status = "unavailable" if not ok else "degraded" if degraded else "ok"
    response = JsonAnswer({"status": status, "checks": checks}, status=200 if ok else 503)
    if not ok:
        response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response


def favicon(request):
    """/favicon.ico, which browsers ask the root for whatever the page links: the static icon
    (templates/_favicon.html links it and the SVG), not a 404 in the log on every page view."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def bad_request(request, exception):
    """400 for a request Django refuses before any view reads it (a `SuspiciousOperation`: a
    Host header this server does not serve, `DisallowedHost`; too many fields ...): on API
    paths the API's JSON error, elsewhere Django's plain page. Django logs it itself, under
    `django.security.<the exception>`."""
    if is_api_path(request):
        foreign_host = isinstance(exception, DisallowedHost)
        return JsonAnswer(
            {
                "detail": "The Host header names a host this server does not serve."
                if foreign_host
                else "The request could not be read.",
                "code": "host_not_allowed" if foreign_host else "bad_request",
            },
            status=400,
        )
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    """403 for a PermissionDenied raised outside the APIs' own handling: JSON on API paths,
    elsewhere the product's page (templates/403.html), which names no rule, view or object:
    the exception's message is not shown."""
    if is_api_path(request):
        return JsonAnswer(
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
            status=403,
        )
    return render(request, "403.html", {"typed": _typed_text(request)}, status=403)


# the form fields whose words a person typed and would lose with a refused post (a role taken
# away while the editor was open): shown back on the 403 page to copy, never stored
_TYPED_FIELDS = ("text", "body", "title", "comment", "reason", "note")


def _typed_text(request) -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        data = request.POST
    except Exception:  # noqa: BLE001 - an unreadable body: nothing to show back
        return []
    return [(name, data[name][:20_000]) for name in _TYPED_FIELDS if data.get(name, "").strip()]


def server_error(request):
    """500, or 503 with Retry-After when the database is unreachable (a restart or a fail-over):
    the client should simply try again shortly. JSON on API paths, a plain page elsewhere."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse

    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, (OperationalError, InterfaceError))
    status = 503 if unavailable else 500
    detail = (
        "The service is briefly unavailable; nothing was stored. Try again in a few seconds."
        if unavailable
        else "Something went wrong on our side; it has been logged."
    )
    if is_api_path(request):
        response = JsonAnswer(
            {"detail": detail, "code": "unavailable" if unavailable else "server_error"},
            status=status,
        )
    else:
        response = HttpResponse(
            f"<!doctype html><title>{status}</title><h1>{detail}</h1>",
            status=status,
            content_type="text/html",
        )
    if unavailable:
        response["Retry-After"] = "5"
    return response


def csrf_failure(request, reason: str = ""):
    """403 for a form whose CSRF check failed (`CSRF_FAILURE_VIEW`): a page left open past a
    sign-out or a session's end, or sent from a stale tab. JSON on API paths; elsewhere a page
    in the brand the person's other pages carry (templates/403_csrf.html, through the context
    processor: the clinic's agency inside a clinic, the person's agency elsewhere), saying what
    happened and what to do, with what they typed to copy. Django's own page named no one and
    spoke of "DEBUG=True"."""
    if is_api_path(request):
        return JsonAnswer(
            {
                "detail": "The form's security token is missing or expired: reload the page "
                "and send it again.",
                "code": "csrf_failed",
            },
            status=403,
        )
    return render(request, "403_csrf.html", {"typed": _typed_text(request)}, status=403)
