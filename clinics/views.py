from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from accounts.credentials import api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey
from agency.forms import ApiKeyForm, ClinicEditForm, ClinicPersonForm, apply_domain_errors
from clinics.access import Permission
from clinics.forms import TemplateCreateForm, TemplateEditForm, ThresholdsForm
from clinics.models import ClinicMembership, CrisisRole
from clinics.services import CLINIC_EDITABLE, clinic_member_add, clinic_member_remove, clinic_update
from core.errors import DomainError
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


class SettingsView(TemplateResponseMixin, ClinicView):
    """Base of a clinic's settings pages: for the agency's staff only (clients use the
    portal); reading needs VIEW, changing needs MANAGE (owners and managers)."""

    write_permission = Permission.MANAGE
    section = ""

    def staff_only(self) -> None:
        if not self.access.is_agency_staff:
            raise PermissionDenied("Settings are for the agency's staff.")

    def render(self, status: int = 200, **context):
        self.staff_only()
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "access": self.access,
                "can_manage": self.access.can(Permission.MANAGE),
                "section": self.section,
                **context,
            },
            status=status,
        )


class ClinicSettingsView(SettingsView):
    """General: name, contact channels, time zone, reply target."""

    template_name = "clinics/settings_general.html"
    section = "general"

    def get(self, request, *args, **kwargs):
        initial = {name: getattr(self.clinic, name) for name in CLINIC_EDITABLE}
        return self.render(form=ClinicEditForm(initial=initial))

    def post(self, request, *args, **kwargs):
        self.staff_only()
        form = ClinicEditForm(request.POST)
        if form.is_valid():
            try:
                clinic_update(clinic=self.clinic, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Clinic settings saved.")
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form)


class ClinicPeopleView(SettingsView):
    """The clinic's people (clients): portal role and crisis-team roles; add, change, remove."""

    template_name = "clinics/settings_people.html"
    section = "people"

    def _people(self):
        return (
            ClinicMembership.objects.filter(clinic=self.clinic)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )

    def _membership(self, raw: str) -> ClinicMembership:
        membership = (
            ClinicMembership.objects.filter(clinic=self.clinic, pk=raw)
            .select_related("user")
            .first()
            if raw.isdigit()
            else None
        )
        if membership is None:
            raise Http404("No such person.")
        return membership

    def get(self, request, *args, **kwargs):
        return self.render(form=ClinicPersonForm(), people=self._people(), crisis=CrisisRole)

    def post(self, request, *args, **kwargs):
        self.staff_only()
        if request.POST.get("action") == "remove":
            membership = self._membership(request.POST.get("membership", ""))
            clinic_member_remove(membership=membership)
            messages.success(request, f"{membership.user.email} removed from {self.clinic.name}.")
            return HttpResponseRedirect(request.path)
        if request.POST.get("action") == "invite":
            from agency.views import invite_again

            membership = self._membership(request.POST.get("membership", ""))
            invite_again(request, membership.user, self.clinic.name)
            return HttpResponseRedirect(request.path)
        form = ClinicPersonForm(request.POST)
        if form.is_valid():
            try:
                membership = clinic_member_add(clinic=self.clinic, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                from agency.views import invite_and_say

                invite_and_say(request, membership.user, self.clinic.name)
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form, people=self._people(), crisis=CrisisRole)


class ClinicApiKeysView(SettingsView):
    """This clinic's API keys: create, rotate, revoke; a secret is rendered once."""

    template_name = "clinics/settings_api_keys.html"
    permission = Permission.MANAGE
    section = "api-keys"

    def _render(self, status=200, form=None, **extra):
        keys = ApiKey.objects.filter(clinic=self.clinic).order_by("revoked_at", "-created_at")
        return self.render(status, form=form or ApiKeyForm(), keys=keys, **extra)

    def get(self, request, *args, **kwargs):
        return self._render()

    def post(self, request, *args, **kwargs):
        self.staff_only()
        action = request.POST.get("action", "create")
        if action == "create":
            form = ApiKeyForm(request.POST)
            if not form.is_valid():
                return self._render(400, form)
            key, issued = api_key_create(
                agency=self.clinic.agency,
                clinic=self.clinic,
                created_by=request.user,
                **form.cleaned_data,
            )
            return self._render(201, created=key, secret=issued.secret)
        raw = request.POST.get("key", "")
        key = ApiKey.objects.filter(clinic=self.clinic, pk=raw).first() if raw.isdigit() else None
        if key is None:
            raise Http404("No such key.")
        if action == "revoke":
            api_key_revoke(api_key=key)
            messages.success(request, f"Key “{key.name}” revoked.")
            return HttpResponseRedirect(request.path)
        if action == "rotate" and key.revoked_at is None:
            new_key, issued = api_key_rotate(api_key=key)
            return self._render(201, created=new_key, secret=issued.secret)
        return self._render(
            400, key_error="This key cannot be rotated (revoked, or unknown action)."
        )


class ClinicTemplatesView(SettingsView):
    """Reply templates: the built-in library and this clinic's own (which may replace one)."""

    template_name = "clinics/settings_templates.html"
    section = "templates"

    def _render(self, status=200, create=None, edit_errors=None, **extra):
        from responses.models import ReplyTemplate
        from responses.selectors import templates_available

        own = list(ReplyTemplate.objects.order_by("name"))
        edit_forms = [
            (
                t,
                (edit_errors or {}).get(t.pk)
                or TemplateEditForm(
                    initial={
                        "name": t.name,
                        "category": t.category,
                        "body": t.body,
                        "is_active": t.is_active,
                    },
                    prefix=f"t{t.pk}",
                ),
            )
            for t in own
        ]
        return self.render(
            status,
            builtins=[t for t in templates_available() if t["builtin"]],
            own=edit_forms,
            create=create or TemplateCreateForm(),
            **extra,
        )

    def get(self, request, *args, **kwargs):
        return self._render()

    def post(self, request, *args, **kwargs):
        from responses.models import ReplyTemplate
        from responses.services.library import template_create, template_update

        self.staff_only()
        raw = request.POST.get("template", "")
        if raw:
            template = ReplyTemplate.objects.filter(pk=raw).first() if raw.isdigit() else None
            if template is None:
                raise Http404("No such template.")
            form = TemplateEditForm(request.POST, prefix=f"t{template.pk}")
            if form.is_valid():
                try:
                    template_update(
                        template_id=template.pk, access=self.access, **form.cleaned_data
                    )
                except DomainError as exc:
                    apply_domain_errors(form, exc)
                else:
                    messages.success(request, f"Template “{form.cleaned_data['name']}” saved.")
                    return HttpResponseRedirect(request.path)
            return self._render(400, edit_errors={template.pk: form})
        form = TemplateCreateForm(request.POST)
        if form.is_valid():
            try:
                template_create(access=self.access, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, f"Template “{form.cleaned_data['name']}” added.")
                return HttpResponseRedirect(request.path)
        return self._render(400, create=form)


class ClinicThresholdsView(SettingsView):
    """The crisis detectors' thresholds for this clinic."""

    template_name = "clinics/settings_thresholds.html"
    section = "thresholds"

    def get(self, request, *args, **kwargs):
        from crisis.selectors import detector_settings_get

        return self.render(form=ThresholdsForm(instance=detector_settings_get()))

    def render(self, status: int = 200, **context):
        form = context["form"]
        groups = [
            ("All detectors", "enabled", ("enabled", "baseline_days", "escalation_minutes")),
            ("Surge of negative mentions", "surge_", ()),
            ("Rating drop", "rating_", ()),
            ("Viral post", "viral_", ()),
            ("Misinformation", "misinformation_", ()),
            ("Watch words", "watch_", ()),
        ]
        context["groups"] = [
            (title, [form[n] for n in (names or [f for f in form.fields if f.startswith(prefix)])])
            for title, prefix, names in groups
        ]
        return super().render(status, **context)

    def post(self, request, *args, **kwargs):
        from crisis.selectors import detector_settings_get
        from crisis.services import actor_label
        from crisis.services.reviews import detector_settings_update

        self.staff_only()
        form = ThresholdsForm(request.POST, instance=detector_settings_get())
        if form.is_valid():
            try:
                detector_settings_update(actor=actor_label(request.actor), **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Detector thresholds saved.")
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form)
