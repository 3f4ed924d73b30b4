"""The clinic settings tab "Leaving": export the clinic's data, deactivate, reactivate,
delete permanently. For the agency's owners and managers (deactivating, reactivating and
deleting: owners only, `clinics.lifecycle.clinic_owner_check`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect

from agency.models import AgencyRole
from clinics.lifecycle import (
    REACTIVATE_DAYS,
    WHAT_STOPS,
    clinic_deactivate,
    invitations_pending,
    reactivate_until,
)
from clinics.views import SettingsView
from core.errors import DomainError
from core.errors import PermissionDenied as DomainPermissionDenied
from core.permissions import Permission
from offboarding.exports import (
    EXPORT_DAYS,
    clinic_delete_with_exports,
    export_downloaded,
    export_file_open,
    export_made,
    export_request,
    export_running,
    exports_of,
)
from offboarding.models import ClinicExport
from offboarding.selectors import clinic_connections, clinic_open_work, staff_reaching_only
from offboarding.services import clinic_reactivate_with_sources


class _LeavingBase(SettingsView):
    permission = Permission.MANAGE
    write_permission = Permission.MANAGE
    allowed_when_deactivated = True  # clinics.paused: these work on a deactivated clinic
    section = "leaving"

    @property
    def base(self) -> str:
        return f"/clinics/{self.clinic.slug}/settings/leaving/"

    def page(self, status: int = 200, **context):
        return self.render(
            status,
            is_owner=self.access.agency_role == AgencyRole.OWNER,
            what_stops=WHAT_STOPS,
            reactivate_days=REACTIVATE_DAYS,
            reactivate_until=reactivate_until(self.clinic),
            export_days=EXPORT_DAYS,
            exports=exports_of(self.clinic),
            export_made=export_made(self.clinic),
            base=self.base,
            **context,
        )

    def refused(self, exc: DomainError):
        """The confirmation again, with the service's refusal; a wrong name is told at its
        field (tied to it with aria-describedby), with what was typed kept."""
        name_errors = exc.fields.get("confirm_name") or []
        return self.page(
            exc.status_code,
            error=exc.detail if name_errors else exc.text(),
            name_errors=name_errors,
            typed_name=self.request.POST.get("confirm_name", ""),
        )


class LeavingView(_LeavingBase):
    """The tab: exports with their progress and downloads; deactivate or reactivate; delete."""

    template_name = "offboarding/leaving.html"

    def get(self, request, *args, **kwargs):
        return self.page()

    def post(self, request, *args, **kwargs):
        self.staff_only()
        action = request.POST.get("action")
        try:
            if action == "export":
                export_request(clinic=self.clinic, actor=request.actor, request=request)
                messages.success(
                    request,
                    "The export is being built: this page shows its progress, and you are "
                    "told when it is ready.",
                )
            elif action == "reactivate":
                _, turned_off = clinic_reactivate_with_sources(
                    clinic=self.clinic, actor=request.actor, request=request
                )
                messages.success(request, f"{self.clinic.name} is active again.")
                for _source, reason in turned_off:
                    messages.warning(request, reason)
            else:
                return self.page(400, error="Unknown action: nothing was changed.")
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:
            return self.page(exc.status_code, error=exc.text())
        return HttpResponseRedirect(self.base)


class DeactivateView(_LeavingBase):
    """Confirmation: what stops, what is open now (with links, and what deactivating does to
    each), and the clinic's name typed to confirm."""

    template_name = "offboarding/deactivate.html"

    def page(self, status: int = 200, **context):
        if self.clinic.deactivated_at is None:
            context.setdefault("open_work", clinic_open_work(self.clinic))
            context.setdefault("connections", clinic_connections(self.clinic))
        return super().page(status, **context)

    def get(self, request, *args, **kwargs):
        return self.page()

    def post(self, request, *args, **kwargs):
        self.staff_only()
        try:
            clinic_deactivate(
                clinic=self.clinic,
                actor=request.actor,
                confirm_name=request.POST.get("confirm_name", ""),
                request=request,
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:
            return self.refused(exc)
        messages.success(request, f"{self.clinic.name} is deactivated: its people were told.")
        return HttpResponseRedirect(self.base)


class DeleteView(_LeavingBase):
    """Delete for good: the name typed and a second confirmation; warns when no export was
    made."""

    template_name = "offboarding/delete.html"

    def page(self, status: int = 200, **context):
        context.setdefault("only_here", staff_reaching_only(self.clinic))
        context.setdefault("invited", invitations_pending(self.clinic))
        context.setdefault("export_running", export_running(self.clinic))
        return super().page(status, **context)

    def get(self, request, *args, **kwargs):
        return self.page()

    def post(self, request, *args, **kwargs):
        self.staff_only()
        name = self.clinic.name
        try:
            clinic_delete_with_exports(
                clinic=self.clinic,
                actor=request.actor,
                confirm_name=request.POST.get("confirm_name", ""),
                confirmed=request.POST.get("confirm") == "yes",
                request=request,
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied(exc.detail) from None
        except DomainError as exc:
            return self.refused(exc)
        messages.success(request, f"{name} and all its data were deleted.")
        return HttpResponseRedirect("/agency/")


class ExportDownloadView(_LeavingBase):
    """The export's ZIP, for the agency's owners and managers while it lasts."""

    def get(self, request, export_id: int, *args, **kwargs):
        self.staff_only()
        job = ClinicExport.objects.filter(pk=export_id, clinic_id=self.clinic.pk).first()
        handle = export_file_open(job) if job is not None else None
        if handle is None:
            raise Http404("This export is not ready or has expired.")
        export_downloaded(job=job, actor=request.actor, request=request)
        return FileResponse(handle, as_attachment=True, filename=f"{self.clinic.slug}-export.zip")
