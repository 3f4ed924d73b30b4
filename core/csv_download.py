"""A CSV file a staff page offers for download (the security log, the privacy requests),
streamed row by row so a long log never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@")


class _Echo:
    def write(self, value):
        return value


def csv_download(
    header: Sequence[str], rows: Iterable[Sequence], *, filename: str
) -> StreamingHttpResponse:
    """`rows` (lazily produced) under `header`, as an attachment named `filename`. A text cell
    that starts like a formula gets a leading ' : a spreadsheet shows it, never runs it."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(
                f"'{c}" if isinstance(c, str) and c[:1] in FORMULA_STARTS else c for c in row
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
