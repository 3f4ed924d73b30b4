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
)
CSV_REQUIRED = ("source", "external_id", "published_at")
CSV_CHUNK = 2000


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def add(self, report: IngestReport) -> None:
        counts = report.counts
        self.created += counts[CREATED]
        self.updated += counts[UPDATED]
        self.unchanged += counts[UNCHANGED]
        for row in report.results:
            if row["status"] == REJECTED:
                self.error_count += 1
                if len(self.errors) < 1000:
                    fields = row["fields"]
                    reason = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
                    self.errors.append({"line": row["line"], "error": reason, "fields": fields})


def _csv_parse(raw, *, now):
    from feeds.validation import parse_item

    return parse_item(raw, now=now, strict_fields=False)


def csv_import(
    *,
    stream: Iterable[str],
    progress: Callable[[int], None] | None = None,
    total_hint: int | None = None,
) -> ImportResult:
    """Import a CSV (header + rows, columns in `CSV_COLUMNS`; others are ignored). Good rows
    are stored chunk by chunk; bad rows are reported by line number (the header is line 1)."""
    reader = csv.DictReader(stream, strict=True)
    try:
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ValidationFailed(f"Line 1: not a CSV header ({exc}).") from None
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ValidationFailed(
            f"Line 1: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}."
        )
    reader.fieldnames = header
    result = ImportResult(total=total_hint or 0)
    rows, lines = [], []

    def flush() -> None:
        if rows:
            result.add(items_ingest(raw_items=rows, line_numbers=lines, parse=_csv_parse))
            if progress:
                progress(len(rows))
            rows.clear()
            lines.clear()

    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            result.error_count += 1
            result.errors.append({"line": line, "error": f"Malformed CSV: {exc}.", "fields": {}})
            continue
        bad = next(
            (
                (name, problem)
                for name, value in row.items()
                for problem in [text_problem(value) if isinstance(value, str) else None]
                if problem
            ),
            None,
        )
        if bad is not None:
            result.error_count += 1
            column = printable(str(bad[0]))
            result.errors.append(
                {
                    "line": reader.line_num,
                    "error": f"{column}: {bad[1]}",
                    "fields": {column: [bad[1]]},
                }
            )
            continue
        line = reader.line_num
        if None in row:  # more cells than header columns
            row.pop(None)
        rows.append({k: row.get(k) for k in CSV_COLUMNS if k in row})
        lines.append(line)
        if len(rows) >= CSV_CHUNK:
            flush()
    flush()
    result.errors.sort(key=lambda e: e["line"])
    if result.created:
        stale_tables_analyze(schema=connection.schema_name)
    return result


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
