"""A CSV file a staff page offers for download (the security log, the privacy requests),
streamed row by row so a long log never sits in memory; and the formula guard of every CSV
file Carewatch writes (the offboarding export's too)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, tzinfo

from django.http import StreamingHttpResponse

# What a spreadsheet may read as the start of a formula (OWASP's CSV injection list): a tab or
# a carriage return before `=HYPERLINK(...)` too. One rule for every CSV file Carewatch writes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_time(at: datetime | None, zone: tzinfo = UTC) -> str:
    """A time as every CSV file Carewatch writes it: ISO 8601 to the second, with its offset,
    in `zone` (a clinic's log: the clinic's; an agency-wide one: UTC), "2026-12-06T06:28:15-08:00";
    "" for none. A `date` is written as ISO too (2026-12-06)."""
    if at is None:
        return ""
    if isinstance(at, datetime):
        return at.astimezone(zone).isoformat(timespec="seconds")
    return at.isoformat() if isinstance(at, date) else str(at)


def formula_guarded(cell):
    """`cell`, with a leading ' where it is a text that starts like a formula (one of
    `FORMULA_STARTS`): a spreadsheet shows it, never runs it. Anything else is returned as it
    is."""
    return f"'{cell}" if isinstance(cell, str) and cell[:1] in FORMULA_STARTS else cell


class _Echo:
    def write(self, value):
        return value


def csv_download(
    header: Sequence[str], rows: Iterable[Sequence], *, filename: str
) -> StreamingHttpResponse:
    """`rows` (lazily produced) under `header`, as an attachment named `filename`. A text cell
    that starts like a formula gets a leading ' : a spreadsheet shows it, never runs it. A time
    left as a `datetime` is written by `csv_time` (UTC), as every CSV writes its times."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(
                csv_time(c) if isinstance(c, datetime) else formula_guarded(c) for c in row
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
