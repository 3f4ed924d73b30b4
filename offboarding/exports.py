"""Export a clinic's data: a ZIP of CSV files (one per kind of record), the monthly reports as
JSON and a README.txt, built by a task and kept EXPORT_DAYS for the agency's owners and
managers to download.

Memory stays bounded however large the clinic: every table is read with `.iterator()` in
chunks and written row by row into a ZIP member on a temporary file, and the finished file
goes to the default storage (docs/operations.md: a shared volume or bucket with several
machines). Each app's data is read through its own selectors where it has them."""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import SecurityEventCode
from clinics.lifecycle import clinic_delete, clinic_event_record
from clinics.models import Clinic, clinic_zone
from clinics.notifications import people_notify
from core.csv_download import csv_time, formula_guarded
from core.errors import PermissionDenied
from core.privacy import Redacted
from core.queueing import enqueue_on_commit
from core.tenancy import current_clinic, current_clinic_id
from crisis.models import IncidentEvent, PostCrisisReview
from crisis.selectors import detector_settings_get, incidents_filtered
from facts.models import FactVersion
from facts.selectors import facts_list
from feeds.models import Review, ReviewRevision, Source, SourceOutage, platform_name
from feeds.services.sources import source_settings_words
from offboarding.models import ClinicExport, ExportStatus
from reports.selectors import monthly_report, report_settings_get
from responses.models import (
    AuditEntry,
    ReplyDraft,
    ReplyTemplate,
    ReplyVersion,
    Statement,
    StatementVersion,
)
from responses.selectors import outbox_list
from responses.services.guarding import response_settings_get
from scoring.selectors import latest_score_field
from webhooks.selectors import subscriptions_list, url_secrets_hidden

logger = logging.getLogger(__name__)

EXPORT_DAYS = 7
EXPORT_TASK = "offboarding.tasks.export_run"
CHUNK = 2000
PROGRESS_EVERY = 5000
EXPORT_QUEUED_GRACE = timedelta(minutes=2)
EXPORT_RUNNING_STALE = timedelta(minutes=40)  # longer than the task may run


def _cell(value):
    """A CSV cell: JSON for structures, ISO for times, and a text that starts like a formula
    prefixed with ' so that a spreadsheet shows it instead of running it."""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder)
    elif hasattr(value, "isoformat"):
        return csv_time(value)
    return "" if value is None else formula_guarded(value)


def _values(qs, columns: list[str]) -> Iterator[tuple]:
    return qs.values_list(*columns).iterator(chunk_size=CHUNK)


def _topic_names(topics) -> str:
    if not topics:
        return ""
    names = [t.get("topic") or t.get("name") if isinstance(t, dict) else str(t) for t in topics]
    return "; ".join(n for n in names if n)


# --- the files ----------------------------------------------------------------------------
# Each: (file name, what it holds (README.txt), header, rows). Rows are produced lazily.

REVIEW_COLUMNS = [
    "id", "source", "platform", "external_id", "kind", "author_name", "rating", "text",
    "language", "url", "published_at", "edited_at", "status", "is_deleted", "redacted_at",
    "parent_id", "likes", "shares", "replies",
    "score_label", "score", "score_confidence", "score_topics", "score_flags", "score_model",
]  # fmt: skip


def _reviews() -> Iterator[list]:
    # An item deleted at its author's request leaves every list (README, Privacy requests):
    # its row would still say who-rated-what-when.
    qs = (
        Review.objects.exclude(is_deleted=True, redacted_at__isnull=False)
        .annotate(
            s_label=latest_score_field("label"),
            s_score=latest_score_field("score"),
            s_conf=latest_score_field("confidence"),
            s_topics=latest_score_field("topics"),
            s_flags=latest_score_field("flags"),
            s_model=latest_score_field("model_version"),
        )
        .order_by("pk")
    )
    cols = [
        "pk", "source__name", "source__kind", "external_id", "kind", "author_name", "rating",
        "text", "language", "url", "published_at", "edited_at", "status", "is_deleted",
        "redacted_at", "parent_id", "likes", "shares", "replies",
        "s_label", "s_score", "s_conf", "s_topics", "s_flags", "s_model",
    ]  # fmt: skip
    for row in _values(qs, cols):
        row = list(row)
        row[22] = _topic_names(row[22])
        yield row


REPLY_COLUMNS = [
    "id", "review_id", "status", "version", "text", "author", "guard_verdict",
    "override_reason", "override_by", "created_at", "submitted_at", "approved_at", "published_at",
]  # fmt: skip


def _replies() -> Iterator[tuple]:
    current_text = Subquery(
        ReplyVersion.objects.filter(draft=OuterRef("pk"), number=OuterRef("version")).values(
            "text"
        )[:1]
    )
    qs = ReplyDraft.objects.annotate(current_text=current_text).order_by("pk")
    cols = [
        "pk", "review_id", "status", "version", "current_text", "author_name", "guard_verdict",
        "override_reason", "override_by_name", "created_at", "submitted_at", "approved_at",
        "published_at",
    ]  # fmt: skip
    yield from _values(qs, cols)


REPLY_VERSION_COLUMNS = ["reply_id", "number", "text", "author", "guard_verdict", "created_at"]


def _reply_versions() -> Iterator[tuple]:
    qs = ReplyVersion.objects.order_by("draft_id", "number")
    yield from _values(
        qs, ["draft_id", "number", "text", "author_name", "guard_verdict", "created_at"]
    )


AUDIT_COLUMNS = [
    "at", "object_type", "object_id", "review_id", "action", "actor", "actor_label",
    "version", "from_status", "to_status", "comment", "detail",
]  # fmt: skip


def _audit() -> Iterator[tuple]:
    qs = AuditEntry.objects.order_by("created_at", "pk")
    yield from _values(
        qs,
        [
            "created_at", "object_type", "object_id", "review_id", "action", "actor_name",
            "actor_label", "version", "from_status", "to_status", "comment", "detail",
        ],
    )  # fmt: skip


OUTBOX_COLUMNS = [
    "id", "kind", "status", "channel", "review_id", "reply_id", "statement_id", "version",
    "attempts", "sent_at", "external_url", "last_error", "manual_reason", "done_by",
    "created_at",
]  # fmt: skip


def _outbox() -> Iterator[tuple]:
    qs = outbox_list().order_by("pk")
    yield from _values(
        qs,
        [
            "pk", "kind", "status", "source__name", "review_id", "draft_id", "statement_id",
            "version", "attempts", "sent_at", "external_url", "last_error", "manual_reason",
            "done_by_name", "created_at",
        ],
    )  # fmt: skip


STATEMENT_COLUMNS = [
    "id", "title", "status", "version", "published_version", "is_pinned", "author",
    "created_at", "approved_at", "published_at",
]  # fmt: skip
STATEMENT_VERSION_COLUMNS = [
    "statement_id",
    "number",
    "title",
    "body",
    "author",
    "guard_verdict",
    "created_at",
]


def _statements() -> Iterator[tuple]:
    qs = Statement.objects.order_by("pk")
    yield from _values(
        qs,
        [
            "pk", "title", "status", "version", "published_version__number", "is_pinned",
            "author_name", "created_at", "approved_at", "published_at",
        ],
    )  # fmt: skip


def _statement_versions() -> Iterator[tuple]:
    qs = StatementVersion.objects.order_by("statement_id", "number")
    yield from _values(
        qs,
        ["statement_id", "number", "title", "body", "author_name", "guard_verdict", "created_at"],
    )


INCIDENT_COLUMNS = [
    "id", "kind", "severity", "status", "title", "mentions", "opened_at", "acknowledged_at",
    "acknowledged_by", "resolved_at", "trigger",
]  # fmt: skip
TIMELINE_COLUMNS = ["incident_id", "at", "kind", "actor", "message", "data"]


def _incidents() -> Iterator[tuple]:
    qs = incidents_filtered().order_by("pk")
    yield from _values(
        qs,
        [
            "pk", "kind", "severity", "status", "title", "mention_count", "opened_at",
            "acknowledged_at", "acknowledged_by", "resolved_at", "trigger",
        ],
    )  # fmt: skip


def _timeline() -> Iterator[tuple]:
    # the staff copy: every event, internal notes included
    qs = IncidentEvent.objects.order_by("incident_id", "at", "pk")
    yield from _values(qs, ["incident_id", "at", "kind", "actor", "message", "data"])


FACT_COLUMNS = [
    "id", "slug", "title", "statement", "source", "source_url", "verified_on", "topics",
    "is_active", "status", "version", "updated_by", "confirmed_by", "confirmed_at",
]  # fmt: skip
FACT_VERSION_COLUMNS = [
    "fact_id", "number", "action", "changed", "title", "statement", "source", "source_url",
    "verified_on", "topics", "is_active", "status", "actor", "by_clinic", "comment",
    "created_at",
]  # fmt: skip


def _facts() -> Iterator[tuple]:
    qs = facts_list().order_by("pk")
    yield from _values(
        qs,
        [
            "pk", "slug", "title", "statement", "source", "source_url", "verified_on", "topics",
            "is_active", "status", "version", "updated_by", "confirmed_by", "confirmed_at",
        ],
    )  # fmt: skip


def _fact_versions() -> Iterator[tuple]:
    qs = FactVersion.objects.order_by("fact_id", "number")
    yield from _values(
        qs,
        [
            "fact_id", "number", "action", "changed", "title", "statement", "source",
            "source_url", "verified_on", "topics", "is_active", "status", "actor_name",
            "by_clinic", "comment", "created_at",
        ],
    )  # fmt: skip


SOURCE_COLUMNS = [
    "id", "kind", "platform", "name", "enabled", "settings", "connected_account",
    "poll_interval_minutes", "replies_by_hand", "past_reviews_before", "created_at",
]  # fmt: skip


def _sources() -> Iterator[list]:
    # what is read, never how: no credentials, sign-in tokens or cursor, and a settings key
    # that names a secret is hidden as the settings history hides it
    qs = Source.objects.order_by("pk")
    cols = [
        "pk", "kind", "name", "enabled", "settings", "connection__account_name",
        "poll_interval_minutes", "replies_by_hand", "history_before", "created_at",
    ]  # fmt: skip
    for pk, kind, name, enabled, settings, *rest in _values(qs, cols):
        yield [pk, kind, platform_name(kind), name, enabled, source_settings_words(settings), *rest]


OUTAGE_COLUMNS = ["source_id", "why", "started_at", "ended_at", "started_by"]


def _source_outages() -> Iterator[tuple]:
    yield from _values(
        SourceOutage.objects.order_by("started_at", "pk"),
        ["source_id", "kind", "started_at", "ended_at", "started_by"],
    )


REVISION_COLUMNS = ["review_id", "kind", "text", "rating", "edited_at", "captured_at"]


def _review_revisions() -> Iterator[tuple]:
    # A redacted review's earlier versions hold the words its author asked to remove
    # (`feeds.services.privacy.reviews_redact` deletes them; none may reach a file).
    qs = ReviewRevision.objects.filter(review__redacted_at__isnull=True).order_by(
        "review_id", "captured_at", "pk"
    )
    yield from _values(qs, ["review_id", "kind", "text", "rating", "edited_at", "captured_at"])


WEBHOOK_COLUMNS = ["id", "url", "events", "description", "enabled", "created_at"]


def _webhooks() -> Iterator[tuple]:
    qs = subscriptions_list().order_by("pk")  # never the secret, nor one its URL holds
    for pk, url, *rest in _values(
        qs, ["pk", "url", "events", "description", "is_active", "created_at"]
    ):
        yield (pk, url_secrets_hidden(url), *rest)


POST_CRISIS_REVIEW_COLUMNS = [
    "incident_id", "incident_title", "lessons", "prevention", "metrics", "response_plan_version",
    "sent_at", "sent_by",
]  # fmt: skip


def _post_crisis_reviews() -> Iterator[tuple]:
    # as the clinic received it: only those sent to it (a draft was never the clinic's)
    qs = PostCrisisReview.objects.filter(sent_at__isnull=False).order_by("incident_id")
    yield from _values(
        qs,
        [
            "incident_id", "incident__title", "lessons", "prevention", "metrics",
            "plan_version", "sent_at", "sent_by",
        ],
    )  # fmt: skip


TEMPLATE_COLUMNS = ["key", "name", "category", "body", "is_active", "created_at", "updated_at"]


def _reply_templates() -> Iterator[tuple]:
    qs = ReplyTemplate.objects.order_by("key")
    yield from _values(qs, TEMPLATE_COLUMNS)


SETTING_COLUMNS = ["area", "setting", "value"]
CLINIC_SETTINGS = [
    "name", "slug", "timezone", "specialties", "phone", "email", "contact_url",
    "reply_target_minutes",
]  # fmt: skip


def _fields(row, skip: set[str]) -> Iterator[tuple[str, object]]:
    for f in row._meta.concrete_fields:
        if f.name not in skip:
            yield f.name, getattr(row, f.attname)


def _settings() -> Iterator[tuple]:
    # one row each (the defaults where the clinic never changed them)
    clinic = current_clinic()
    for name in CLINIC_SETTINGS:
        yield "general", name, getattr(clinic, name)
    for name, value in _fields(response_settings_get(), {"id", "updated_at"}):
        yield "replies", name, value
    for name, value in _fields(detector_settings_get(), {"id"}):
        yield "detectors", name, value
    report = report_settings_get(clinic)
    yield "monthly_report", "send_monthly", report.send_monthly
    yield "monthly_report", "extra_recipients", report.extra_recipients


CSV_FILES: list[tuple[str, str, list[str], Callable[[], Iterable]]] = [
    ("reviews.csv", "every review and mention (deleted ones too, with is_deleted; those "
     "deleted at their author's request are left out), each with its latest score: label, "
     "score (-1..1), confidence, topics, flags and model version",
     REVIEW_COLUMNS, _reviews),
    ("replies.csv", "reply drafts: status, current version and its text, who wrote it, the "
     "guard's verdict and any legal override, and when it was submitted, approved, published",
     REPLY_COLUMNS, _replies),
    ("reply_versions.csv", "every version of every reply draft", REPLY_VERSION_COLUMNS,
     _reply_versions),
    ("approval_trail.csv", "the append-only approval audit of replies, batches, statements "
     "and private follow-ups: who did what to which version, with comments",
     AUDIT_COLUMNS, _audit),
    ("outbox_deliveries.csv", "each delivery of an approved reply or statement to a channel: "
     "status, attempts, when sent, the platform's link, the last error",
     OUTBOX_COLUMNS, _outbox),
    ("statements.csv", "public statements: status, current and published version, pinned",
     STATEMENT_COLUMNS, _statements),
    ("statement_versions.csv", "every version of every statement (title and body)",
     STATEMENT_VERSION_COLUMNS, _statement_versions),
    ("incidents.csv", "crisis incidents: kind, severity, status, mentions, when opened, "
     "acknowledged and resolved, and what triggered them",
     INCIDENT_COLUMNS, _incidents),
    ("incident_timeline.csv", "each incident's timeline as the agency's staff see it "
     "(internal notes included)", TIMELINE_COLUMNS, _timeline),
    ("facts.csv", "the fact sheet: each fact as it stands now", FACT_COLUMNS, _facts),
    ("fact_versions.csv", "every version of every fact, who changed it and why",
     FACT_VERSION_COLUMNS, _fact_versions),
    ("sources.csv", "the clinic's sources: kind, name, whether Carewatch reads them, what is "
     "read (settings and the connected account; never credentials or sign-in tokens), how "
     "often, and whether replies are posted by hand", SOURCE_COLUMNS, _sources),
    ("source_outages.csv", "each time a source stopped delivering: why (turned_off, "
     "disconnected, connection_lost, fetches_failed), from when to when (empty: still down), "
     "and who turned it off or disconnected it", OUTAGE_COLUMNS, _source_outages),
    ("review_revisions.csv", "earlier versions of reviews the platforms edited or deleted "
     "(none of a review redacted or deleted at its author's request)",
     REVISION_COLUMNS, _review_revisions),
    ("webhooks.csv", "webhook subscriptions: URL (its user, password, query values and "
     "fragment hidden: they may hold a credential), events, description, enabled (never their "
     "secrets)", WEBHOOK_COLUMNS, _webhooks),
    ("post_crisis_reviews.csv", "each post-crisis review as sent to the clinic: lessons, "
     "prevention, metrics, the response plan version, when and by whom it was sent",
     POST_CRISIS_REVIEW_COLUMNS, _post_crisis_reviews),
    ("reply_templates.csv", "the clinic's own reply templates (the built-in library is "
     "everyone's and is not listed)", TEMPLATE_COLUMNS, _reply_templates),
    ("settings.csv", "the clinic's settings, one per row: general (name, time zone, contact, "
     "reply target), replies (approval steps, the guard's allowances), detectors (every "
     "threshold) and monthly_report (the schedule and extra recipients)",
     SETTING_COLUMNS, _settings),
]  # fmt: skip


def months_with_data(clinic: Clinic) -> list[date]:
    """The months (in the clinic's time zone) in which at least one review was published."""
    tz = clinic_zone(clinic)
    return [
        d.date() if hasattr(d, "date") else d
        for d in Review.objects.datetimes("published_at", "month", tzinfo=tz)
    ]


def _readme(clinic: Clinic, job: ClinicExport, months: list[date], counts: dict) -> str:
    lines = [
        f"Data export of {clinic.name} ({clinic.slug})",
        f"Made by Carewatch for {clinic.agency.name} on {timezone.now():%Y-%m-%d %H:%M} UTC"
        f" at the request of {job.requested_by_name or 'an owner or manager'}.",
        "",
        "CSV files are UTF-8 with a header row; times are ISO 8601 in UTC; structured cells "
        "are JSON. A text cell that begins with = + - or @ starts with ' so that spreadsheets "
        "show it rather than run it.",
        "",
    ]
    for name, what, _header, _rows in CSV_FILES:
        lines.append(f"{name} ({counts.get(name, 0)} rows): {what}.")
    lines.append(
        f"reports/monthly-YYYY-MM.json ({len(months)} files): the monthly report of each "
        "month with reviews, as GET reports/monthly/?month= returns it."
    )
    lines += [
        "",
        "Not included: secrets (source credentials and sign-in tokens, webhook secrets, API "
        "keys), people's accounts, and the security log (the agency's owners export that "
        "separately).",
    ]
    return "\n".join(lines) + "\n"


class _Progress:
    def __init__(self, job_id: int):
        self.job_id = job_id
        self.pending = 0

    def file(self, name: str) -> None:
        self.flush()
        ClinicExport.objects.filter(pk=self.job_id).update(step=name, updated_at=timezone.now())

    def file_done(self) -> None:
        self.flush()
        ClinicExport.objects.filter(pk=self.job_id).update(
            files_done=F("files_done") + 1, updated_at=timezone.now()
        )

    def row(self) -> None:
        self.pending += 1
        if self.pending >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            ClinicExport.objects.filter(pk=self.job_id).update(
                rows_written=F("rows_written") + self.pending, updated_at=timezone.now()
            )
            self.pending = 0


def _csv_member(zf: zipfile.ZipFile, name: str, header, rows, progress: _Progress) -> int:
    written = 0
    with zf.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(c) for c in row])
            written += 1
            progress.row()
        text.flush()
        text.detach()
    return written


def export_zip_write(*, clinic: Clinic, job: ClinicExport, fileobj) -> dict:
    """Write the export of `clinic` into `fileobj` (the clinic's schema must be active).
    Returns {file name: rows}."""
    progress = _Progress(job.pk)
    months = months_with_data(clinic)
    ClinicExport.objects.filter(pk=job.pk).update(files_total=len(CSV_FILES) + len(months) + 1)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, _what, header, rows in CSV_FILES:
            progress.file(name)
            counts[name] = _csv_member(zf, name, header, rows(), progress)
            progress.file_done()
        for month in months:
            name = f"reports/monthly-{month:%Y-%m}.json"
            progress.file(name)
            report = monthly_report(clinic=clinic, month=month)
            zf.writestr(name, json.dumps(report, cls=DjangoJSONEncoder, indent=2))
            counts[name] = 1
            progress.file_done()
        progress.file("README.txt")
        zf.writestr("README.txt", _readme(clinic, job, months, counts))
        progress.file_done()
    progress.flush()
    return counts


def export_request(*, clinic: Clinic, actor: Actor, request=None) -> ClinicExport:
    """Queue an export of `clinic` for an owner or manager of its agency (the views check the
    role; an API key never exports). One already queued or running is returned instead of
    starting a second. Recorded in the security log."""
    if actor.api_key is not None or actor.user is None:
        raise PermissionDenied("Exports are made by an owner or manager in person.")
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()  # one at a time
        running = ClinicExport.objects.filter(
            clinic=clinic, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
        ).first()
        if running is not None:
            return running
        job = ClinicExport.objects.create(
            clinic=clinic, requested_by=actor.user, requested_by_name=actor.name
        )
        clinic_event_record(
            SecurityEventCode.CLINIC_EXPORT_REQUESTED, clinic=clinic, actor=actor,
            request=request, export=job.pk,
        )  # fmt: skip
        enqueue_on_commit(EXPORT_TASK, [(job.pk,)], schema_name=clinic.schema_name)
    return job


def export_run(*, export_id: int) -> ClinicExport | None:
    """Build a queued export (the task). A second run of a finished one does nothing; a run
    after a worker died starts the file again. The person who asked is told when it is ready
    (or failed), in the app and by e-mail (`people_notify`). An export stopped meanwhile (a
    privacy request, `exports_redact`) keeps no file; one whose clinic was deleted meanwhile
    ends quietly (None)."""
    with transaction.atomic():
        job = (
            ClinicExport.objects.select_for_update(of=("self",))
            .select_related("clinic", "clinic__agency", "requested_by")
            .filter(pk=export_id)
            .first()
        )
        if job is None or job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
            return job
        job.status = ExportStatus.RUNNING
        job.started_at = timezone.now()
        job.files_done = job.rows_written = 0
        job.save(update_fields=["status", "started_at", "files_done", "rows_written", "updated_at"])
    clinic = job.clinic
    name = f"exports/{clinic.slug}/{clinic.slug}-{timezone.now():%Y%m%d-%H%M%S}-{get_random_string(12)}.zip"  # noqa: E501
    try:
        with tempfile.TemporaryFile() as tmp, schema_context(clinic.schema_name):
            export_zip_write(clinic=clinic, job=job, fileobj=tmp)
            size = tmp.tell()
            tmp.seek(0)
            stored = default_storage.save(name, File(tmp, name=name))
    except Exception as exc:
        if not ClinicExport.objects.filter(pk=export_id).exists():
            _export_clinic_gone(export_id, clinic)
            return None
        logger.exception("export %s of clinic %s failed", export_id, clinic.pk)
        ClinicExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            failure=f"{exc.__class__.__name__}: the export could not be built.",
            finished_at=timezone.now(),
        )
        outcome = "failed"
    else:
        now = timezone.now()
        updated = ClinicExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE,
            file_name=stored,
            size_bytes=size,
            step="",
            finished_at=now,
            expires_at=now + timedelta(days=EXPORT_DAYS),
        )
        if not updated:  # stopped or its clinic deleted meanwhile: the file must not outlive it
            _file_delete(stored)
            job = ClinicExport.objects.filter(pk=export_id).first()
            if job is None:
                _export_clinic_gone(export_id, clinic)
            return job
        outcome = "ready"
    job.refresh_from_db()
    if job.requested_by is not None:
        people_notify(
            users=[job.requested_by],
            clinic=clinic,
            kind="export",
            ref=f"export:{job.pk}",
            title=(
                f"The data export of {clinic.name} is ready"
                if outcome == "ready"
                else f"The data export of {clinic.name} failed"
            ),
            url=f"/clinics/{clinic.slug}/settings/leaving/",
            detail=(
                f"Download it from the clinic's settings (Leaving) within {EXPORT_DAYS} days."
                if outcome == "ready"
                else "Try again from the clinic's settings (Leaving)."
            ),
            waits=False,
        )
    return job


def _export_clinic_gone(export_id: int, clinic: Clinic) -> None:
    """An export whose clinic was deleted while it ran (its row went with the clinic): it
    ends as quietly as any task queued for a deleted clinic (`clinics.paused.ClinicTask`),
    with one info line, and nobody is told of an export that no longer exists."""
    logger.info(
        "export %s skipped: its clinic no longer exists (schema %s)", export_id, clinic.schema_name
    )


def export_file_open(job: ClinicExport):
    """The export's ZIP, open for reading (None when it is not ready or has expired)."""
    if job.status != ExportStatus.DONE or not job.file_name:
        return None
    if job.expires_at is not None and job.expires_at <= timezone.now():
        return None
    try:
        return default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        return None


def export_downloaded(*, job: ClinicExport, actor: Actor, request=None) -> None:
    clinic_event_record(
        SecurityEventCode.CLINIC_EXPORT_DOWNLOADED, clinic=job.clinic, actor=actor,
        request=request, export=job.pk,
    )  # fmt: skip


def exports_sweep(*, now=None) -> dict:
    """Beat: delete the files of exports past EXPORT_DAYS (the row stays, `expired`), and
    queue again the exports a lost message or a dead worker left behind."""
    now = now or timezone.now()
    expired = 0
    for job in ClinicExport.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        _file_delete(job.file_name)
        ClinicExport.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file_name="")
        expired += 1
    stalled = list(
        ClinicExport.objects.filter(
            Q(status=ExportStatus.QUEUED, updated_at__lt=now - EXPORT_QUEUED_GRACE)
            | Q(status=ExportStatus.RUNNING, updated_at__lt=now - EXPORT_RUNNING_STALE)
        ).select_related("clinic")
    )
    for job in stalled:
        enqueue_on_commit(EXPORT_TASK, [(job.pk,)], schema_name=job.clinic.schema_name)
    return {"expired": expired, "queued": len(stalled)}


def _file_delete(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("could not delete an export file")


def clinic_delete_with_exports(
    *, clinic: Clinic, actor: Actor, confirm_name: str, confirmed: bool, request=None
) -> dict:
    """`clinics.lifecycle.clinic_delete`, then the files of the clinic's exports (their rows
    went with the clinic's row). Refused input changes nothing, files included."""
    names = list(
        ClinicExport.objects.filter(clinic=clinic)
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    )
    result = clinic_delete(
        clinic=clinic,
        actor=actor,
        confirm_name=confirm_name,
        confirmed=confirmed,
        request=request,
    )
    for name in names:
        _file_delete(name)
    return {**result, "export_files": len(names)}


def exports_redact(*, review_ids: list[int], author_names: list[str]) -> Redacted:
    """`core.privacy`: reviews of the current clinic were redacted or deleted at their
    author's request. Its exports hold them as they were, so none may be downloaded any more:
    the files of the finished ones are deleted (after commit; the rows stay, expired) and one
    queued or running is stopped (failed, keeping no file). Export again for a copy without
    them."""
    clinic_id = current_clinic_id()
    if clinic_id is None:
        return Redacted()
    jobs = list(
        ClinicExport.objects.select_for_update().filter(
            clinic_id=clinic_id,
            status__in=[ExportStatus.DONE, ExportStatus.QUEUED, ExportStatus.RUNNING],
        )
    )
    if not jobs:
        return Redacted()
    names = [job.file_name for job in jobs if job.file_name]
    now = timezone.now()
    ClinicExport.objects.filter(
        pk__in=[j.pk for j in jobs if j.status == ExportStatus.DONE]
    ).update(status=ExportStatus.EXPIRED, file_name="", expires_at=now)
    ClinicExport.objects.filter(
        pk__in=[j.pk for j in jobs if j.status != ExportStatus.DONE]
    ).update(
        status=ExportStatus.FAILED,
        failure="Stopped: a privacy request removed items it would have held. Export again.",
        finished_at=now,
    )
    transaction.on_commit(lambda: [_file_delete(name) for name in names])
    return Redacted(
        cleared=[f"the clinic's data export{pluralize(len(jobs))} made before ({len(jobs)})"]
    )


def exports_of(clinic: Clinic) -> list[ClinicExport]:
    return list(ClinicExport.objects.filter(clinic=clinic).order_by("-created_at", "-pk")[:10])


def export_made(clinic: Clinic) -> bool:
    """Whether a finished export exists (any age): the delete page warns when none does."""
    return ClinicExport.objects.filter(
        clinic=clinic, status__in=[ExportStatus.DONE, ExportStatus.EXPIRED]
    ).exists()


def export_running(clinic: Clinic) -> bool:
    """Whether an export is queued or being built: the delete page warns that deleting now
    stops it (its file would go with the clinic anyway)."""
    return ClinicExport.objects.filter(
        clinic=clinic, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).exists()
