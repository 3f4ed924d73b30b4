"""The agency's approvals log: every clinic's approval decisions in one list, newest first, for
the agency's owners and managers (`/agency/approvals-log/`). Reads only: each clinic's log is
its own selector (`responses.selectors.approvals_log`, as the clinic's staff page reads it),
run in the clinic's schema and merged here by time.

Bounded whatever the number of clinics or decisions: paging is by a cursor (the last row's
time, clinic and id), so a page asks each clinic for at most a page and one rows after the
cursor, or before it for the page before (one query per clinic, each using the audit table's
time index) and merges them; the
CSV file walks each clinic in chunks the same way, holding at most a chunk per clinic. A
page deep in the log costs what the first one does (a page number would make every clinic
read all the rows before it)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import NamedTuple

from django.db.models import Q
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.actors import Actor
from agency.models import Agency
from clinics.access import clinics_access
from clinics.models import Clinic, clinic_zone
from core.days import FIRST_DAY, LAST_DAY, range_instants
from core.permissions import Permission
from responses.models import AuditEntry
from responses.selectors import LogRow, approvals_log, approvals_log_rows

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_FIRST = (datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC) - _EPOCH) // _MICRO
_LAST = (datetime.combine(LAST_DAY, datetime.max.time(), tzinfo=UTC) - _EPOCH) // _MICRO


@dataclass(frozen=True, order=True)
class LogCursor:
    """Where a page of the agency's log ends: its last row's time, clinic and entry. The log is
    ordered by (time, clinic id, entry id), newest first, so the next page starts strictly
    after it. Its address form is "<microseconds since 1970>-<clinic id>-<entry id>"."""

    at: datetime
    clinic_id: int
    entry_id: int

    def token(self) -> str:
        return f"{(self.at - _EPOCH) // _MICRO}-{self.clinic_id}-{self.entry_id}"

    @classmethod
    def parse(cls, token: str) -> LogCursor | None:
        """The cursor `token` says, or None when it is not one (the form says so)."""
        parts = token.split("-")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
            return None
        micro, clinic_id, entry_id = (int(p) for p in parts)
        if not _FIRST <= micro <= _LAST:
            return None
        return cls(_EPOCH + micro * _MICRO, clinic_id, entry_id)


@dataclass(frozen=True)
class AgencyLogItem:
    """One decision of the agency's log: the clinic it was made in and its audit entry."""

    clinic: Clinic
    entry: AuditEntry

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.entry.created_at, self.clinic.pk, self.entry.pk)


@dataclass(frozen=True)
class AgencyLogRow:
    """A decision in words (`LogRow`, as the clinic's log says it) with its clinic and where
    the clinic's own log lists it (that day's page, at the entry)."""

    clinic: Clinic
    row: LogRow
    clinic_log_link: str


@dataclass(frozen=True)
class AgencyLogFilters:
    clinic: str = ""  # a clinic's slug
    decision: str = ""
    step: str = ""
    kind: str = ""
    decided_from: date | None = None  # whole UTC days, both inclusive
    decided_to: date | None = None


def approvals_log_clinics(
    *, agency: Agency, user=None, actor: Actor | None = None
) -> list[tuple[Clinic, object]]:
    """The agency's clinics (active and paused: a deleted one is gone with its schema) whose
    approvals log `actor` (or `user`, in person) may read, with their access, by name."""
    actor = actor if actor is not None else Actor(user=user, via_session=True)
    clinics = (
        Clinic.objects.filter(agency=agency)
        .exclude(schema_name=get_public_schema_name())
        .select_related("agency")
        .order_by("name", "pk")
    )
    clinics = list(clinics)
    # the actor's memberships read once for every clinic (`clinics_access`), not per clinic
    each = clinics_access(actor, clinics)
    out = []
    for clinic in clinics:
        access = each[clinic.pk]
        if access is not None and access.can(Permission.APPROVALS_LOG):
            out.append((clinic, access))
    return out


def _entries_after(
    access,
    filters: AgencyLogFilters,
    after: LogCursor | None,
    limit: int,
    *,
    before: LogCursor | None = None,
):
    """Up to `limit` decisions of one clinic (the current schema) after `after`, newest first;
    or, with `before`, the `limit` decisions just before it (newer), oldest first."""
    clinic = access.clinic
    qs = approvals_log(
        access,
        step=filters.step or None,
        decision=filters.decision or None,
        kind=filters.kind or None,
    )
    start, end = range_instants(filters.decided_from, filters.decided_to, UTC)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    if after is not None:
        # ordered by (time, clinic id, entry id), newest first: strictly after the cursor
        if clinic.pk < after.clinic_id:
            qs = qs.filter(created_at__lte=after.at)
        elif clinic.pk == after.clinic_id:
            qs = qs.filter(
                Q(created_at__lt=after.at) | Q(created_at=after.at, id__lt=after.entry_id)
            )
        else:
            qs = qs.filter(created_at__lt=after.at)
    if before is not None:
        # the mirror: strictly before the cursor in the log's order, nearest first
        if clinic.pk > before.clinic_id:
            qs = qs.filter(created_at__gte=before.at)
        elif clinic.pk == before.clinic_id:
            qs = qs.filter(
                Q(created_at__gt=before.at) | Q(created_at=before.at, id__gt=before.entry_id)
            )
        else:
            qs = qs.filter(created_at__gt=before.at)
        return list(qs.order_by("created_at", "id")[:limit])
    return list(qs.order_by("-created_at", "-id")[:limit])


def _clinic_stream(
    access,
    filters: AgencyLogFilters,
    after: LogCursor | None,
    chunk: int,
    *,
    before: LogCursor | None = None,
) -> Iterator[AgencyLogItem]:
    """One clinic's decisions after `after`, newest first (or before `before`, oldest first),
    read `chunk` at a time in its schema (the schema is switched only while a chunk is read,
    never across a yield)."""
    clinic = access.clinic
    while True:
        with schema_context(clinic.schema_name):
            entries = _entries_after(access, filters, after, chunk, before=before)
        for entry in entries:
            yield AgencyLogItem(clinic, entry)
        if len(entries) < chunk:
            return
        last = LogCursor(entries[-1].created_at, clinic.pk, entries[-1].pk)
        if before is not None:
            before = last
        else:
            after = last


def agency_approvals_log(
    reachable,
    filters: AgencyLogFilters,
    *,
    after: LogCursor | None = None,
    chunk: int = 500,
    before: LogCursor | None = None,
) -> Iterator[AgencyLogItem]:
    """The decisions of the `reachable` clinics (`approvals_log_clinics`), narrowed to
    `filters.clinic` (a slug), after `after`, newest first across clinics: each clinic's log
    read `chunk` rows at a time and merged by (time, clinic id, entry id). With `before`, the
    decisions before it (newer), nearest first, that is oldest first."""
    streams = [
        _clinic_stream(access, filters, after, chunk, before=before)
        for clinic, access in reachable
        if not filters.clinic or clinic.slug == filters.clinic
    ]
    return heapq.merge(*streams, key=lambda item: item.key, reverse=before is None)


class LogPage(NamedTuple):
    """A page of the agency's log, newest first, and where the pages next to it start: `after`
    (the next page: after its last row) and `before` (the page before: before its first row);
    None where there is none."""

    items: list[AgencyLogItem]
    after: LogCursor | None
    before: LogCursor | None


def agency_approvals_log_page(
    reachable,
    filters: AgencyLogFilters,
    *,
    after: LogCursor | None,
    size: int,
    before: LogCursor | None = None,
) -> LogPage:
    """A page of `size` decisions after `after` (or, with `before`, the `size` decisions just
    before it), with the cursors of the pages next to it. Each clinic is asked for `size` + 1
    rows at most. A page before that reaches the start of the log is the first page (a full
    one, whatever the sizes of the pages walked to reach it)."""
    if before is not None:
        newer = list(
            islice(
                agency_approvals_log(reachable, filters, before=before, chunk=size + 1), size + 1
            )
        )
        if len(newer) > size:
            items = newer[:size][::-1]
            return LogPage(items, LogCursor(*items[-1].key), LogCursor(*items[0].key))
        after = None
    items = list(islice(agency_approvals_log(reachable, filters, after=after, chunk=size + 1),
                        size + 1))  # fmt: skip
    previous = LogCursor(*items[0].key) if after is not None and items else None
    if len(items) <= size:
        return LogPage(items, None, previous)
    return LogPage(items[:size], LogCursor(*items[size - 1].key), previous)


def agency_approvals_log_rows(items: list[AgencyLogItem]) -> list[AgencyLogRow]:
    """`items` in words, in their order: each clinic's share said by the clinic log's own
    words (`approvals_log_rows`, as its staff page reads them), in its schema."""
    by_clinic: dict[int, list[AgencyLogItem]] = {}
    for item in items:
        by_clinic.setdefault(item.clinic.pk, []).append(item)
    words: dict[tuple[int, int], LogRow] = {}
    for group in by_clinic.values():
        clinic = group[0].clinic
        with schema_context(clinic.schema_name):
            rows = approvals_log_rows([i.entry for i in group], clinic=clinic, for_clinic=False)
        for row in rows:
            words[(clinic.pk, row.id)] = row
    out = []
    for item in items:
        row = words[(item.clinic.pk, item.entry.pk)]
        out.append(AgencyLogRow(item.clinic, row, _clinic_log_link(item.clinic, row)))
    return out


def _clinic_log_link(clinic: Clinic, row: LogRow) -> str:
    """The clinic's own log at the decision: the day it was made (the clinic's days are its
    time zone's), at its row."""
    day = row.at.astimezone(clinic_zone(clinic)).date().isoformat()
    return (
        f"/clinics/{clinic.slug}/approvals-log/?decided_from={day}&decided_to={day}"
        f"#decision-{row.id}"
    )
