"""Which clinic a request's path names, for `clinics.middleware.ClinicRoutingMiddleware`: the
lookup ran on every clinic request, so the clinic (with its agency) is cached by slug in the
shared Redis (`core.fastcache`), where every web process reads the same entry. A change to a
clinic, its domain or its agency, made by any process (a web worker, a Celery worker, a
command: the signals are connected when the app is ready), drops the entries it touches at
once and again at commit, so a clinic deactivated anywhere is refused on the next request to
any process. (Each process used to keep its own copy for 30 s, and served a deactivated
clinic's portal for that long.) A change holds its entries empty for a few seconds
(`core.fastcache.hold`), also while its transaction runs: a request that read the row before
it committed cannot cache that row after it. An unknown slug is never cached: a new clinic is
reachable at once. Saves and deletes are heard, and so is a queryset's `update()` or
`bulk_update()` (their managers are `core.models.HeardQuerySet`s): every write to these rows
drops its entries through `routes_forget`, the rows' segments before and after the change."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from agency.models import Agency
from clinics.models import Clinic, Domain
from core import fastcache
from core.models import rows_updated, rows_updating
from core.text import text_problem

ROUTE_CACHE_SECONDS = 60
# How long a dropped entry stays dropped: a request that read the row before the change was
# committed cannot cache that older row after it.
ROUTE_HOLD_SECONDS = 5


def _route_key(segment: str) -> str:
    return f"carewatch:route:{segment}"


def clinic_for_segment(segment: str) -> Clinic | None:
    """The clinic addressed by `/clinics/<segment>/`, with its agency, as a fresh instance
    (callers may change it without touching the cached copy). A segment PostgreSQL cannot
    compare (a NUL, a lone surrogate: `/clinics/x%00/`) names no clinic."""
    if text_problem(segment):
        return None
    key = _route_key(segment)
    cached = fastcache.get_object(key)
    if cached is not None:
        return cached
    domain = (
        Domain.objects.select_related("tenant", "tenant__agency").filter(domain=segment).first()
    )
    if domain is None:
        return None
    fastcache.set_object(key, domain.tenant, ttl=ROUTE_CACHE_SECONDS, only_new=True)
    return domain.tenant


def _segments_of(model, pks) -> list[str]:
    """The path segments that reach the rows `pks` of `model` (Clinic, Domain or Agency)."""
    pks = list(pks)
    if not pks:
        return []
    domains = Domain.objects.all()
    if model is Domain:
        domains = domains.filter(pk__in=pks)
    elif model is Clinic:
        domains = domains.filter(tenant_id__in=pks)
    else:
        domains = domains.filter(tenant__agency_id__in=pks)
    segments = list(domains.values_list("domain", flat=True))
    if model is Clinic:  # its domains may be gone already (a deletion)
        segments += Clinic.objects.filter(pk__in=pks).values_list("slug", flat=True)
    return segments


def routes_forget(model, pks, *, segments=()) -> None:
    """Drop the cached routes of the rows `pks` of `model` (Clinic, Domain or Agency) and of
    `segments`, now and again at commit (held for ROUTE_HOLD_SECONDS each time). The one way
    a write to these rows reaches the cache: their signals call it, and so does a queryset's
    `update()` (`core.models.HeardQuerySet`)."""
    keys = [_route_key(segment) for segment in {*_segments_of(model, pks), *segments}]

    def forget() -> None:
        for key in keys:
            fastcache.hold(key, ttl=ROUTE_HOLD_SECONDS)

    forget()
    transaction.on_commit(forget)


def _routes_forget(sender, instance, **_kwargs) -> None:
    segments = [instance.domain] if isinstance(instance, Domain) else []
    if isinstance(instance, Clinic):
        segments.append(instance.slug)  # a deleted clinic's row is gone already
    routes_forget(type(instance), [instance.pk], segments=segments)


def _rows_forget(sender, pks, **_kwargs) -> None:
    routes_forget(sender, pks)


def routes_forget_all() -> None:
    """Drop every cached route (the test suite, between tests: a rollback sends no signal)."""
    try:
        client = fastcache.client()
        if keys := list(client.scan_iter(_route_key("*"), count=1000)):
            client.delete(*keys)
    except Exception:  # noqa: BLE001, S110 - no Redis: nothing is cached either
        pass


for _model in (Clinic, Domain, Agency):
    post_save.connect(_routes_forget, sender=_model, weak=False, dispatch_uid=f"routes-{_model}")
    post_delete.connect(
        _routes_forget, sender=_model, weak=False, dispatch_uid=f"routes-d-{_model}"
    )
    # a queryset's update() sends no post_save: before it (the segments it may rename away)
    # and after it (the segments it may give)
    rows_updating.connect(
        _rows_forget, sender=_model, weak=False, dispatch_uid=f"routes-u-{_model}"
    )
    rows_updated.connect(
        _rows_forget, sender=_model, weak=False, dispatch_uid=f"routes-uu-{_model}"
    )
