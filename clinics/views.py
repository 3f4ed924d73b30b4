from datetime import UTC

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic.base import TemplateResponseMixin

from accounts.actors import Actor
from accounts.models import ApiKey, RotationGrace, Scope
from accounts.selectors import user_is_agency_staff
from agency.forms import ApiKeyForm, apply_domain_errors
from agency.selectors import (
    agency_for_branding,
    agency_memberships_for_user,
    api_keys_working_first,
    clinics_reached,
)
from agency.services import MemberChange, api_keys_created_by
from agency.views import (
    Confirm,
    StaffView,
    invite_again,
    key_act,
    no_store,
    removal_confirm,
    say_name_kept,
    say_removed,
    say_told,
    secret_keep,
    secret_take,
    tell_member,
)
from clinics.access import ClinicAccess
from clinics.alerting import (
    ON_CALL_MAX,
    chat_webhook_of,
    chat_webhook_test,
    chat_webhooks_of,
    chat_webhooks_set,
    on_call_candidates,
    on_call_of,
    on_call_out_of_reach,
    on_call_set,
)
from clinics.forms import (
    ChatWebhooksForm,
    ClinicCreateForm,
    ClinicEditForm,
    ClinicPersonForm,
    NotificationPreferenceForm,
    SettingsHistoryFilterForm,
)
from clinics.models import (
    CLINIC_SLUG_NOT_MADE,
    CRISIS_TEAM_HELP,
    ChatKind,
    Clinic,
    ClinicMembership,
    clinic_roles_explained,
    clinic_zone,
    crisis_roles_explained,
)
from clinics.notifications import notices_still_theirs
from clinics.paused import clinic_read_only
from clinics.preferences import (
    email_groups_offered,
    history_words,
    preferences_for,
)
from clinics.selectors import (
    AGENCY_WIDE,
    NOTIFICATION_HISTORY_DAYS,
    STAFF_NOTIFICATION_HISTORY_URL,
    clinic_api_keys_listed,
    clinic_for_actor,
    clinic_slug_from_name,
    notifications_history_everywhere,
    settings_history,
    settings_history_people,
)
from clinics.services import (
    CLINIC_EDITABLE,
    clinic_api_key_create,
    clinic_create,
    clinic_departure,
    clinic_member_duties,
    clinic_member_remove,
    clinic_member_save,
    clinic_update,
)
from core.csv_download import csv_download, csv_time
from core.errors import DomainError
from core.http import positive_int
from core.leavers import left_behind
from core.paging import page_get
from core.permissions import Permission
from core.rollup import figures_changed
from core.views import ClinicView


class SettingsView(TemplateResponseMixin, ClinicView):
    """Base of a clinic's settings pages: for the agency's staff only (clients use the
    portal); reading needs VIEW, changing needs MANAGE (owners and managers)."""

    write_permission = Permission.MANAGE
    section = ""

    @classmethod
    def opens_for(cls, access: ClinicAccess) -> bool:
        """Whether `access` may open (GET) this page: what the clinic's tabs offer."""
        return access.is_agency_staff and access.can(cls.permission)

    def staff_only(self) -> None:
        if not self.access.is_agency_staff:
            raise PermissionDenied("Settings are for the agency's staff.")

    def render(self, status: int = 200, **context):
        self.staff_only()
        # a deactivated clinic's settings read as they are, their forms off with the reason
        read_only = clinic_read_only(self.clinic, type(self))
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "access": self.access,
                "can_manage": self.access.can(Permission.MANAGE) and read_only is None,
                "read_only": read_only,
                "section": self.section,
                **context,
            },
            status=status,
        )

    def confirm_page(self, confirm: Confirm):
        self.staff_only()
        context = {"clinic": self.clinic, "access": self.access, "section": self.section}
        return TemplateResponse(
            self.request, "agency/confirm.html", {**context, "confirm": confirm}
        )


class ClinicSettingsView(SettingsView):
    """General: name, contact channels, time zone, reply target."""

    template_name = "clinics/settings_general.html"
    section = "general"

    def get(self, request, *args, **kwargs):
        initial = {name: getattr(self.clinic, name) for name in CLINIC_EDITABLE}
        return self.render(form=ClinicEditForm(initial=initial, current_zone=self.clinic.timezone))

    def post(self, request, *args, **kwargs):
        self.staff_only()
        form = ClinicEditForm(request.POST, current_zone=self.clinic.timezone)
        if form.is_valid():
            try:
                clinic_update(clinic=self.clinic, actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Clinic settings saved.")
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form)


def _roles_explained() -> dict:
    """The people page's roles, each with what it may do (`clinics.models.CLINIC_ROLE_HELP`,
    `CRISIS_ROLE_HELP`): the words of its pickers and of the e-mails about a person's roles."""
    return {
        "roles": clinic_roles_explained(),
        "crisis_roles": crisis_roles_explained(),
        "crisis_team_help": CRISIS_TEAM_HELP,
    }


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
        pk = positive_int(raw)
        membership = (
            ClinicMembership.objects.filter(clinic=self.clinic, pk=pk)
            .select_related("user")
            .first()
            if pk
            else None
        )
        if membership is None:
            raise Http404("No such person.")
        return membership

    def get(self, request, *args, **kwargs):
        return self.render(form=ClinicPersonForm(), people=self._people(), **_roles_explained())

    def post(self, request, *args, **kwargs):
        self.staff_only()
        if request.POST.get("action") == "remove":
            membership = self._membership(request.POST.get("membership", ""))
            person = membership.user
            if not Confirm.given(request):
                return self.confirm_page(
                    removal_confirm(
                        person=person,
                        place=self.clinic.name,
                        consequence=(
                            f"They lose access to {self.clinic.name} at once (its portal, its "
                            "approvals and its crisis alerts); an e-mail tells them."
                        ),
                        fields={"action": "remove", "membership": membership.pk},
                        cancel=request.path,
                        left=left_behind(clinic_departure(membership)),
                        keys=api_keys_created_by(
                            agency=self.clinic.agency, user=person, clinic_id=self.clinic.pk
                        ),
                    )
                )
            removal = clinic_member_remove(
                membership=membership, by=request.user, revoke_keys=Confirm.revoke_keys(request)
            )
            tell_member(
                request,
                membership.user,
                agency=self.clinic.agency,
                place=self.clinic.name,
                duties=[],
                change=MemberChange.REMOVED,
            )
            say_removed(request, person, removal)
            return HttpResponseRedirect(request.path)
        if request.POST.get("action") == "invite":
            membership = self._membership(request.POST.get("membership", ""))
            invite_again(
                request,
                membership.user,
                agency=self.clinic.agency,
                place=self.clinic.name,
                duties=clinic_member_duties(
                    role=membership.role, crisis_roles=membership.crisis_roles
                ),
            )
            return HttpResponseRedirect(request.path)
        form = ClinicPersonForm(request.POST)
        if form.is_valid():
            try:
                saved = clinic_member_save(
                    clinic=self.clinic, by=request.user.full_name or "Someone", **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                say_told(request, saved.membership.user.email, saved.change, saved.told)
                say_name_kept(
                    request,
                    saved.membership.user,
                    form.cleaned_data["full_name"],
                    agency_id=self.clinic.agency_id,
                )
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form, people=self._people(), **_roles_explained())


class ClinicApiKeysView(SettingsView):
    """This clinic's API keys: create, rotate, revoke; a new secret is shown once, on the page
    the creation redirects to (`agency.views.secret_keep`)."""

    template_name = "clinics/settings_api_keys.html"
    permission = Permission.MANAGE
    section = "api-keys"

    # A clinic key's approve scope gives the clinic's own approval step, which a key created
    # by the agency's staff never gives (separation of duties): the staff's page does not
    # offer it (walk 9 #30), and `clinic_api_key_create` refuses it (walk 11 F1)
    SCOPES_OFFERED = (Scope.READ, Scope.WRITE)
    SCOPES_HELP = (
        "Read: pull reviews, scores and incidents; write: push reviews and draft replies. "
        "There is no approve scope here: the clinic's approval step is given only by an "
        "approver of the clinic who is not agency staff, in the portal or with their personal "
        "token, never by a key created here. The agency's approval step is given by people "
        "(or an agency key with the approve scope)."
    )

    def _form(self, data=None):
        return ApiKeyForm(data, offered=self.SCOPES_OFFERED, scopes_help=self.SCOPES_HELP)

    def _keys(self):
        return ApiKey.objects.filter(clinic=self.clinic)

    def _render(self, status=200, form=None, **extra):
        keys = api_keys_working_first(
            clinic_api_keys_listed(self._keys(), agency_id=self.clinic.agency_id)
        )
        return self.render(
            status, form=form or self._form(), keys=keys, graces=RotationGrace.choices, **extra
        )

    def get(self, request, *args, **kwargs):
        return no_store(self._render(**secret_take(request, self._keys())))

    def post(self, request, *args, **kwargs):
        self.staff_only()
        action = request.POST.get("action", "create")
        if action == "create":
            form = self._form(request.POST)
            if not form.is_valid():
                return self._render(400, form)
            try:
                key, issued = clinic_api_key_create(
                    clinic=self.clinic,
                    created_by=request.user,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
                return self._render(400, form)
            return secret_keep(request, key, issued.secret)
        pk = positive_int(request.POST.get("key"))
        key = self._keys().filter(pk=pk).first() if pk else None
        if key is None:
            raise Http404("No such key.")
        return key_act(
            request,
            key,
            action,
            confirm=self.confirm_page,
            refused=lambda text: self._render(400, key_error=text),
        )


class ClinicGoView(LoginRequiredMixin, View):
    """The navigation's clinic switcher (a plain GET form, so it works without JavaScript)."""

    def get(self, request):
        actor = getattr(request, "actor", None) or Actor(user=request.user, via_session=True)
        slug = request.GET.get("clinic", "")
        clinic = clinic_for_actor(actor, slug=slug) if slug else None
        if clinic is None:
            messages.error(request, "Choose one of your clinics.")
            return HttpResponseRedirect(request.META.get("HTTP_REFERER") or "/")
        section = request.GET.get("section", "")
        suffix = section if section in ("inbox/", "incidents/", "replies/", "settings/") else ""
        return HttpResponseRedirect(f"/clinics/{clinic.slug}/{suffix}")


class SettingsClinicsView(StaffView):
    """The agency's clinics (a writer or analyst limited to chosen clinics sees those); owners
    and managers create one here (clinics.services)."""

    template_name = "agency/settings_clinics.html"

    def _render(self, form, status=200):
        reached = self.agency.clinics.filter(clinics_reached(self.request.user))
        clinics = reached.order_by("name").only(
            "slug", "name", "timezone", "reply_target_minutes", "created_at", "agency"
        )
        return self.render_to_response(
            self.context(form=form, clinics=clinics, section="clinics"), status=status
        )

    def get(self, request):
        return self._render(ClinicCreateForm())

    def post(self, request):
        form = ClinicCreateForm(request.POST)
        # one of the agency's own clinics has it; another agency's answers as the service does
        # (no existence oracle: `clinics.models.CLINIC_SLUG_UNAVAILABLE`)
        slug = form.cleaned_data.get("slug") if form.is_valid() else None
        if slug and self.agency.clinics.filter(slug=slug).exists():
            form.add_error("slug", "This web address is taken: choose another.")
        made = False
        if form.is_valid() and not slug:
            # left empty: made from the name, free (`clinic_slug_from_name`), and said below
            form.cleaned_data["slug"] = clinic_slug_from_name(form.cleaned_data["name"])
            made = True
            if not form.cleaned_data["slug"]:
                form.add_error("slug", CLINIC_SLUG_NOT_MADE)
        if form.is_valid():
            try:
                clinic = clinic_create(agency=self.agency, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                figures_changed(clinic_id=clinic.pk)  # its dashboard row, soon
                address = f" Its web address, made from its name: /clinics/{clinic.slug}/."
                messages.success(
                    request, f"Clinic “{clinic.name}” created.{address if made else ''}"
                )
                return HttpResponseRedirect(f"/clinics/{clinic.slug}/settings/")
        return self._render(form, status=400)


def chat_test_send(request, *, agency_id: int, clinic: Clinic | None) -> bool:
    """A chat webhook's "Send test message" button (`chat_webhook_test`), on the agency's or a
    clinic's alert settings: the result, or "wait", in the page's messages after the redirect.
    False, with the message, when no webhook of the posted kind is saved there (a 400 page)."""
    kind = request.POST.get("kind", "")
    hook = chat_webhook_of(agency_id=agency_id, clinic=clinic, kind=kind)
    if hook is None:
        label = dict(ChatKind.choices).get(kind)
        messages.error(
            request,
            f"No {label} webhook is saved here: paste its URL, save, then send a test."
            if label
            else "Choose Slack or Microsoft Teams to send a test message to.",
        )
        return False
    try:
        tested = chat_webhook_test(hook=hook, by=request.actor)
    except DomainError as exc:  # too soon (ChatTestTooSoon), or changed meanwhile
        messages.warning(request, exc.detail)
    else:
        (messages.success if tested.ok else messages.error)(request, tested.words)
    return True


class ClinicAlertsView(SettingsView):
    """Where this clinic's incident alerts go: its Slack / Teams webhooks (on top of the
    agency's) and its on-call list (agency staff, in order; empty: owners and managers)."""

    template_name = "clinics/settings_alerts.html"
    section = "alerts"

    def _render(self, status=200, *, chat_form=None, on_call_errors=None, on_call_posted=None):
        current = on_call_of(self.clinic)
        chosen = on_call_posted if on_call_posted is not None else [str(u.pk) for u in current]
        chosen = list(chosen) + [""] * (ON_CALL_MAX - len(chosen))
        return self.render(
            status,
            chat_form=chat_form or ChatWebhooksForm(),
            hooks=chat_webhooks_of(agency_id=self.clinic.agency_id, clinic=self.clinic),
            agency_hooks=chat_webhooks_of(agency_id=self.clinic.agency_id, clinic=None),
            on_call=current,
            slots=list(enumerate(chosen[:ON_CALL_MAX], start=1)),
            candidates=on_call_candidates(self.clinic),
            out_of_reach=on_call_out_of_reach(self.clinic),
            on_call_errors=on_call_errors or [],
        )

    def get(self, request, *args, **kwargs):
        return self._render()

    def post(self, request, *args, **kwargs):
        self.staff_only()
        if request.POST.get("action") == "test":
            if chat_test_send(request, agency_id=self.clinic.agency_id, clinic=self.clinic):
                return HttpResponseRedirect(request.path)
            return self._render(400)
        if request.POST.get("action") == "on_call":
            entries = request.POST.getlist("on_call")
            try:
                people = on_call_set(clinic=self.clinic, entries=entries, actor=request.actor)
            except DomainError as exc:
                return self._render(
                    400, on_call_errors=exc.fields.get("on_call", []), on_call_posted=entries
                )
            messages.success(
                request,
                f"On-call list saved: {len(people)} {'person' if len(people) == 1 else 'people'}."
                if people
                else "On-call list emptied: alerts go to the agency's owners and managers.",
            )
            return HttpResponseRedirect(request.path)
        form = ChatWebhooksForm(request.POST)
        if form.is_valid():
            try:
                chat_webhooks_set(
                    agency_id=self.clinic.agency_id,
                    clinic=self.clinic,
                    changes=form.changes(),
                    actor=request.actor,
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Chat webhooks saved.")
                return HttpResponseRedirect(request.path)
        return self._render(400, chat_form=form)


class AgencyChatView(StaffView):
    """The agency's Slack / Teams webhooks: every clinic's incident alerts go there."""

    template_name = "agency/settings_chat.html"

    def _render(self, form=None, status=200):
        return self.render_to_response(
            self.context(
                form=form or ChatWebhooksForm(),
                hooks=chat_webhooks_of(agency_id=self.agency.pk, clinic=None),
                section="chat",
            ),
            status=status,
        )

    def get(self, request):
        return self._render()

    def post(self, request):
        if request.POST.get("action") == "test":
            if chat_test_send(request, agency_id=self.agency.pk, clinic=None):
                return HttpResponseRedirect(request.path)
            return self._render(status=400)
        form = ChatWebhooksForm(request.POST)
        if form.is_valid():
            try:
                chat_webhooks_set(
                    agency_id=self.agency.pk,
                    clinic=None,
                    changes=form.changes(),
                    actor=request.actor,
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Chat webhooks saved.")
                return HttpResponseRedirect(request.path)
        return self._render(form, status=400)


class NotificationPreferenceView(LoginRequiredMixin, TemplateResponseMixin, View):
    """The signed-in person's own notification settings (linked from their account page; the
    portal shows the same form, `portal.views.PortalNotificationSettingsView`)."""

    template_name = "clinics/notification_preferences.html"

    def _product(self) -> str:
        """What the pages are called for this person: the agency's name for its staff (as the
        top bar says), its brand for a clinic's people."""
        agency = agency_for_branding(self.request)
        if agency is None:
            return ""
        staff = agency_memberships_for_user(self.request.user).exists()  # as the top bar
        return agency.name if staff else agency.display_name

    def _form(self, data=None):
        user = self.request.user
        groups = email_groups_offered(user)
        initial = NotificationPreferenceForm.initial_for(preferences_for([user])[user.pk], groups)
        staff = user_is_agency_staff(user)
        return NotificationPreferenceForm(
            data, initial=initial, product=self._product(), groups=groups, staff=staff
        )

    def _render(self, form, status=200):
        # the agency's staff have their notification history next to this page; a clinic's
        # people have theirs in each clinic's portal
        staff = user_is_agency_staff(self.request.user)
        history = STAFF_NOTIFICATION_HISTORY_URL if staff else ""
        return self.render_to_response({"form": form, "history_url": history}, status=status)

    def get(self, request):
        return self._render(self._form())

    def post(self, request):
        form = self._form(request.POST)
        if form.save_for(request.user):
            messages.success(request, "Notification settings saved.")
            return HttpResponseRedirect(request.path)
        return self._render(form, status=400)


class NotificationHistoryView(LoginRequiredMixin, TemplateResponseMixin, View):
    """The notification history of one of the agency's staff: what they were told in the last
    60 days about every clinic they reach, on the agency's pages (a clinic's people have
    theirs in the portal, `portal.views.PortalNotificationsView`: they are sent home, where
    they open their clinic). Newest first, so every time is in one zone, the one of the
    agency's pages outside a clinic (UTC), named ("18:46 UTC"): in each clinic's own zone
    the list read out of order."""

    template_name = "clinics/notification_history.html"

    def get(self, request):
        user = request.user
        if not user_is_agency_staff(user):
            messages.info(request, "Your notifications are in each clinic’s portal: open it.")
            return HttpResponseRedirect(reverse("home"))
        rows = notifications_history_everywhere(user)
        theirs = {n.pk for n in notices_still_theirs(user, rows)}
        for n in rows:  # their role no longer allows it: it waits for them no more
            n.not_theirs = n.pk not in theirs
        pref = preferences_for([user])[user.pk]
        return self.render_to_response(
            {
                "rows": rows,
                "days": NOTIFICATION_HISTORY_DAYS,
                # an open notice of a paused clinic waits for nobody (as on the banner), nor
                # one the person's role no longer allows them to act on
                "waiting": sum(
                    1 for n in rows if n.open and not n.in_paused_clinic and not n.not_theirs
                ),
                "choices": history_words(pref, email_groups_offered(user)),
            }
        )


HISTORY_PAGE = 50
# One rule for the download: a column named as the API names a field holds what that field
# holds (`where`, `area`, `via`: stable codes; `by`: who, stable), and beside each code its
# words as the page shows them (`where_words`, `area_words`, `by_name`, `via_words`).
HISTORY_CSV_HEADER = (
    "changed_at", "where", "where_words", "area", "area_words", "setting", "old_value",
    "new_value", "by", "by_name", "via", "via_words",
)  # fmt: skip
AGENCY_WIDE_WORDS = "Agency-wide"


def _history_csv(rows, *, filename: str, zone):
    """The filtered history as CSV, every line (times in the page's zone, with its offset)."""
    lines = (
        (
            csv_time(row.created_at, zone),
            row.where,
            row.clinic.name if row.clinic_id else AGENCY_WIDE_WORDS,
            row.area,
            row.get_area_display(),
            row.setting,
            row.old_value,
            row.new_value,
            row.actor_label,
            row.by_words,
            row.via,
            row.get_via_display(),
        )
        for row in rows.iterator(chunk_size=500)
    )
    return csv_download(HISTORY_CSV_HEADER, lines, filename=filename)


def _history_page(request, rows) -> dict:
    """One page of the history and the filters' query string (to keep across pages)."""
    page = page_get(request, rows, HISTORY_PAGE)
    kept = request.GET.copy()
    kept.pop("page", None)
    kept.pop("format", None)
    return {"page": page, "query": kept.urlencode()}


class ClinicSettingsHistoryView(SettingsView):
    """Settings history: who changed which of this clinic's settings (and of the agency's,
    which reach it: its chat channels and brand), when, from what to what, on a page or
    through the API; newest first, filtered, `?format=csv` to download. For the staff who
    manage the clinic (owners and managers)."""

    template_name = "clinics/settings_history.html"
    section = "history"
    permission = Permission.MANAGE

    def get(self, request, *args, **kwargs):
        self.staff_only()
        agency_id = self.clinic.agency_id
        form = SettingsHistoryFilterForm(
            request.GET, people=settings_history_people(agency_id=agency_id, clinic=self.clinic)
        )
        zone = clinic_zone(self.clinic)
        if not form.is_valid():
            return self.render(400, form=form, zone=zone)
        rows = settings_history(
            agency_id=agency_id, clinic=self.clinic, zone=zone, **form.cleaned_data
        )
        if request.GET.get("format") == "csv":
            return _history_csv(
                rows, filename=f"settings-history-{self.clinic.slug}.csv", zone=zone
            )
        return self.render(form=form, zone=zone, **_history_page(request, rows))


class AgencySettingsHistoryView(StaffView):
    """Settings history of the whole agency: its own settings (branding, chat channels) and
    every clinic's, newest first, filtered (also by clinic), `?format=csv` to download. For
    owners and managers."""

    template_name = "agency/settings_history.html"
    manage_get = True

    def get(self, request):
        agency_id = self.agency.pk
        places = [
            (AGENCY_WIDE, "The agency's own settings"),
            *self.agency.clinics.order_by("name").values_list("slug", "name"),
        ]
        form = SettingsHistoryFilterForm(
            request.GET, people=settings_history_people(agency_id=agency_id), places=places
        )
        context = {"section": "history", "form": form, "zone": "UTC"}
        if not form.is_valid():
            return self.render_to_response(self.context(**context), status=400)
        rows = settings_history(agency_id=agency_id, zone=UTC, **form.cleaned_data)
        if request.GET.get("format") == "csv":
            return _history_csv(rows, filename=f"settings-history-{self.agency.slug}.csv", zone=UTC)
        return self.render_to_response(self.context(**context, **_history_page(request, rows)))
