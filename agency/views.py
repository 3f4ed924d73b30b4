"""The agency staff's pages outside any clinic: the dashboard across every clinic of the
agency and the agency-wide settings (clinics, staff, agency API keys)."""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.utils import dateformat, timezone
from django.utils.cache import patch_cache_control
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.generic.base import TemplateResponseMixin

from accounts.credentials import api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, RotationGrace
from accounts.selectors import user_belongs_elsewhere
from agency.branding import LOGO_MAX_BYTES, brand_palette, colour_warning, logo_content_type
from agency.forms import (
    ApiKeyForm,
    BrandingForm,
    SecurityLogFilterForm,
    StaffAddForm,
    StaffReachForm,
    apply_domain_errors,
)
from agency.models import (
    AGENCY_ROLE_HELP,
    CLINIC_SCOPED_ROLES,
    Agency,
    AgencyMembership,
    AgencyRole,
    agency_role_loses_powers,
    agency_role_may_touch,
    agency_roles_explained,
)
from agency.security_words import detail_words, event_words
from agency.selectors import (
    agency_for_staff,
    agency_people,
    api_keys_listed,
    api_keys_working_first,
    security_event_clinic_names,
    security_events_for_agency,
    security_log_clinics,
)
from agency.services import (
    ALL_CLINICS_WORDS,
    MemberChange,
    MemberUpdate,
    Removal,
    Told,
    agency_branding_update,
    agency_member_add,
    agency_member_clinics_set,
    agency_member_remove,
    agency_member_two_factor_reset,
    agency_member_two_factor_reset_check,
    agency_member_unlock,
    agency_member_update,
    api_keys_created_by,
    member_clinics_words,
    member_tell,
    reach_words,
    staff_departure,
    staff_duties,
    user_invite_send,
)
from core.csv_download import csv_download
from core.errors import Conflict, DomainError
from core.errors import PermissionDenied as Refused
from core.http import ParamRefused, positive_int
from core.leavers import left_behind
from core.paging import page_get
from core.text import possessive
from core.views import param_refused_page

MANAGING = (AgencyRole.OWNER, AgencyRole.MANAGER)
DASHBOARD_PAGE = 100


@cache_control(max_age=300, public=True)
def brand_css(request, slug: str):
    """The agency's colour as a stylesheet (the CSP forbids inline styles)."""
    agency = Agency.objects.filter(slug=slug).only("primary_colour").first()
    if agency is None:
        raise Http404("Not found.")
    # the bar and buttons in a shade their text reads on (white, or ink on a light colour), as
    # in the portal: a light brand colour left white text unreadable on the staff pages
    # and a line of it (the current sub-page's underline) in a shade that shows on the page
    palette = brand_palette(agency.primary_colour)
    return HttpResponse(
        f":root{{--brand:{palette['brand']};--on-brand:{palette['on_brand']};"
        f"--brand-line:{palette['brand_line']}}}\n",
        content_type="text/css",
    )


@cache_control(max_age=300, public=True)
def brand_logo(request, slug: str):
    """The agency's logo, for the portal, the staff pages and the public statement page. Only
    the raster types an upload may have are served, as what they are (nosniff, sandboxed)."""
    agency = Agency.objects.filter(slug=slug).only("slug", "logo").first()
    kind = logo_content_type(agency.logo.name) if agency is not None and agency.logo else ""
    if not kind or kind == "image/svg+xml":
        raise Http404("Not found.")
    try:
        handle = agency.logo.storage.open(agency.logo.name, "rb")
    except OSError:
        raise Http404("Not found.") from None
    response = FileResponse(handle, content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def say_told(request, email: str, change: MemberChange, told: Told) -> None:
    """After adding someone or changing their role: what was saved, and whether the e-mail
    that tells them went out (`agency.services.member_tell`)."""
    done = {
        MemberChange.ADDED: f"{email} added",
        MemberChange.REMOVED: f"{email} removed",
    }.get(change, f"{email}: role saved")
    if change == MemberChange.UNCHANGED:
        messages.info(request, f"Nothing changed for {email}.")
    elif told.mail == "invitation" and told.sent:
        messages.success(request, f"{done}; an e-mail invites them to choose a password.")
    elif told.mail == "invitation":
        messages.warning(
            request,
            f"{done}, but the invitation e-mail could not be sent: use "
            "“Send the invitation again” in the list.",
        )
    elif told.sent:
        messages.success(request, f"{done}; an e-mail tells them.")
    else:
        messages.warning(request, f"{done}, but the e-mail telling them could not be sent.")


def say_name_kept(request, user, typed: str, *, agency_id: int) -> None:
    """After adding someone, or saving their role, who already has an account under another
    name than the one typed: the account keeps its name (never renamed behind its owner's
    back), and the page says so rather than dropping the typed name silently. The name is
    told only when the account is known to this agency alone: another agency's name for the
    person (and that it knows them) is not this agency's to read."""
    typed = (typed or "").strip()
    if typed and typed != user.full_name:
        if user_belongs_elsewhere(user, agency_id=agency_id):
            known = "under the name they chose"
        else:
            known = f"as {user.full_name}" if user.full_name else "without a name"
        messages.warning(
            request,
            f"{user.email} already has an account {known}; their name is unchanged "
            f"(“{typed}” was not saved).",
        )


def tell_member(
    request, user, *, agency, place: str, duties: list[str], change, staff: bool | None = None
) -> None:
    """A change the signed-in person made on a people page: the person is told
    (`member_tell`, in the acting person's name; `staff` as it reads it) and the page says
    whether the e-mail went."""
    told = member_tell(user=user, agency=agency, place=place, duties=duties,
                       by=request.user.full_name or "Someone", change=change,
                       staff=staff)  # fmt: skip
    say_told(request, user.email, change, told)


def person_words(user) -> str:
    """ "ann@x.test (Ann Lee)", or the e-mail alone when there is no name: whom a confirmation
    is about."""
    return f"{user.email} ({user.full_name})" if user.full_name else user.email


def invite_again(request, user, *, agency, place: str, duties: list[str]) -> None:
    by = request.user.full_name or "Someone"
    if user.has_usable_password():
        messages.error(request, f"{user.email} has already chosen a password.")
    elif user_invite_send(
        user=user, agency=agency, place=place, duties=duties, invited_by=by, again=True
    ):
        messages.success(request, f"Invitation sent again to {user.email}.")
    else:
        messages.error(request, f"The invitation to {user.email} could not be sent; try later.")


NEW_SECRET_SESSION_KEY = "api-key-new-secret"  # noqa: S105 - a session key, not a secret


def secret_keep(request, key: ApiKey, secret: str) -> HttpResponseRedirect:
    """After a key page created or rotated a key: the secret waits in the session (stored on
    the server) for the next GET of the same page, which shows it once (`secret_take`), and
    the answer is a redirect, so reloading the page creates nothing. Never in the URL."""
    request.session[NEW_SECRET_SESSION_KEY] = {
        "path": request.path,
        "key": key.pk,
        "secret": secret,
    }
    return HttpResponseRedirect(request.path)


def secret_take(request, keys) -> dict:
    """{"created": key, "secret": ...} once, on the GET after `secret_keep`, else {}."""
    kept = request.session.get(NEW_SECRET_SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("path") != request.path:
        return {}
    del request.session[NEW_SECRET_SESSION_KEY]
    key = keys.filter(pk=kept.get("key"), revoked_at__isnull=True).first()
    if key is None:
        return {}
    # a rotation with a grace period: the old secret it replaced, while it still works
    replaced = ApiKey.objects.working().filter(replaced_by=key).first()
    return {"created": key, "secret": kept.get("secret"), "replaced": replaced}


def no_store(response):
    """A page showing a secret is kept by no cache, nor by the browser's back button."""
    patch_cache_control(response, no_store=True, private=True)
    return response


@dataclass(frozen=True)
class Confirm:
    """The page a destructive button leads to first: it asks, and only its button (which
    posts the same fields with `confirm=yes`) acts; Cancel goes back. Plain HTML forms."""

    question: str
    consequence: str
    button: str
    fields: dict
    cancel: str
    # a removal: what the person leaves behind (`core.leavers.Left`) and the working keys
    # they created, which the page offers to revoke (ticked)
    left: tuple = ()
    keys: tuple = ()
    # fields posted more than once (name, value), e.g. the clinics ticked
    repeated: tuple = ()

    @staticmethod
    def given(request) -> bool:
        return request.POST.get("confirm") == "yes"

    @staticmethod
    def revoke_keys(request) -> bool:
        return request.POST.get("revoke_keys") == "yes"

    @property
    def gaps(self) -> list:
        return [item for item in self.left if item.gap]


def removal_confirm(
    *, person, place: str, consequence: str, fields: dict, cancel: str, left, keys
) -> Confirm:
    """What a people page asks before removing `person` from `place`: what they lose, and
    what they leave behind (on-call slots, incident roles, unpublished work, what only they
    could approve) with the keys they created."""
    return Confirm(
        question=f"Remove {person_words(person)} from {place}?",
        consequence=consequence,
        button=f"Remove {person.email}",
        fields=fields,
        cancel=cancel,
        left=tuple(left),
        keys=tuple(keys),
    )


def _clinics_words(items) -> str:
    return "; ".join(f"{item.clinic_name} ({item.then.rstrip('.')})" for item in items)


def say_removed(request, person, removal) -> None:
    """After a removal: what it ended (on-call slots, with the clinics left with a gap, and
    incident roles) and which keys it revoked."""
    name = person.full_name or person.email
    on_call = [i for i in removal.ended if i.kind == "on_call"]
    roles = [i for i in removal.ended if i.kind == "incident_role"]
    if on_call:
        gaps = [i.clinic_name for i in on_call if i.gap]
        text = f"{name} was taken off the on-call list of {_clinics_words(on_call)}."
        if gaps:
            text += f" Nobody is on call now for {', '.join(gaps)}: choose someone there."
        messages.warning(request, text)
    if roles:
        total = sum(i.count for i in roles)
        where = ", ".join(i.clinic_name for i in roles)
        messages.warning(
            request,
            f"{possessive(name)} {total} incident team role{'s' if total != 1 else ''} ended ({where}): "
            "the roles fall back to the clinic's crisis team; assign someone in the incident "
            "room.",
        )
    if removal.keys_revoked:
        keys = ", ".join(f"“{k.name}”" for k in removal.keys_revoked)
        count = len(removal.keys_revoked)
        messages.success(request, f"{count} API key{'s' if count != 1 else ''} revoked: {keys}.")


class StaffView(LoginRequiredMixin, TemplateResponseMixin, View):
    """A page for the agency's staff. GET needs any staff role; POST needs owner or manager
    (`manage_get` makes GET need it too): the agency's own staff without it get 403. Anyone
    outside the agency (a clinic's people, another agency's staff) learns nothing of its
    pages: 404, as a page that does not exist (logged as "Not Found", no traceback)."""

    manage_get = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        agency, role = agency_for_staff(request.user, request.GET.get("agency"))
        if agency is None:
            raise Http404("Not found.")
        needs_manage = request.method not in ("GET", "HEAD") or self.manage_get
        if needs_manage and role not in MANAGING:
            raise PermissionDenied("Only an agency owner or manager may do this.")
        self.agency, self.role = agency, role
        # a writer or analyst limited to chosen clinics: the agency's pages list those only
        self.clinics_limited = (
            role in CLINIC_SCOPED_ROLES
            and AgencyMembership.objects.filter(
                agency=agency, user=request.user, all_clinics=False
            ).exists()
        )
        try:
            return super().dispatch(request, *args, **kwargs)
        except ParamRefused as exc:
            return param_refused_page(request, exc)

    def context(self, **extra) -> dict:
        return {
            "agency": self.agency,
            "role": self.role,
            "can_manage": self.role in MANAGING,
            "clinics_limited": self.clinics_limited,
            **extra,
        }

    def confirm_page(self, confirm: Confirm, section: str):
        return TemplateResponse(
            self.request, "agency/confirm.html", self.context(confirm=confirm, section=section)
        )


def clinics_posted(request) -> tuple[bool, list[str]]:
    """The clinics a people form chose: (True, []) for "All clinics" (the default), else
    (False, the clinic ids ticked, as posted: the service checks them)."""
    if request.POST.get("reach", "all") != "chosen":
        return True, []
    return False, request.POST.getlist("clinics")[:1000]


class SettingsPeopleView(StaffView):
    """The agency's staff: add (or re-role) by e-mail, change a role, choose the clinics a
    writer or analyst reaches (all, or some), remove."""

    template_name = "agency/settings_people.html"

    def _render(self, form, status=200, errors=None, posted=None, reach_form=None):
        people = list(agency_people(agency=self.agency))
        for m in people:
            m.clinics_words = member_clinics_words(m)
            m.chosen_ids = {sc.clinic_id for sc in m.chosen_clinics.all()}
        every, chosen = posted if posted is not None else (True, [])
        roles = agency_roles_explained()
        owners = sum(1 for m in people if m.role == AgencyRole.OWNER)
        for m in people:
            # what this person may do to each row, by the services' own rule
            m.role_choices = [
                r
                for r in roles
                if agency_role_may_touch(acting_role=self.role, target_role=m.role, new_role=r[0])
            ]
            m.removable = agency_role_may_touch(acting_role=self.role, target_role=m.role)
            # the last owner stays (agency_member_remove refuses): said up front, no button
            m.last_owner = m.removable and m.role == AgencyRole.OWNER and owners == 1
            if m.last_owner:
                m.removable = False
        form.fields["role"].choices = [
            (v, label)
            for v, label, _ in roles
            if agency_role_may_touch(acting_role=self.role, target_role=v, new_role=v)
        ]
        return self.render_to_response(
            self.context(
                form=form,
                people=people,
                clinics=list(self.agency.clinics.order_by("name", "pk")),
                scoped_roles=list(CLINIC_SCOPED_ROLES),
                add_every=every,
                add_chosen={str(pk) for pk in chosen},
                reach_errors=reach_form.errors.get("reach") if reach_form else None,
                roles=roles,
                row_errors=errors or {},
                section="people",
                is_owner=self.role == AgencyRole.OWNER,
                now=timezone.now(),
            ),
            status=status,
        )

    def get(self, request):
        return self._render(StaffAddForm())

    def post(self, request):
        action = request.POST.get("action", "add")
        if action == "add":
            form = StaffAddForm(request.POST)
            reach_form = StaffReachForm(request.POST)
            every, chosen = clinics_posted(request)
            # both checked, so that every field in error is marked at once
            form_ok, reach_ok = form.is_valid(), reach_form.is_valid()
            if not reach_ok:
                # neither radio checked (what was sent is neither choice), the boxes kept
                every, chosen = None, request.POST.getlist("clinics")[:1000]
            if form_ok and reach_ok:
                try:
                    new_role = form.cleaned_data["role"]
                    if not agency_role_may_touch(
                        acting_role=self.role, target_role=new_role, new_role=new_role
                    ):
                        raise PermissionDenied
                    # the person and the clinics they reach are saved together or not at all;
                    # one already on the staff (added just before, or at the same moment) is
                    # refused on `email`
                    with transaction.atomic():
                        membership = agency_member_add(
                            agency=self.agency, **form.cleaned_data, new_only=True
                        )
                        if not every:
                            agency_member_clinics_set(
                                membership=membership,
                                all_clinics=False,
                                clinic_ids=chosen,
                                acting_role=self.role,
                                by=request.user,
                            )
                except PermissionDenied:
                    form.add_error("role", "Only an owner adds another owner.")
                except DomainError as exc:
                    apply_domain_errors(form, exc)
                else:
                    tell_member(
                        request,
                        membership.user,
                        agency=self.agency,
                        place=self.agency.name,
                        duties=[staff_duties(membership)],
                        change=MemberChange.ADDED,
                    )
                    say_name_kept(
                        request,
                        membership.user,
                        form.cleaned_data["full_name"],
                        agency_id=self.agency.pk,
                    )
                    return HttpResponseRedirect(request.path)
            return self._render(form, status=400, posted=(every, chosen), reach_form=reach_form)
        pk = positive_int(request.POST.get("membership"))
        membership = (
            AgencyMembership.objects.filter(agency=self.agency, pk=pk).first() if pk else None
        )
        if membership is None:
            raise Http404("No such person.")
        try:
            if action in ("role", "clinics"):
                # one save may change the role, the clinics or both (the clinics form carries
                # the role too): all or nothing, and one e-mail says what changed
                role = None
                if action == "role" or "role" in request.POST:
                    role = request.POST.get("role", "")
                every, chosen = None, []
                if action == "clinics" or "reach" in request.POST:
                    every, chosen = clinics_posted(request)
                if not Confirm.given(request) and (
                    ask := self._own_role_confirm(membership, role, every, chosen)
                ):
                    return self.confirm_page(ask, section="people")
                update = agency_member_update(
                    membership=membership,
                    acting_role=self.role,
                    role=role,
                    all_clinics=every,
                    clinic_ids=chosen,
                    by=request.user,
                )
                say_member_saved(request, membership, update, agency=self.agency)
            elif action == "remove":
                person = membership.user
                if not agency_role_may_touch(acting_role=self.role, target_role=membership.role):
                    # refused before the confirmation page, by the services' rule
                    raise Refused("Only an owner removes an owner.")
                if not Confirm.given(request):
                    return self.confirm_page(
                        removal_confirm(
                            person=person,
                            place=f"the staff of {self.agency.name}",
                            consequence=(
                                f"They lose access to {self.agency.name} and every one of its "
                                "clinics at once: their open browser sessions are signed out, "
                                "their personal tokens stop working, and they are taken off "
                                "every on-call list; an e-mail tells them."
                            ),
                            fields={"action": "remove", "membership": membership.pk},
                            cancel=request.path,
                            left=left_behind(staff_departure(membership)),
                            keys=api_keys_created_by(agency=self.agency, user=person),
                        ),
                        section="people",
                    )
                removal = agency_member_remove(
                    membership=membership,
                    acting_role=self.role,
                    by=request.user,
                    revoke_keys=Confirm.revoke_keys(request),
                )
                tell_member(
                    request,
                    membership.user,
                    agency=self.agency,
                    place=self.agency.name,
                    duties=[],
                    change=MemberChange.REMOVED,
                    staff=True,  # removed from the staff: told in the agency's own name
                )
                say_removed(request, person, removal)
            elif action == "unlock":
                if agency_member_unlock(
                    membership=membership, acting_role=self.role, by=request.user
                ):
                    messages.success(request, f"{membership.user.email} unlocked: they can "
                                     "sign in again now.")  # fmt: skip
                else:
                    messages.info(request, f"{membership.user.email} was not locked.")
            elif action == "reset_two_factor":
                person = membership.user
                # refused before the confirmation page, by the services' rule
                agency_member_two_factor_reset_check(
                    membership=membership, acting_role=self.role, by=request.user
                )
                if not Confirm.given(request):
                    return self.confirm_page(
                        Confirm(
                            question=f"Reset the two-factor sign-in of {person.email}?",
                            consequence=(
                                "Their authenticator app and backup codes stop working at once, "
                                "every browser where they are signed in is signed out and their "
                                "personal tokens are revoked; they sign in again with their "
                                "password and set up an app. Do this when they lost their phone "
                                "and have no backup codes, after checking it is really them who "
                                "asks. An e-mail tells them."
                            ),
                            button=f"Reset two-factor of {person.email}",
                            fields={"action": "reset_two_factor", "membership": membership.pk},
                            cancel=request.path,
                        ),
                        section="people",
                    )
                sent = agency_member_two_factor_reset(
                    membership=membership, acting_role=self.role, by=request.user
                )
                done = (
                    f"Two-factor sign-in of {person.email} reset: their sessions are signed out "
                    "and their tokens revoked; they set it up again at their next sign-in"
                )
                if sent:
                    messages.success(request, done + "; an e-mail tells them.")
                else:
                    messages.warning(request, done + ", but the e-mail could not be sent.")
            elif action == "invite":
                invite_again(
                    request,
                    membership.user,
                    agency=self.agency,
                    place=self.agency.name,
                    duties=[staff_duties(membership)],
                )
            else:
                return self._render(StaffAddForm(), 400, {"form": "Unknown action."})
        except DomainError as exc:
            detail = " ".join(
                [exc.detail, *(str(m) for msgs in (exc.fields or {}).values() for m in msgs)]
            )
            return self._render(StaffAddForm(), 400, {membership.pk: detail})
        return HttpResponseRedirect(request.path)

    def _own_role_confirm(self, membership, role, every, chosen) -> Confirm | None:
        """Changing one's own role to one with fewer powers asks first: what is lost, and who
        can give it back. None when nothing is asked (someone else's row, a role with more
        powers, an unknown role the service refuses, or the last owner, whom it refuses)."""
        before = membership.role
        if (
            membership.user_id != self.request.user.pk
            or role not in AgencyRole.values
            or not agency_role_loses_powers(before=before, after=role)
        ):
            return None
        undoers = [
            m.user.full_name or m.user.email
            for m in agency_people(agency=self.agency)
            if m.pk != membership.pk
            and m.role in MANAGING
            and agency_role_may_touch(acting_role=m.role, target_role=role, new_role=before)
        ]
        if before == AgencyRole.OWNER and not undoers:
            return None
        old, new = AgencyRole(before).label, AgencyRole(role).label
        who = "an owner" if before == AgencyRole.OWNER else "an owner or a manager"
        fields = {"action": self.request.POST.get("action"), "membership": membership.pk}
        fields["role"] = role
        repeated = ()
        if every is not None:
            fields["reach"] = "all" if every else "chosen"
            repeated = tuple(("clinics", pk) for pk in chosen)
        return Confirm(
            question=f"Make yourself {new}? This is your own role.",
            consequence=(
                f"You are {_a(old)}, who {AGENCY_ROLE_HELP[before]} {_a(new).capitalize()} "
                f"only {AGENCY_ROLE_HELP[role]} You lose the rest at once, and you cannot give "
                f"it back to yourself: only {who} of {self.agency.name} can "
                f"({', '.join(undoers)})."
            ),
            button=f"Make myself {new}",
            fields=fields,
            cancel=self.request.path,
            repeated=repeated,
        )


def _a(role_label: str) -> str:
    word = role_label.lower()
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def say_member_saved(request, membership, update: MemberUpdate, *, agency) -> None:
    """After a save of someone's role, clinics or both (`agency_member_update`): one e-mail
    tells them what changed (both in one), one line says what was saved and whether that
    e-mail went out, and what ended in the clinics they no longer reach (on-call slots,
    incident roles) is said after it."""
    person = membership.user
    change = update.change
    if change == MemberChange.UNCHANGED:
        messages.info(request, f"Nothing changed for {person.email}.")
        return
    clinics = update.clinics
    told = member_tell(user=person, agency=agency, place=agency.name,
                       duties=[staff_duties(membership)],
                       by=request.user.full_name or "Someone", change=change,
                       reach=reach_words(clinics.after))  # fmt: skip
    if change == MemberChange.CHANGED:
        say_told(request, person.email, change, told)
        return
    reach = (
        f"every clinic of {agency.name}, and those added later"
        if clinics.after == ALL_CLINICS_WORDS
        else f"only {clinics.after}"
    )
    done = f"{person.email} now reaches {reach}"
    if change == MemberChange.ROLE_AND_CLINICS:
        role = membership.get_role_display().lower()
        done = f"{person.email}: role saved ({role}) and now reaches {reach}"
    if told.sent:
        messages.success(request, f"{done}; an e-mail tells them.")
    else:
        messages.warning(request, f"{done}, but the e-mail telling them could not be sent.")
    say_removed(request, person, Removal(ended=clinics.ended, keys_revoked=[]))


class SettingsBrandingView(StaffView):
    """How the agency shows itself to its clients: name, support e-mail, colour, logo."""

    template_name = "agency/settings_branding.html"

    def _initial(self) -> dict:
        a = self.agency
        return {
            "display_name": a.display_name,
            "support_email": a.support_email,
            "primary_colour": a.primary_colour,
        }

    def _render(self, form, status=200):
        return self.render_to_response(self.context(form=form, section="branding"), status=status)

    def get(self, request):
        return self._render(BrandingForm(initial=self._initial()))

    def post(self, request):
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["logo"]
            data = None
            if upload:
                # never more than the limit (and one byte to tell) is read into memory
                data = upload.read(LOGO_MAX_BYTES + 1)
            try:
                agency_branding_update(
                    agency=self.agency,
                    actor=request.actor,
                    display_name=form.cleaned_data["display_name"],
                    support_email=form.cleaned_data["support_email"],
                    primary_colour=form.cleaned_data["primary_colour"],
                    logo=data,
                    logo_size=upload.size if upload else None,
                    remove_logo=form.cleaned_data["remove_logo"],
                )
            except DomainError as exc:
                self.agency.refresh_from_db()
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Saved: the portal and the public pages show it now.")
                if warning := colour_warning(self.agency.primary_colour):
                    messages.warning(request, warning)
                return HttpResponseRedirect(request.path)
        return self._render(form, status=400)


class SettingsApiKeysView(StaffView):
    """Agency-wide API keys (they reach every clinic): create, rotate, revoke. A new secret is
    shown once, on the page the creation redirects to (`secret_keep`)."""

    template_name = "agency/settings_api_keys.html"
    manage_get = True

    def _keys(self):
        return ApiKey.objects.filter(agency=self.agency, clinic__isnull=True)

    def _render(self, form, status=200, **extra):
        keys = api_keys_working_first(api_keys_listed(self._keys(), agency_id=self.agency.pk))
        return self.render_to_response(
            self.context(
                form=form, keys=keys, graces=RotationGrace.choices, section="api-keys", **extra
            ),
            status=status,
        )

    def get(self, request):
        return no_store(self._render(ApiKeyForm(), **secret_take(request, self._keys())))

    def post(self, request):
        action = request.POST.get("action", "create")
        if action == "create":
            form = ApiKeyForm(request.POST)
            if not form.is_valid():
                return self._render(form, status=400)
            try:
                key, issued = api_key_create(
                    agency=self.agency, created_by=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
                return self._render(form, status=400)
            return secret_keep(request, key, issued.secret)
        pk = positive_int(request.POST.get("key"))
        key = self._keys().filter(pk=pk).first() if pk else None
        if key is None:
            raise Http404("No such key.")
        return key_act(
            request,
            key,
            action,
            confirm=lambda confirm: self.confirm_page(confirm, section="api-keys"),
            refused=lambda text: self._render(ApiKeyForm(), status=400, key_error=text),
        )


def revoke_confirm(key: ApiKey, page: str) -> Confirm:
    """What the agency's and a clinic's key pages ask before revoking `key` (and with it the
    old secret of its rotation, when that still works)."""
    old = ApiKey.objects.working().filter(replaced_by=key).first()
    also = (
        f" The old secret it replaced (cwk_{old.prefix}_…), which works until "
        f"{when_words(old.expires_at)}, stops too."
        if old is not None
        else ""
    )
    return Confirm(
        question=f"Revoke the key “{key.name}” (cwk_{key.prefix}_…)?",
        consequence=(
            "It stops working at once: whatever uses it gets “401 Invalid or revoked "
            f"credential” until it is given a new key.{also} This cannot be undone."
        ),
        button=f"Revoke {key.name}",
        fields={"action": "revoke", "key": key.pk},
        cancel=page,
    )


NOTHING_TO_STOP = "This key has no old secret that still works: nothing to stop."


def when_words(moment) -> str:
    """A time as the key pages say it, in the page's zone with its abbreviation."""
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i T")


def key_rotate(request, key: ApiKey):
    """The key pages' "Rotate": the grace period chosen for the old secret (`grace`, 24 hours
    when the form sends none), and the page's message saying until when it works."""
    new_key, issued = api_key_rotate(
        api_key=key, by=request.user, grace=request.POST.get("grace", RotationGrace.DAY)
    )
    key.refresh_from_db(fields=["revoked_at", "expires_at"])
    if key.works():
        messages.info(
            request,
            f"“{key.name}” rotated. The old secret (cwk_{key.prefix}_…) keeps working until "
            f"{when_words(key.expires_at)}: give the new one to whatever uses the key before "
            "then, or stop the old secret now in the list.",
        )
    else:
        messages.info(
            request, f"“{key.name}” rotated. The old secret (cwk_{key.prefix}_…) stopped working."
        )
    return new_key, issued


def end_old_confirm(key: ApiKey, page: str) -> Confirm:
    """What the key pages ask before stopping the old secret of a rotation early."""
    return Confirm(
        question=f"Stop the old secret of “{key.name}” (cwk_{key.prefix}_…) now?",
        consequence=(
            f"It would keep working until {when_words(key.expires_at)}. Whatever still uses it "
            "gets “401 Invalid or revoked credential” at once; the new secret "
            f"(cwk_{key.replaced_by.prefix}_…) keeps working. This cannot be undone."
        ),
        button="Stop the old secret now",
        fields={"action": "end_old", "key": key.pk},
        cancel=page,
    )


def key_old_secret_end(request, key: ApiKey) -> None:
    api_key_revoke(api_key=key)
    messages.success(
        request,
        f"The old secret of “{key.name}” (cwk_{key.prefix}_…) stopped working; the new one "
        "keeps working.",
    )


def key_act(request, key: ApiKey, action: str, *, confirm, refused) -> HttpResponse:
    """The key pages' actions on one of their keys (the agency's and a clinic's): `revoke`,
    `rotate` or `end_old` (the old secret of a rotation), each asked first where it cannot
    be undone (`confirm(Confirm)`: the page's confirmation); a refusal is the page again with
    `refused(text)`, a 400."""
    if action == "revoke":
        if key.works() and not Confirm.given(request):
            return confirm(revoke_confirm(key, request.path))
        if key.works():  # a second click (or a rotated key) changes nothing
            with suppress(Conflict):
                api_key_revoke(api_key=key)
        messages.success(request, f"Key “{key.name}” revoked.")
        return HttpResponseRedirect(request.path)
    if action == "rotate":
        try:
            new_key, issued = key_rotate(request, key)
        except DomainError as exc:
            return refused(exc.text())
        return secret_keep(request, new_key, issued.secret)
    if action == "end_old":
        if not key.retiring:
            return refused(NOTHING_TO_STOP)
        if not Confirm.given(request):
            return confirm(end_old_confirm(key, request.path))
        try:
            key_old_secret_end(request, key)
        except DomainError as exc:
            return refused(exc.text())
        return HttpResponseRedirect(request.path)
    return refused("Unknown action.")


class SecurityLogView(StaffView):
    """The security log of the agency's people and clinics, for owners only (everyone else,
    signed in: 404, as README says); filtered by event, person, clinic and days (UTC), kept
    across pages; `?format=csv` exports what the filters keep (the stored columns, the clinic's
    name beside its id, then the event in the page's words)."""

    template_name = "agency/security_log.html"
    PAGE = 100
    CSV_COLUMNS = (
        "created_at",
        "event",
        "actor_id",
        "actor_email",
        "actor_key_prefix",
        "target_user_id",
        "target_email",
        "agency_id",
        "clinic_id",
        "clinic",
        "ip",
        "user_agent",
        "detail",
    )

    def dispatch(self, request, *args, **kwargs):
        # a staff member who is not an owner learns nothing of the page either: 404, as
        # StaffView answers everyone outside the agency, never its 403
        if request.user.is_authenticated:
            _agency, role = agency_for_staff(request.user, request.GET.get("agency"))
            if role != AgencyRole.OWNER:
                raise Http404("Not found.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = SecurityLogFilterForm(request.GET, clinics=security_log_clinics(agency=self.agency))
        context = {"section": "security-log", "form": form}
        if not form.is_valid():
            return self.render_to_response(self.context(**context), status=400)
        events = security_events_for_agency(agency=self.agency, **form.cleaned_data)
        if request.GET.get("format") == "csv":
            return self._csv(events)
        page = page_get(request, events, self.PAGE)
        page.object_list = list(page.object_list)
        security_event_clinic_names(agency=self.agency, events=page.object_list)
        for row in page.object_list:
            row.detail_words = detail_words(row.event, row.detail)
            row.event_words = event_words(row.event, row.detail, actor=row.actor_email)
        kept = request.GET.copy()
        kept.pop("page", None)
        kept.pop("format", None)
        return self.render_to_response(self.context(**context, page=page, query=kept.urlencode()))

    def _csv(self, events):
        def rows():
            # the clinics' names a batch at a time (`security_event_clinic_names`)
            batch = []
            for event in events.iterator(chunk_size=2000):
                batch.append(event)
                if len(batch) == 2000:
                    yield from self._csv_rows(batch)
                    batch = []
            yield from self._csv_rows(batch)

        return csv_download(
            (*self.CSV_COLUMNS, "event_name"),
            rows(),
            filename=f"security-log-{self.agency.slug}.csv",
        )

    def _csv_rows(self, batch):
        security_event_clinic_names(agency=self.agency, events=batch)
        for event in batch:
            cells = [
                event.clinic_words if column == "clinic" else getattr(event, column)
                for column in self.CSV_COLUMNS
            ]
            yield [
                *(json.dumps(c, sort_keys=True) if isinstance(c, dict) else c for c in cells),
                event_words(event.event, event.detail, actor=event.actor_email),
            ]
