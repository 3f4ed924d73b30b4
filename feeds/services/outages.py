"""When a source stopped delivering and when it came back (`SourceOutage`).

One rule, `source_outages_sync`, called wherever a source's delivery can change (a failed
poll, a connection the platform ends, a source turned off or on, connected or disconnected):
it reads why the source does not deliver now (`feeds.selectors.source_delivery_problem`, the
rule the sources page and the incident room show) and brings the source's open outage in line
with it. A source that never delivered (being set up: not connected yet, no fetch has worked
yet) has no outage; one that delivered once and is disconnected has; a source turned off
always has (whoever turned it off chose that it does not read). Polling that stops on failures
is told to those who manage the clinic's sources (nothing else tells them: a lost connection
is told where it is lost, and a source turned off or disconnected was a person's choice)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinics.access import people_who_can
from clinics.notifications import notifications_close, people_notify
from core.permissions import Permission
from core.tenancy import current_clinic
from feeds.models import OutageKind, Review, Source, SourceOutage
from feeds.selectors import (
    CONNECTION_LOST,
    FETCHES_FAILED,
    NOT_CONNECTED,
    TURNED_OFF,
    source_delivery_problem,
)

_KIND_OF_PROBLEM = {
    TURNED_OFF: OutageKind.TURNED_OFF,
    NOT_CONNECTED: OutageKind.DISCONNECTED,
    CONNECTION_LOST: OutageKind.CONNECTION_LOST,
    FETCHES_FAILED: OutageKind.FETCHES_FAILED,
}


def outage_kind_now(source: Source) -> str:
    """The outage `source` is in now ("" when it delivers, or has never delivered and is
    still being set up)."""
    kind = _KIND_OF_PROBLEM.get(source_delivery_problem(source), "")
    if kind == OutageKind.DISCONNECTED and not _delivered(source):
        return ""  # never connected, or never read through its connection: setup
    return kind


def _delivered(source: Source) -> bool:
    return source.last_success_at is not None or Review.objects.filter(source=source).exists()


def source_outages_sync(
    source_ids: Iterable[int], *, at: datetime | None = None, by: str = ""
) -> None:
    """Bring each source's open outage in line with why it does not deliver now: open one
    when it stopped (`at`, `by` the person who turned it off or disconnected it), end it when
    it delivers again, or end it and open the next when the reason changed. Each source's row
    is locked while it is read, so two changes at once record one outage."""
    at = at or timezone.now()
    ids = sorted(set(source_ids))
    if not ids:
        return
    with transaction.atomic():
        sources = (
            Source.objects.select_for_update(of=("self",))
            .select_related("connection")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        for source in sources:
            kind = outage_kind_now(source)
            open_ = SourceOutage.objects.filter(source=source, ended_at__isnull=True).first()
            if open_ is not None and open_.kind == kind:
                continue
            if open_ is not None:
                SourceOutage.objects.filter(pk=open_.pk).update(ended_at=max(at, open_.started_at))
                if open_.kind == OutageKind.FETCHES_FAILED:
                    notifications_close(
                        clinic=current_clinic(), ref=source_notice_ref(source, "down")
                    )
            if kind:
                SourceOutage.objects.create(
                    source=source,
                    kind=kind,
                    started_at=at,
                    started_by=by
                    if kind in (OutageKind.TURNED_OFF, OutageKind.DISCONNECTED)
                    else "",
                    detail=source.last_error[:2000]
                    if kind in (OutageKind.CONNECTION_LOST, OutageKind.FETCHES_FAILED)
                    else "",
                )
                if kind == OutageKind.FETCHES_FAILED:
                    _tell_fetches_stopped(source)


def source_notice_ref(source: Source, what: str) -> str:
    """The ref of what those who manage the sources are told about `source`
    (`source_managers_tell`; closed by it)."""
    return f"source:{source.pk}:{what}"


def _tell_fetches_stopped(source: Source) -> None:
    """Polling stopped on failures: those who manage the clinic's sources are told (a lost
    connection is told by `connections`, a source turned off or disconnected was a person's
    choice); closed when the source delivers again."""
    clinic = current_clinic()
    source_managers_tell(
        clinic,
        source,
        "down",
        f"{source.name} stopped delivering: its fetches kept failing. Check it on the "
        "sources page.",
        f"/clinics/{clinic.slug}/sources/",
        severity="high",
        detail=source.last_error[:500],
    )


def source_managers_tell(
    clinic, source: Source, what: str, title: str, url: str, severity: str = "", detail: str = ""
):
    """Tell those who manage `clinic`'s sources about `source` (in-app and e-mail, once per
    `what` until it is closed: ref `source:<id>:<what>`)."""
    return people_notify(
        users=people_who_can(clinic, permission=Permission.MANAGE),
        clinic=clinic,
        kind="connection",
        ref=source_notice_ref(source, what),
        title=title,
        url=url,
        severity=severity,
        detail=detail,
    )
