"""What a deactivated clinic (`clinics.lifecycle`) refuses, in two places: the requests
(`ClinicPausedMiddleware`, after the access gate) and the tasks (`ClinicTask`, the Celery app's
task class). Both read `Clinic.deactivated_at`, so reactivating undoes them at once. A task
queued for a clinic that was deleted since ends as quietly (`ClinicGone`)."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from tenant_schemas_celery.task import TenantTask

from clinics.models import clinic_zone
from core.http import JsonAnswer, is_api_path

logger = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def deactivated_on(clinic) -> str:
    """The day `clinic` was deactivated, in its own time zone ("5 Dec 2026"), as its banner,
    its Leaving tab and the dashboard say it; "" while it is active."""
    if clinic.deactivated_at is None:
        return ""
    return date_format(timezone.localtime(clinic.deactivated_at, clinic_zone(clinic)), "j M Y")


def _deactivated_words(clinic) -> str:
    by = clinic.deactivated_by_name or "the agency"
    return f"Deactivated on {deactivated_on(clinic)} by {by}"


def clinic_read_only(clinic, view_class=None) -> str | None:
    """Why `clinic`'s pages may not change anything now, in one line, or None: the rule of
    `ClinicPausedMiddleware` (a deactivated clinic is read-only, except on the views that say
    `allowed_when_deactivated`). Pages show their actions disabled with this line rather than
    offering a button that ends on the refusal."""
    if clinic is None or clinic.deactivated_at is None:
        return None
    if getattr(view_class, "allowed_when_deactivated", False):
        return None
    return (
        f"{_deactivated_words(clinic)}: the clinic is read-only. An owner can reactivate it "
        "from its settings (Leaving: export, deactivate, delete)."
    )


def _refused(request, *, status: int, code: str, detail: str, template: str):
    if is_api_path(request):
        return JsonAnswer({"detail": detail, "code": code}, status=status)
    context = {"clinic": request.clinic, "detail": detail, "code": code}
    response = TemplateResponse(request, template, context, status=status)
    return response.render()


class ClinicPausedMiddleware:
    """For a deactivated clinic: its API keys get 403 `clinic_deactivated`; its own people (and
    their personal tokens) get 403 "Your agency has paused this portal"; the agency's staff
    read as before, and every write answers 409 `clinic_deactivated` except on the views that
    say `allowed_when_deactivated` (export, reactivate, delete)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        clinic = getattr(request, "clinic", None)
        access = getattr(request, "clinic_access", None)
        if clinic is None or access is None or clinic.deactivated_at is None:
            return self.get_response(request)
        if access.actor.api_key is not None:
            return _refused(
                request,
                status=403,
                code="clinic_deactivated",
                detail=(
                    f"{clinic.name} was deactivated by its agency on "
                    f"{deactivated_on(clinic)}: its API keys are refused until it "
                    "is reactivated."
                ),
                template="clinics/paused.html",
            )
        if not access.is_agency_staff:
            return _refused(
                request,
                status=403,
                code="clinic_paused",
                detail="Your agency has paused this portal.",
                template="clinics/paused.html",
            )
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        clinic = getattr(request, "clinic", None)
        if clinic is None or clinic.deactivated_at is None or request.method in SAFE_METHODS:
            return None
        if getattr(request, "clinic_access", None) is None:
            return None
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        if (detail := clinic_read_only(clinic, view_class)) is None:
            return None
        return _refused(
            request,
            status=409,
            code="clinic_deactivated",
            detail=detail,
            template="clinics/read_only.html",
        )


class ClinicGone:
    """The tenant of a task queued for a clinic that was deleted since (its row and its schema
    are gone, `clinics.lifecycle.clinic_delete`). tenant-schemas-celery selects it before the
    task runs, as it selects a clinic, without a query (the connection sets its search path
    at its next query, and there is none); `ClinicTask` then ends the task with one line in
    the log. Without it the schema switch raised `DoesNotExist` in the worker's signal handler
    (a traceback) and the task ran on in the public schema, failing on its first query."""

    pk = None
    deactivated_at = None

    def __init__(self, schema_name: str):
        self.schema_name = schema_name

    def __repr__(self) -> str:
        return f"<ClinicGone {self.schema_name}>"


def clinic_task_gone() -> ClinicGone | None:
    """The deleted clinic the task being run was queued for (None: it exists, or the task
    runs in the public schema)."""
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, ClinicGone) else None


def clinic_task_paused() -> bool:
    """Whether the task being run is in the schema of a deactivated clinic (the tenant the
    task's headers named, read fresh for each task)."""
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "deactivated_at", None) is not None


class ClinicTask(TenantTask):
    """The Celery app's task class (config/celery.py): a task queued for a clinic that has
    since been deactivated does nothing (a delivery, a webhook retry, a detector run, an
    alert), unless the task says `runs_when_deactivated` (the data export); one queued for a
    clinic deleted since does nothing either, whatever it says (there is nothing left to run
    on). Each ends with one info line, never an error. Beat's sweeps skip such clinics
    already (`clinics.schemas.clinic_schemas_each`); this stops what was queued before."""

    abstract = True
    runs_when_deactivated = False

    @classmethod
    def get_tenant_for_schema(cls, schema_name):
        """The clinic whose schema the task's headers name, read fresh; `ClinicGone` for one
        that no longer exists."""
        try:
            return super().get_tenant_for_schema(schema_name)
        except ObjectDoesNotExist:
            return ClinicGone(schema_name)

    def __call__(self, *args, **kwargs):
        if gone := clinic_task_gone():
            logger.info(
                "%s skipped: its clinic no longer exists (schema %s)", self.name, gone.schema_name
            )
            return None
        if not self.runs_when_deactivated and clinic_task_paused():
            logger.info("%s skipped: the clinic is deactivated", self.name)
            return None
        return super().__call__(*args, **kwargs)
