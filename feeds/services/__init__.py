"""Writes for feeds, by concern: `sources`, `ingest` (the idempotent upsert, API push and polling
results, triage status), `csv_import`, `inbound` (signed webhooks) and `imports` (upload jobs).
Other apps import from here."""

from feeds.services.csv_import import (
    CSV_CHUNK,
    CSV_COLUMNS,
    CSV_REQUIRED,
    ImportResult,
    csv_import,
    csv_open,
    csv_text,
)
from feeds.services.imports import (
    IMPORT_QUEUED_GRACE,
    IMPORT_RUNNING_STALE,
    import_job_create,
    import_job_run,
    import_jobs_stalled,
)
from feeds.services.inbound import (
    WEBHOOK_TOLERANCE,
    webhook_receive,
    webhook_secret_ensure,
    webhook_signature,
)
from feeds.services.ingest import (
    CREATED,
    MAX_BATCH,
    REJECTED,
    UNCHANGED,
    UPDATED,
    IngestReport,
    ItemIn,
    Upserted,
    items_ingest,
    items_ingest_idempotent,
    request_hash,
    review_payload,
    reviews_created_emit,
    reviews_status_set,
    reviews_upsert,
)
from feeds.services.privacy import (
    privacy_request_carry_out,
    privacy_request_check,
    reviews_redact,
)
from feeds.services.sources import (
    source_create,
    source_credentials,
    source_credentials_renewed,
    source_replies_by_hand_set,
    source_update,
    webhook_url,
)

__all__ = [
    "CREATED",
    "CSV_CHUNK",
    "CSV_COLUMNS",
    "CSV_REQUIRED",
    "IMPORT_QUEUED_GRACE",
    "IMPORT_RUNNING_STALE",
    "ImportResult",
    "IngestReport",
    "ItemIn",
    "MAX_BATCH",
    "REJECTED",
    "UNCHANGED",
    "UPDATED",
    "Upserted",
    "WEBHOOK_TOLERANCE",
    "csv_import",
    "csv_open",
    "csv_text",
    "import_job_create",
    "import_job_run",
    "import_jobs_stalled",
    "items_ingest",
    "items_ingest_idempotent",
    "privacy_request_carry_out",
    "privacy_request_check",
    "request_hash",
    "review_payload",
    "reviews_created_emit",
    "reviews_redact",
    "reviews_status_set",
    "reviews_upsert",
    "source_create",
    "webhook_url",
    "source_credentials",
    "source_credentials_renewed",
    "source_replies_by_hand_set",
    "source_update",
    "webhook_receive",
    "webhook_secret_ensure",
    "webhook_signature",
]
