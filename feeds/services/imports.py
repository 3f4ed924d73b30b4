"""Import jobs: CSV uploads in the web UI and API, run by a task, with a sweeper for stalled ones."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import TooLarge, ValidationFailed
from core.queueing import enqueue_on_commit
from feeds.models import (
    ImportJob,
    ImportStatus,
)
from feeds.services.csv_import import (
    CSV_COLUMNS,
    CSV_UNCLOSED_QUOTE,
    csv_columns_ignored,
    csv_header,
    csv_import,
    csv_nul_line,
    csv_open,
    csv_text,
    csv_unclosed_quote,
)

MB = 1024 * 1024
IMPORT_MAX_BYTES = 25 * MB  # README, "CSV import"


def import_job_create(
    *, filename: str, data: bytes, created_by_id: int | None, past_reviews: bool = False
) -> ImportJob:
    """Store an uploaded CSV and queue its import after commit. A file that cannot be imported
    at all is refused whole, its reason under `file`, and nothing is stored: larger than
    IMPORT_MAX_BYTES (`TooLarge`), empty, not UTF-8, holding a NUL character (PostgreSQL
    cannot store it), a header without the required columns or naming one twice, or a header
    and no rows. Bad rows do not refuse a file: the import reports them.
    `past_reviews`: the reviews it creates are history, with no reply clock (the clinic's
    reviews from before the agency answered for it)."""
    text = _import_text(data)
    total, header = _rows_counted(text)
    warnings = []
    if ignored := csv_columns_ignored(header):
        warnings.append(
            f"Not read: the column{'s' if len(ignored) > 1 else ''} {', '.join(ignored)} (the "
            f"import reads {', '.join(CSV_COLUMNS)})."
        )
    job = ImportJob.objects.create(
        filename=filename[:255],
        content=text,
        total_rows=total,
        created_by_id=created_by_id,
        past_reviews=past_reviews,
        warnings=warnings,
    )
    # feeds.tasks.imports_sweep catches up if the broker is down
    enqueue_on_commit(IMPORT_TASK, [(job.pk,)])
    return job


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [message]})


def _import_text(data: bytes) -> str:
    if len(data) > IMPORT_MAX_BYTES:
        message = f"At most {IMPORT_MAX_BYTES / MB:g} MB (got {len(data) / MB:.1f} MB)."
        raise TooLarge(message, fields={"file": [message]})
    try:
        text = csv_text(data)
    except ValidationFailed as exc:
        raise _refused(exc.detail) from None
    if not text.strip():
        raise _refused("The file is empty.")
    if (line := csv_nul_line(text)) is not None:
        raise _refused(
            f"Line {line} contains a NUL character (\\u0000), which cannot be stored. Remove "
            "it (save the file again as UTF-8 CSV) and upload it again."
        )
    return text


def _rows_counted(text: str) -> tuple[int, list[str]]:
    """The rows after the header (a malformed one counts: the import reports its line), and
    the header's column names. A quoted value that is never closed swallows the rest of the
    file as one value: the file is refused, naming the line where the quote opens."""
    reader = csv.reader(csv_open(text), strict=True)
    try:
        header = csv_header(next(cells for cells in reader if cells))
    except csv.Error as exc:
        raise _refused(f"Line 1: not a CSV header ({exc}).") from None
    except ValidationFailed as exc:
        raise _refused(exc.detail) from None
    total = 0
    while True:
        line = reader.line_num + 1
        try:
            total += bool(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:  # the reader goes on at the next line
            if csv_unclosed_quote(exc):
                raise _refused(CSV_UNCLOSED_QUOTE.format(line=line)) from None
            total += 1
    if not total:
        raise _refused("The file has a header row but no rows to import.")
    return total, header


IMPORT_TASK = "feeds.tasks.import_job_run"
IMPORT_QUEUED_GRACE = timedelta(minutes=2)
IMPORT_RUNNING_STALE = timedelta(minutes=30)  # longer than a task may run


def import_jobs_stalled() -> list[int]:
    """Jobs whose task was never queued (broker down) or whose worker died mid-run; running
    them again is safe (the upsert is idempotent)."""
    now = timezone.now()
    return list(
        ImportJob.objects.filter(
            Q(status=ImportStatus.QUEUED, updated_at__lt=now - IMPORT_QUEUED_GRACE)
            | Q(status=ImportStatus.RUNNING, updated_at__lt=now - IMPORT_RUNNING_STALE)
        ).values_list("pk", flat=True)
    )


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import; a second run of a finished job does nothing."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        job.status = ImportStatus.RUNNING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows", "updated_at"])

    def progress(n: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=F("processed_rows") + n, updated_at=timezone.now()
        )

    try:
        result = csv_import(
            stream=csv_open(job.content), progress=progress, as_past=job.past_reviews
        )
    except ValidationFailed as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, failure=exc.detail, finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.DONE,
        created_count=result.created,
        updated_count=result.updated,
        unchanged_count=result.unchanged,
        error_count=result.error_count,
        errors=result.errors,
        processed_rows=result.created + result.updated + result.unchanged + result.error_count,
        finished_at=timezone.now(),
        content="",
    )
    return ImportJob.objects.get(pk=job_id)
