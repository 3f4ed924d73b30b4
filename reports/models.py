"""What the monthly report remembers, in the public schema beside the clinic's registry row:
each clinic's choices about it (`ReportSettings`) and every time a month's report was sent to
the clinic (`ReportSending`), so the schedule sends a month once and the staff tab says when
and to whom it went."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.models import BaseModel

EXTRA_RECIPIENTS_MAX = 10


class ReportSettings(BaseModel):
    """A clinic's monthly-report choices (no row: the defaults, nothing automatic)."""

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # "Send the monthly report automatically": on the 1st at 08:00 in the clinic's time zone,
    # last month's report goes to the clinic (reports.services.monthly_reports_due).
    send_monthly = models.BooleanField(default=False)
    # Who else receives the report by e-mail, beside the clinic's approvers (a practice
    # owner, a board address): at most EXTRA_RECIPIENTS_MAX addresses.
    extra_recipients = ArrayField(models.EmailField(), default=list, blank=True)

    def __str__(self) -> str:
        return f"report settings of clinic {self.clinic_id}"


class ReportSending(BaseModel):
    """One sending of one month's report to the clinic: by a person ("Send to the clinic") or
    by the schedule. The schedule sends a month only when no row exists for it; the
    constraint keeps two schedule runs from both sending it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="the first day of the month reported")
    automatic = models.BooleanField(default=False)
    sent_by_label = models.CharField(max_length=100)
    sent_by_name = models.CharField(max_length=200, blank=True, default="")
    emailed_to = ArrayField(models.EmailField(), default=list, blank=True)
    told_in_app = models.PositiveIntegerField(default=0)
    # The headline figures as sent (what the e-mail said).
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "month"],
                condition=Q(automatic=True),
                name="report_sending_one_automatic_per_month",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "month"], name="report_sending_clinic_month")]

    def __str__(self) -> str:
        return f"report {self.month:%Y-%m} of clinic {self.clinic_id}"
