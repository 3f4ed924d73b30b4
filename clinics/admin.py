from django.contrib import admin

from clinics.models import Clinic, ClinicMembership, Domain


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    """Read the registry here; create clinics with `create_clinic` or the API (schema needed)."""

    list_display = ["name", "slug", "agency", "schema_name", "timezone"]
    list_filter = ["agency"]
    readonly_fields = ["schema_name", "slug"]
    inlines = [MembershipInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Domain)
