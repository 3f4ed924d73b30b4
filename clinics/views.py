from django.views.generic.base import TemplateResponseMixin

from clinics.access import Permission
from clinics.models import ClinicMembership
from core.views import ClinicView
from feeds.selectors import review_status_counts, reviews_recent


class ClinicOverviewView(TemplateResponseMixin, ClinicView):
    template_name = "clinics/overview.html"

    def get(self, request, *args, **kwargs):
        context = {
            "clinic": self.clinic,
            "access": self.access,
            "permissions": sorted(p.value for p in self.access.permissions),
            "reviews": reviews_recent(limit=25),
            "status_counts": review_status_counts(),
            "people": ClinicMembership.objects.filter(clinic=self.clinic)
            .select_related("user")
            .order_by("user__full_name")
            if self.access.can(Permission.MANAGE)
            else None,
        }
        return self.render_to_response(context)
