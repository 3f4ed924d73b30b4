from django.db import models

from core.models import BaseModel


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ClinicExport(BaseModel):
    """One export of a clinic's data: a ZIP of CSV files and monthly reports, built by a task
    (`offboarding.exports.export_run`) with its progress on this row, kept EXPORT_DAYS in the
    default file storage (never a public URL: it is served by an authorised view). Public
    schema, so that a deactivated clinic's exports list and download like any other."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    step = models.CharField(max_length=120, blank=True, default="")  # the file being written
    file_name = models.CharField(max_length=300, blank=True, default="")  # in default storage
    size_bytes = models.BigIntegerField(default=0)
    failure = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.pk} of clinic {self.clinic_id} ({self.status})"
