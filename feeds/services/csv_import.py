"""CSV import: parse, validate line by line, upsert in chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

from core.errors import ValidationFailed
from core.maintenance import stale_tables_analyze
from core.text import printable, text_problem
from feeds.services.ingest import CREATED, REJECTED, UNCHANGED, UPDATED, IngestReport, items_ingest

CSV_COLUMNS = (
    "source",
    "external_id",
    "author",
    "rating",
    "text",
    "published_at",
    "url",
    "likes",
    "shares",
    "replies",
    # which of the clinic's sources of that kind, where it has several (a chain's locations)
    "source_id",
)
CSV_REQUIRED = ("source", "external_id", "published_at")
CSV_CHUNK = 2000


MAX_REPORTED = 1000  # rejected lines kept with their reasons; the rest are counted


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def add(self, report: IngestReport, unreadable: Iterable[dict] = ()) -> None:
        """Count one chunk: its upserted rows and, in line order, its rejected rows together
        with the lines of the same stretch of the file that could not be read (`unreadable`)."""
        counts = report.counts
        self.created += counts[CREATED]
        self.updated += counts[UPDATED]
        self.unchanged += counts[UNCHANGED]
        rejected = [
            {"line": row["line"], "error": _reason(row["fields"]), "fields": row["fields"]}
            for row in report.results
            if row["status"] == REJECTED
        ]
        for error in sorted([*rejected, *unreadable], key=lambda e: e["line"]):
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED:
                self.errors.append(error)


def _reason(fields: dict[str, list[str]]) -> str:
    """The fields' messages on one line: "rating: Must be an integer, not 'four'; likes: …."
    (each message's own full stop is left off before the "; ", never ".;")."""
    parts = [f"{k}: {' '.join(v)}".rstrip() for k, v in fields.items()]
    if not parts:
        return ""
    end = "." if parts[-1].endswith(".") else ""
    return "; ".join(part.rstrip(".") for part in parts) + end


def _csv_parse(raw, *, now):
    from feeds.validation import parse_item

    return parse_item(raw, now=now, strict_fields=False)


def csv_header(cells: list[str]) -> list[str]:
    """The column names of a header row (trimmed, lower case); `ValidationFailed` when one of
    `CSV_REQUIRED` is missing, or one of `CSV_COLUMNS` is named twice (which of its values
    would count is a guess: a badly merged export). Other columns are ignored, so they may
    repeat (an export's unnamed trailing columns)."""
    header = [name.strip().lower() for name in cells]
    missing = [
        name
        for name in CSV_REQUIRED
        if name not in header and not (name == "source" and "source_id" in header)
    ]
    if missing and len(header) == 1 and (separator := _other_separator(header[0])):
        raise ValidationFailed(
            f"Line 1: the file seems to use {separator} as separator; use ',' (in Excel: save "
            "as “CSV UTF-8 (Comma delimited)”)."
        )
    if missing:
        raise ValidationFailed(
            f"Line 1: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}."
        )
    repeated = [
        f"{name} {_times(len(where))} (columns {_and([str(i + 1) for i in where])})"
        for name in CSV_COLUMNS
        if len(where := [i for i, h in enumerate(header) if h == name]) > 1
    ]
    if repeated:
        raise ValidationFailed(
            f"Line 1: the header names {'; '.join(repeated)}: keep one column of each name."
        )
    return header


def _other_separator(cell: str) -> str:
    """The separator a one-column header seems to use instead of ',' ("';'", "a tab"), or ""."""
    if ";" in cell:
        return "';'"
    return "a tab" if "\t" in cell else ""


def csv_columns_ignored(header: list[str]) -> list[str]:
    """The named columns of a header (`csv_header`'s) that the import does not read, in file
    order, once each (unnamed ones, an export's trailing empty columns, are not named)."""
    return list(dict.fromkeys(name for name in header if name and name not in CSV_COLUMNS))


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def _and(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} and {items[-1]}"


CSV_UNCLOSED_QUOTE = (
    "Line {line}: a quoted value opens here and is never closed, so the rest of the file "
    'would be read as one value. Close the quote (a " inside a value is written "") and '
    "upload it again."
)


def csv_unclosed_quote(exc: csv.Error) -> bool:
    """Whether the reader's error is a quoted value still open at the end of the file."""
    return str(exc) == "unexpected end of data"


def csv_nul_line(text: str) -> int | None:
    """The line of the file (1 is the header) of the first NUL character in `text`, or None.
    NUL is valid UTF-8 but PostgreSQL cannot store it, so an upload that holds one is refused
    whole, before it is stored to be imported."""
    at = text.find("\x00")
    return None if at < 0 else text.count("\n", 0, at) + 1


def csv_import(
    *,
    stream: Iterable[str],
    progress: Callable[[int], None] | None = None,
    total_hint: int | None = None,
    as_past: bool = False,
) -> ImportResult:
    """Import a CSV (header + rows, columns in `CSV_COLUMNS`; others are ignored). Good rows
    are stored chunk by chunk; bad rows are reported in file order by the line of the file on
    which they start (the header is line 1; a quoted value may span lines). `as_past`: the
    reviews it creates are past reviews, with no reply clock (`Review.imported_as_past`)."""
    reader = csv.reader(stream, strict=True)
    try:
        header = csv_header(next((cells for cells in reader if cells), []))
    except csv.Error as exc:
        raise ValidationFailed(f"Line 1: not a CSV header ({exc}).") from None
    result = ImportResult(total=total_hint or 0)
    rows: list[dict] = []
    lines: list[int] = []
    unreadable: list[dict] = []

    def flush() -> None:
        report = IngestReport()
        if rows:
            report = items_ingest(
                raw_items=rows, line_numbers=lines, parse=_csv_parse, as_past=as_past
            )
        result.add(report, unreadable)
        if progress and rows:
            progress(len(rows))
        rows.clear()
        lines.clear()
        unreadable.clear()

    while True:
        line = reader.line_num + 1  # the line this row starts on; blank lines are rows of none
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader goes on at the next line
            unreadable.append({"line": line, "error": f"Malformed CSV: {exc}.", "fields": {}})
            continue
        if not cells:
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            unreadable.append({"line": line, "error": _too_many(cells, header), "fields": {}})
            continue
        row = dict(zip(header, cells, strict=False))  # empty cells past the header: ignored
        bad = next(
            ((name, problem) for name, value in row.items() if (problem := text_problem(value))),
            None,
        )
        if bad is not None:
            column = printable(bad[0])
            unreadable.append(
                {"line": line, "error": f"{column}: {bad[1]}", "fields": {column: [bad[1]]}}
            )
            continue
        rows.append({k: row.get(k) for k in CSV_COLUMNS if k in header})
        lines.append(line)
        if len(rows) >= CSV_CHUNK:
            flush()
    flush()
    if result.created:
        stale_tables_analyze(schema=connection.schema_name)
    return result


def _too_many(cells: list[str], header: list[str]) -> str:
    """A row with values past the header's columns: which value is whose is a guess (an
    unquoted comma in a text, a column the header does not name), so the row is not read."""
    return (
        f"{len(cells)} values for {len(header)} columns: quote a value that holds a comma, "
        "or name the extra column in the header."
    )


def csv_text(data: bytes) -> str:
    """Decode an uploaded CSV: UTF-8 (with or without BOM); anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            f"Line {line}: not valid UTF-8 (byte {exc.start}). Save the file as UTF-8."
        ) from None


def csv_open(text: str):
    return io.StringIO(text, newline="")
