"""The security audit log's writer: who did what, when, from where (`SecurityEvent`).

`accounts.services.security_event_record` is the one way to write it (defined here so that
`accounts.credentials` can use it too without a cycle)."""

from __future__ import annotations

from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection

from accounts.models import SecurityEvent, User

# The request being served (set by `accounts.middleware.SecurityContextMiddleware`): who acts
# and from where, for events recorded deep inside services that never see the request.
_current_request: ContextVar = ContextVar("carewatch_security_request", default=None)


def security_request_bind(request):
    """Make `request` the one security events are attributed to; returns the reset token."""
    return _current_request.set(request)


def security_request_unbind(token) -> None:
    _current_request.reset(token)


def request_being_served():
    """The request being served (bound by `SecurityContextMiddleware`), or None outside one
    (a Celery task, a command)."""
    return _current_request.get()


def client_ip(request) -> str:
    """The caller's address as the web server saw it (gunicorn sets REMOTE_ADDR)."""
    return (request.META.get("REMOTE_ADDR") or "").strip() if request is not None else ""


def _request_actor(request) -> tuple[User | None, str]:
    """(user, API key prefix) acting in `request`: the API credential or the session."""
    actor = getattr(request, "actor", None)
    if actor is not None:
        if getattr(actor, "api_key", None) is not None:
            return None, actor.api_key.prefix
        if getattr(actor, "user", None) is not None:
            return actor.user, ""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and user.pk:
        return user, ""
    return None, ""


def security_event_record(
    *,
    event: str,
    actor: User | None = None,
    actor_email: str = "",
    target: User | None = None,
    agency_id: int | None = None,
    clinic_id: int | None = None,
    clinic_name: str = "",
    detail: dict | None = None,
    request=None,
) -> SecurityEvent:
    """Append one line to the security log. Who acted and from where come from `actor` and
    `request`, else from the request being served (none in a Celery task); the clinic (and its
    agency) default to the clinic whose schema is active. The clinic's name is kept on the line
    (`clinic_name`, else the active clinic's when it is that clinic), so the line names it
    after the clinic is renamed or deleted. Never call `save()` on the result: the log is
    append-only (a database trigger refuses UPDATE and DELETE)."""
    request = request if request is not None else _current_request.get()
    key_prefix = ""
    if actor is None and request is not None:
        actor, key_prefix = _request_actor(request)
    tenant = getattr(connection, "tenant", None)
    if clinic_id is None and getattr(tenant, "agency_id", None) is not None:
        clinic_id = tenant.pk
        agency_id = agency_id or tenant.agency_id
    in_clinic = getattr(tenant, "agency_id", None) is not None
    if clinic_id is not None and not clinic_name and in_clinic and tenant.pk == clinic_id:
        clinic_name = tenant.name
    ip = client_ip(request) or None
    try:
        if ip:
            validate_ipv46_address(ip)
    except ValidationError:
        ip = None
    return SecurityEvent.objects.create(
        event=event,
        actor_id=actor.pk if actor is not None else None,
        actor_email=(actor.email if actor is not None else actor_email or "")[:254],
        actor_key_prefix=key_prefix,
        target_user_id=target.pk if target is not None else None,
        target_email=target.email if target is not None else "",
        agency_id=agency_id,
        clinic_id=clinic_id,
        clinic_name=(clinic_name if clinic_id is not None else "")[:200],
        ip=ip,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        detail=detail or {},
    )
