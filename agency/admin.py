from django.contrib import admin

from agency.models import Agency, AgencyMembership


class MembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "support_email"]
    inlines = [MembershipInline]
