from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from clinics.lifecycle import clinic_deactivate, reactivate_until
from core.api import ClinicAPIView, paginated_response
from core.permissions import Permission
from offboarding.exports import (
    clinic_delete_with_exports,
    export_downloaded,
    export_file_open,
    export_request,
    exports_of,
)
from offboarding.models import ClinicExport
from offboarding.services import clinic_reactivate_with_sources


class ExportOutputSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="While the export is ready (7 days): GET it with the same credentials."
    )

    class Meta:
        model = ClinicExport
        fields = [
            "id",
            "status",
            "files_total",
            "files_done",
            "rows_written",
            "step",
            "size_bytes",
            "failure",
            "requested_by_name",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]

    def get_download_url(self, job) -> str | None:
        if job.status != "done":
            return None
        return f"/clinics/{job.clinic.slug}/api/v1/exports/{job.pk}/download/"


class _ManagersOnly(ClinicAPIView):
    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE
    # exporting and the lifecycle itself work on a deactivated clinic (clinics.paused)
    allowed_when_deactivated = True

    def staff_check(self) -> None:
        if not self.access.is_agency_staff:
            raise PermissionDenied("Only the agency's owners and managers export a clinic.")

    def export_get(self, export_id: int) -> ClinicExport:
        job = (
            ClinicExport.objects.select_related("clinic")
            .filter(pk=export_id, clinic_id=self.clinic.pk)
            .first()
        )
        if job is None:
            raise NotFound()
        return job


class ExportListApi(_ManagersOnly):
    """The clinic's data as a ZIP of CSV files (owners and managers): POST queues an export
    (one already running is returned), GET lists the latest ten."""

    @extend_schema(request=None, responses={202: ExportOutputSerializer})
    def post(self, request):
        self.staff_check()
        job = export_request(clinic=self.clinic, actor=self.actor, request=request._request)
        return Response(ExportOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ExportOutputSerializer(many=True))
    def get(self, request):
        self.staff_check()
        return paginated_response(self, list(exports_of(self.clinic)), ExportOutputSerializer)


class ExportDetailApi(_ManagersOnly):
    """One export: its status, progress and, when ready, where to download it."""

    @extend_schema(responses=ExportOutputSerializer)
    def get(self, request, export_id: int):
        self.staff_check()
        return Response(ExportOutputSerializer(self.export_get(export_id)).data)


class ExportDownloadApi(_ManagersOnly):
    """The export's ZIP (owners and managers, 7 days)."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, export_id: int):
        self.staff_check()
        job = self.export_get(export_id)
        handle = export_file_open(job)
        if handle is None:
            raise NotFound("This export is not ready or has expired.")
        export_downloaded(job=job, actor=self.actor, request=request._request)
        return FileResponse(handle, as_attachment=True, filename=f"{self.clinic.slug}-export.zip")


class ClinicLifecycleOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    deactivated_by = serializers.CharField(allow_blank=True)
    reactivate_until = serializers.DateTimeField(allow_null=True)


def _lifecycle(clinic) -> dict:
    return {
        "slug": clinic.slug,
        "name": clinic.name,
        "deactivated_at": clinic.deactivated_at,
        "deactivated_by": clinic.deactivated_by_name,
        "reactivate_until": reactivate_until(clinic),
    }


class ClinicDeactivateInputSerializer(serializers.Serializer):
    confirm_name = serializers.CharField(help_text="The clinic's name, typed to confirm.")


class ClinicDeleteInputSerializer(serializers.Serializer):
    confirm_name = serializers.CharField(help_text="The clinic's name, typed to confirm.")
    confirm = serializers.BooleanField(help_text="true: delete it and all its data for good.")


class ClinicDeactivateApi(_ManagersOnly):
    """Deactivate the clinic (agency owners): polling, detectors, alerts, the outbox and
    webhooks stop; its people and API keys are refused; it becomes read-only."""

    may_conflict = True  # 409 already_deactivated

    @extend_schema(
        request=ClinicDeactivateInputSerializer, responses=ClinicLifecycleOutputSerializer
    )
    def post(self, request):
        data = ClinicDeactivateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic = clinic_deactivate(
            clinic=self.clinic,
            actor=self.actor,
            confirm_name=data.validated_data["confirm_name"],
            request=request._request,
        )
        return Response(ClinicLifecycleOutputSerializer(_lifecycle(clinic)).data)


class SourceTurnedOffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField(help_text="Why it was turned off, and what to do.")


class ClinicReactivatedOutputSerializer(ClinicLifecycleOutputSerializer):
    sources_turned_off = SourceTurnedOffSerializer(
        many=True,
        help_text="The sources turned off as the clinic came back: another clinic connected "
        "the same platform account while it was deactivated (one account is read by one "
        "clinic). Empty when every source reads again.",
    )


class ClinicReactivateApi(_ManagersOnly):
    """Reactivate a clinic deactivated in the last 30 days (agency owners). Its sources read
    their platform accounts again; one whose account another clinic connected meanwhile is
    turned off instead, and listed in `sources_turned_off` with why."""

    may_conflict = True  # 409 not_deactivated, reactivation_expired

    @extend_schema(request=None, responses=ClinicReactivatedOutputSerializer)
    def post(self, request):
        clinic, turned_off = clinic_reactivate_with_sources(
            clinic=self.clinic, actor=self.actor, request=request._request
        )
        body = {
            **_lifecycle(clinic),
            "sources_turned_off": [
                {"id": s.pk, "name": s.name, "kind": s.kind, "reason": reason}
                for s, reason in turned_off
            ],
        }
        return Response(ClinicReactivatedOutputSerializer(body).data)


class ClinicDeleteApi(_ManagersOnly):
    """Delete a deactivated clinic and all its data for good (agency owners)."""

    may_conflict = True  # 409 not_deactivated

    @extend_schema(request=ClinicDeleteInputSerializer, responses={204: None})
    def post(self, request):
        data = ClinicDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic_delete_with_exports(
            clinic=self.clinic,
            actor=self.actor,
            confirm_name=data.validated_data["confirm_name"],
            confirmed=data.validated_data["confirm"],
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
