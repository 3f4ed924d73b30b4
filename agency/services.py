import hashlib
import io
import logging
from enum import StrEnum
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image, UnidentifiedImageError

from accounts.actors import Actor
from accounts.credentials import api_key_revoke
from accounts.models import ApiKey, SecurityEventCode, User
from accounts.selectors import user_agency_ids, user_belongs_elsewhere
from accounts.services import (
    security_event_record,
    two_factor_reset_for,
    two_factor_reset_for_check,
    user_get_or_create,
    user_membership_changed,
    user_membership_removed,
    user_unlock_by,
)
from accounts.tokens import invitation_lifetime, invitation_token_generator
from agency.branding import LOGO_MAX_BYTES, brand_sender, staff_sender
from agency.models import (
    AGENCY_ROLE_HELP,
    CLINIC_SCOPED_ROLES,
    EVERY_CLINIC,
    Agency,
    AgencyMembership,
    AgencyRole,
    PrivacyAction,
    PrivacyRequest,
    StaffClinic,
    agency_role_may_reset_sign_in,
    agency_role_may_touch,
    hex_colour,
)
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.http import positive_int
from core.leavers import Departure, Left, leave, left_behind, left_tell
from core.mail import Mail
from core.settings_history import Setting, SettingArea, settings_changed
from core.text import one_line, one_line_problem

logger = logging.getLogger(__name__)


def agency_create(
    *,
    name: str,
    slug: str,
    support_email: str,
    display_name: str = "",
    primary_colour: str = "#1F6FEB",
) -> Agency:
    if Agency.objects.filter(slug=slug).exists():
        raise Conflict("An agency with this slug already exists.", fields={"slug": ["Taken."]})
    names = {"name": name.strip(), "display_name": (display_name or name).strip()}
    if problems := {f: [p] for f, v in names.items() if (p := one_line_problem(v))}:
        raise ValidationFailed("Invalid agency.", fields=problems)
    agency = Agency(
        name=names["name"],
        slug=slug.strip().lower(),
        display_name=names["display_name"],
        support_email=support_email.strip(),
        primary_colour=primary_colour,
    )
    try:
        agency.full_clean()
    except ValidationError as exc:
        raise ValidationFailed("Invalid agency.", fields=exc.message_dict) from None
    agency.save()
    return agency


ALREADY_STAFF = "Already on the staff: change the role below."


def person_duties_lock(*, agency_id: int, email: str) -> None:
    """One add of a person at a time per agency and e-mail, to the end of the transaction,
    whether to the agency's staff (`agency_member_add`) or to the people of one of its clinics
    (`clinics.services.clinic_member_add`): each reads the other's rule of separation of duties
    (staff hold no clinic or crisis roles of the agency's clinics) after it, so one e-mail
    added to both at once is added to one and refused by the other. Taken before any other
    lock of such an add. A form sent twice at once is stored (and told) once too, the second
    reading the first's result, as a second sent after it does."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('person-duties'), hashtext(%s))",
            [f"{agency_id}:{(email or '').strip().lower()}"],
        )


ANOTHER_AGENCY = (
    "This address already signs in with another agency on this service, and an account is not "
    "shared between agencies (what one did to it would reach the other): ask the person for "
    "another e-mail address to use with you."
)


def another_agency_refusal(*, agency_id: int, email: str) -> None:
    """Refuse (400 on `email`) to add, from a people page, an address whose account already
    belongs to another agency (its staff, or one of its clinics' people). Adding it would let
    this agency reset that account's second factor, end its sessions and tokens, require
    two-factor of one of the other agency's clients, and read the other agency's name for
    the person, their sign-ins and the invitations it sent them. The message names nobody and
    no agency."""
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is not None and user_belongs_elsewhere(user, agency_id=agency_id):
        raise ValidationFailed("Another agency's account.", fields={"email": [ANOTHER_AGENCY]})


@transaction.atomic
def agency_member_add(
    *,
    agency: Agency,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    new_only: bool = False,
) -> AgencyMembership:
    """Add a person to the agency's staff (creating the user if needed), or, unless `new_only`,
    set the role of one already on it. With `new_only` (the staff page's "add") one already on
    the staff is a 409 on `email` (`ALREADY_STAFF`), read after the lock: of two adds of one
    e-mail at once, one adds and the other is told so."""
    if role not in AgencyRole.values:
        raise ValidationFailed("Invalid role.", fields={"role": [f"Choose {AgencyRole.values}."]})
    person_duties_lock(agency_id=agency.pk, email=email)
    if (
        new_only
        and AgencyMembership.objects.filter(
            agency=agency, user__email__iexact=(email or "").strip()
        ).exists()
    ):
        raise Conflict("Already on the staff.", fields={"email": [ALREADY_STAFF]})
    if new_only:
        another_agency_refusal(agency_id=agency.pk, email=email)
    # the mirror of clinic_member_add's rule: one of a client clinic's people made staff would
    # lose their clinic and crisis roles without a word (staff hold none), and the clinic its
    # approver
    clinics = list(
        User.objects.filter(
            email__iexact=(email or "").strip(), clinic_memberships__clinic__agency=agency
        ).values_list("clinic_memberships__clinic__name", flat=True)
    )
    if clinics:
        raise ValidationFailed(
            "Clinic people cannot be agency staff.",
            fields={
                "email": [
                    f"This person is one of the people of {', '.join(sorted(set(clinics)))}: agency "
                    "staff hold no clinic or crisis roles, so the clinic would lose them "
                    "(separation of duties). Remove them from the clinic first, or use another "
                    "e-mail."
                ]
            },
        )
    user = user_get_or_create(email=email, full_name=full_name, password=password)
    before = AgencyMembership.objects.filter(agency=agency, user=user).values("role").first()
    membership, _ = AgencyMembership.objects.update_or_create(
        agency=agency, user=user, defaults={"role": role}
    )
    user_membership_changed(user=user, agency_id=agency.pk, before=before, after={"role": role})
    return membership


def _owners_left_after(membership: AgencyMembership) -> int:
    return (
        AgencyMembership.objects.select_for_update()
        .filter(agency_id=membership.agency_id, role=AgencyRole.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def _may_touch(*, acting_role: str, target_role: str, new_role: str | None = None) -> None:
    if not agency_role_may_touch(
        acting_role=acting_role, target_role=target_role, new_role=new_role
    ):
        raise PermissionDenied("Only an owner grants, changes or removes the owner role.")


@transaction.atomic
def agency_member_role_set(
    *, membership: AgencyMembership, role: str, acting_role: str, by: User | None = None
) -> AgencyMembership:
    """Change a staff member's role. Only owners touch the owner role; the last owner stays.
    A writer or analyst limited to chosen clinics who becomes an owner or manager reaches
    every clinic again: that is logged as a change of their clinics too (`by` acting)."""
    if role not in AgencyRole.values:
        raise ValidationFailed("Invalid role.", fields={"role": [f"Choose {AgencyRole.values}."]})
    _may_touch(acting_role=acting_role, target_role=membership.role, new_role=role)
    if (
        membership.role == AgencyRole.OWNER
        and role != AgencyRole.OWNER
        and not _owners_left_after(membership)
    ):
        raise ValidationFailed(
            "The agency needs an owner.", fields={"role": ["This is the last owner."]}
        )
    if membership.role != role:
        before = {"role": membership.role}
        was_limited = membership.clinics_limited
        if was_limited:
            before_ids, before_words = (
                _clinic_ids_reached(membership),
                member_clinics_words(membership),
            )
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        user_membership_changed(
            user=membership.user,
            agency_id=membership.agency_id,
            before=before,
            after={"role": role},
        )
        if role not in CLINIC_SCOPED_ROLES and not membership.all_clinics:
            # an owner or manager reaches every clinic: the clinics chosen for the writer or
            # analyst they were go, so that a later change back does not bring them back
            _clinics_store(membership, every=True, chosen=set())
            if was_limited:
                _clinics_change_record(
                    membership,
                    before_ids=before_ids,
                    after_ids=_clinic_ids_reached(membership),
                    before_words=before_words,
                    after_words=ALL_CLINICS_WORDS,
                    by=by,
                )
    return membership


# --- Which clinics a staff member reaches ----------------------------------------------------

ALL_CLINICS_WORDS = "all clinics"


class ClinicsChange(NamedTuple):
    """What `agency_member_clinics_set` did: whether anything changed, the clinics reached
    before and after in words ("all clinics", or their names), and what the person left
    behind in the clinics they no longer reach (`core.leavers.leave`: on-call slots, roles in
    running incidents)."""

    changed: bool
    before: str
    after: str
    ended: list[Left]


def _clinic_names(clinics) -> str:
    names = sorted((c.name for c in clinics), key=str.lower)
    return ", ".join(names) if names else "no clinic"


def reach_words(words: str) -> str:
    """The clinics someone works on as their e-mails say it: "every clinic", or "Clinic B
    only" (`words` as `member_clinics_words` gives them)."""
    return "every clinic" if words == ALL_CLINICS_WORDS else f"{words} only"


def _clinic_ids_reached(membership: AgencyMembership) -> set[int]:
    """The ids of the agency's clinics the staff member reaches now."""
    if not membership.clinics_limited:
        return set(membership.agency.clinics.values_list("pk", flat=True))
    return set(membership.chosen_clinics.values_list("clinic_id", flat=True))


def _clinics_change_record(
    membership: AgencyMembership,
    *,
    before_ids: set[int],
    after_ids: set[int],
    before_words: str,
    after_words: str,
    by: User | None,
) -> None:
    """The security log's line for a change of the clinics a staff member reaches
    (`member.clinics_changed`, never a role change): the clinics before and after in words,
    the clinics added and removed by name, their role, and who made it (`by`, else the
    person of the request being served)."""
    names = dict(
        membership.agency.clinics.filter(pk__in=before_ids ^ after_ids).values_list("pk", "name")
    )

    def named(ids: set[int]) -> list[str]:
        return sorted((names[pk] for pk in ids if pk in names), key=str.lower)

    detail = {
        "role": membership.role,
        "clinics_from": before_words,
        "clinics_to": after_words,
        "added": named(after_ids - before_ids),
        "removed": named(before_ids - after_ids),
    }
    if membership.clinics_limited:
        detail["clinic_ids"] = sorted(after_ids)
    security_event_record(
        event=SecurityEventCode.MEMBER_CLINICS_CHANGED,
        actor=by,
        target=membership.user,
        agency_id=membership.agency_id,
        detail=detail,
    )


def member_clinics_words(membership: AgencyMembership) -> str:
    """The clinics a staff member reaches, in words: "all clinics", or the names of those
    chosen for them ("no clinic" once every chosen clinic was deleted)."""
    if not membership.clinics_limited:
        return ALL_CLINICS_WORDS
    return _clinic_names(sc.clinic for sc in membership.chosen_clinics.all())


def _clinics_store(membership: AgencyMembership, *, every: bool, chosen: set[int]) -> None:
    membership.all_clinics = every
    membership.save(update_fields=["all_clinics", "updated_at"])
    StaffClinic.objects.filter(membership=membership).exclude(clinic_id__in=chosen).delete()
    have = set(
        StaffClinic.objects.filter(membership=membership).values_list("clinic_id", flat=True)
    )
    StaffClinic.objects.bulk_create(
        [StaffClinic(membership=membership, clinic_id=pk) for pk in sorted(chosen - have)]
    )


def _clinic_ids_read(agency: Agency, raw_ids) -> tuple[set[int], list[str]]:
    """The ids of the agency's clinics among `raw_ids` (as a form posts them), and what is not
    one: a clinic of another agency and an unknown id read alike, so that a refusal says
    nothing of other agencies' clinics."""
    wanted: set[int] = set()
    bad: list[str] = []
    for raw in raw_ids:
        text = str(raw).strip()
        if (pk := positive_int(text)) is not None:
            wanted.add(pk)
        else:
            bad.append(text[:40] or "(empty)")
    known = set(agency.clinics.filter(pk__in=wanted).values_list("pk", flat=True))
    bad += [str(pk) for pk in sorted(wanted - known)]
    return known, bad


@transaction.atomic
def agency_member_clinics_set(
    *,
    membership: AgencyMembership,
    all_clinics: bool,
    clinic_ids=(),
    acting_role: str,
    by: User | None = None,
) -> ClinicsChange:
    """Choose the clinics a writer or analyst reaches: every clinic of the agency (today's and
    those added later), or only the clinics `clinic_ids` (ids of the agency's clinics; at
    least one). Owners and managers always reach every clinic; only they choose. Every input
    is checked before anything is stored (`ValidationFailed` on "clinics").

    It takes effect at the person's next request (`clinics.access.clinic_access` reads it
    every time). The change is in the security log (`member.clinics_changed`: the clinics
    before and after, those added and removed, by whom), and in each clinic they no longer
    reach they are taken off the on-call list and their roles in running incidents end, as
    when someone leaves a clinic (`core.leavers.leave`)."""
    if acting_role not in (AgencyRole.OWNER, AgencyRole.MANAGER):
        raise PermissionDenied("Only an agency owner or manager chooses someone's clinics.")
    given = membership
    membership = (
        AgencyMembership.objects.select_for_update()
        .select_related("agency", "user")
        .get(pk=given.pk)
    )
    agency = membership.agency
    chosen: set[int] = set()
    if not all_clinics:
        if membership.role not in CLINIC_SCOPED_ROLES:
            raise ValidationFailed(
                "Nothing was changed: owners and managers reach every clinic.",
                fields={
                    "clinics": [
                        f"{AgencyRole(membership.role).label}s always reach every clinic of "
                        f"{agency.name}: clinics are chosen for writers and analysts."
                    ]
                },
            )
        chosen, bad = _clinic_ids_read(agency, clinic_ids)
        if bad:
            raise ValidationFailed(
                "Nothing was changed: a clinic chosen is not one of the agency's.",
                fields={"clinics": [f"{agency.name} has no clinic with the id {', '.join(bad)}."]},
            )
        if not chosen:
            raise ValidationFailed(
                "Nothing was changed: no clinic was chosen.",
                fields={"clinics": ["Tick at least one clinic, or choose “All clinics”."]},
            )
    before_words = member_clinics_words(membership)
    clinics = agency.clinics.order_by("name", "pk")
    before = (
        set(clinics.values_list("pk", flat=True))
        if not membership.clinics_limited
        else set(membership.chosen_clinics.values_list("clinic_id", flat=True))
    )
    after = set(clinics.values_list("pk", flat=True)) if all_clinics else chosen
    was_limited = membership.clinics_limited
    if was_limited == (not all_clinics) and (all_clinics or before == chosen):
        return ClinicsChange(False, before_words, before_words, [])
    _clinics_store(membership, every=all_clinics, chosen=chosen)
    given.all_clinics = membership.all_clinics
    after_words = ALL_CLINICS_WORDS if all_clinics else _clinic_names(clinics.filter(pk__in=chosen))
    _clinics_change_record(
        membership,
        before_ids=before,
        after_ids=after,
        before_words=before_words,
        after_words=after_words,
        by=by,
    )
    ended: list[Left] = []
    name = membership.user.full_name or membership.user.email
    for clinic_id in sorted(before - after):
        departure = Departure(
            user_id=membership.user_id, agency_id=agency.pk, clinic_id=clinic_id, name=name
        )
        ended += leave(departure, by=by)
    return ClinicsChange(True, before_words, after_words, ended)


class MemberUpdate(NamedTuple):
    """What one save of a staff member did (`agency_member_update`): whether their role
    changed, and the change of the clinics they reach over the whole save (a limit that ends
    because they became an owner or manager counts)."""

    role_changed: bool
    clinics: ClinicsChange

    @property
    def change(self) -> "MemberChange":  # defined with the e-mails, below
        """What to tell them: one change, or both in one (`member_tell`)."""
        if self.role_changed and self.clinics.changed:
            return MemberChange.ROLE_AND_CLINICS
        if self.role_changed:
            return MemberChange.CHANGED
        if self.clinics.changed:
            return MemberChange.CLINICS
        return MemberChange.UNCHANGED


@transaction.atomic
def agency_member_update(
    *,
    membership: AgencyMembership,
    acting_role: str,
    role: str | None = None,
    all_clinics: bool | None = None,
    clinic_ids=(),
    by: User | None = None,
) -> MemberUpdate:
    """One save of a staff member on the people page: their role (`role`; None keeps it), the
    clinics they reach (`all_clinics` and `clinic_ids` as `agency_member_clinics_set` takes
    them; `all_clinics` None keeps them), or both, all or nothing. The role is set first, so
    that a manager made a writer can be given chosen clinics in the same save. Each change is
    in the security log once (`member.role_changed`, `member.clinics_changed`); telling the
    person is the caller's, once for the whole save (`member_tell` with
    `MemberUpdate.change`). `membership` is refreshed."""
    before_role, before_limited = membership.role, membership.clinics_limited
    before_ids, before_words = _clinic_ids_reached(membership), member_clinics_words(membership)
    ended: list[Left] = []
    if role is not None:
        agency_member_role_set(membership=membership, role=role, acting_role=acting_role, by=by)
    if all_clinics is not None:
        ended = agency_member_clinics_set(
            membership=membership,
            all_clinics=all_clinics,
            clinic_ids=clinic_ids,
            acting_role=acting_role,
            by=by,
        ).ended
    membership.refresh_from_db()
    changed = (membership.clinics_limited, _clinic_ids_reached(membership)) != (
        before_limited,
        before_ids,
    )
    after_words = member_clinics_words(membership) if changed else before_words
    return MemberUpdate(
        role_changed=membership.role != before_role,
        clinics=ClinicsChange(changed, before_words, after_words, ended),
    )


def staff_duties(membership: AgencyMembership) -> str:
    """The staff member's role in plain words (`AGENCY_ROLE_HELP`, as the staff page says
    it), naming the clinics chosen for them when they reach only those: what the e-mails about
    their role say."""
    return f"{AgencyRole(membership.role).label}: {staff_role_help(membership)}"


def staff_role_help(membership: AgencyMembership) -> str:
    """What the member's role does (`AGENCY_ROLE_HELP`), of the clinics chosen for them when
    they reach only those (the dashboard's "Your role", the e-mails about their role)."""
    duty = AGENCY_ROLE_HELP[AgencyRole(membership.role)]
    if not membership.clinics_limited:
        return duty
    names = member_clinics_words(membership)
    return duty.replace(EVERY_CLINIC, f"these clinics of the agency: {names}")


def staff_departure(membership: AgencyMembership) -> Departure:
    """A staff member leaving the agency (every clinic of it), for `core.leavers`."""
    user = membership.user
    return Departure(
        user_id=user.pk, agency_id=membership.agency_id, name=user.full_name or user.email
    )


def api_keys_created_by(*, agency: Agency, user, clinic_id: int | None = None):
    """The working API keys of `agency` (agency-wide and its clinics'; or one clinic's) that
    `user` created: what a removal offers to revoke."""
    keys = ApiKey.objects.working().filter(agency=agency, created_by=user)
    if clinic_id is not None:
        keys = keys.filter(clinic_id=clinic_id)
    return keys.select_related("clinic").order_by("clinic__name", "name", "pk")


class Removal(NamedTuple):
    """What a removal ended (`core.leavers.leave`: on-call slots, incident roles) and the
    keys it revoked."""

    ended: list[Left]
    keys_revoked: list[ApiKey]


def departure_complete(
    *, departure: Departure, left: list[Left], user, agency: Agency, by, revoke_keys: bool
) -> Removal:
    """What every removal does once the membership is gone (in the caller's transaction):
    end what must not outlive the person's access (`core.leavers.leave`: on-call slots,
    incident roles, their open notices; their open work waits for the owners and managers),
    revoke the keys they created there when asked (`revoke_keys`), and e-mail the owners and
    managers once what the person left (`core.leavers.left_tell`). `left` is
    `core.leavers.left_behind(departure)` read by the caller before the membership was deleted,
    as the confirmation listed it (after the delete the person is no longer, say, the clinic's
    only approver)."""
    ended = leave(departure, by=by)
    left_tell(departure, left, by=by)
    revoked = []
    if revoke_keys:
        for key in api_keys_created_by(agency=agency, user=user, clinic_id=departure.clinic_id):
            # an old secret of a rotation ends with the key that replaced it (already revoked)
            key.refresh_from_db(fields=["revoked_at", "expires_at"])
            if key.works():
                revoked.append(api_key_revoke(api_key=key, reason="creator_removed"))
    return Removal(ended=ended, keys_revoked=revoked)


@transaction.atomic
def agency_member_remove(
    *, membership: AgencyMembership, acting_role: str, by=None, revoke_keys: bool = False
) -> Removal:
    """Remove a person from the agency's staff (their user stays). In the same transaction:
    their personal tokens are revoked and their sessions end (`user_membership_removed`),
    they leave every on-call list of the agency's clinics and their roles in running
    incidents end (`core.leavers`), and with `revoke_keys` the API keys they created in the
    agency are revoked. Their unpublished replies and statements stay (see `left_behind`)."""
    _may_touch(acting_role=acting_role, target_role=membership.role)
    if membership.role == AgencyRole.OWNER and not _owners_left_after(membership):
        raise ValidationFailed(
            "The agency needs an owner.", fields={"membership": ["This is the last owner."]}
        )
    departure = staff_departure(membership)
    left = left_behind(departure)  # before the membership goes: what the confirmation listed
    membership.delete()
    user_membership_removed(
        user=membership.user,
        agency_id=membership.agency_id,
        role=membership.role,
        # their way in only when nothing else is: the same account may work for another
        # agency, or be one of a clinic's people, whose tokens and sessions are not this
        # agency's to end (the access rule stops them reaching this agency at once)
        last=not user_agency_ids(membership.user),
    )
    return departure_complete(
        departure=departure,
        left=left,
        user=membership.user,
        agency=membership.agency,
        by=by,
        revoke_keys=revoke_keys,
    )


def agency_member_unlock(*, membership: AgencyMembership, acting_role: str, by: User) -> bool:
    """An owner lifts a staff member's sign-in lockout at once (audited); False when they
    were not locked."""
    if not agency_role_may_reset_sign_in(acting_role=acting_role):
        raise PermissionDenied("Only an owner unlocks someone's account.")
    return user_unlock_by(user=membership.user, by=by, agency_id=membership.agency_id)


def agency_member_two_factor_reset_check(
    *, membership: AgencyMembership, acting_role: str, by: User
) -> None:
    """Why `by` (`acting_role`) may not reset `membership`'s two-factor sign-in, raised as the
    reset would raise it (`PermissionDenied`: not an owner; `ValidationFailed`: their own
    account); nothing when they may. The staff page asks it before its confirmation."""
    if not agency_role_may_reset_sign_in(acting_role=acting_role):
        raise PermissionDenied("Only an owner resets someone's two-factor sign-in.")
    two_factor_reset_for_check(user=membership.user, by=by)
    # the account is the person's, not the agency's: a reset would take the second factor,
    # sessions and tokens they use with another agency (or as one of its clients) too
    if user_belongs_elsewhere(membership.user, agency_id=membership.agency_id):
        raise ValidationFailed(
            "The account is also used elsewhere.",
            fields={
                "membership": [
                    "This person signs in with the same account for another agency too, so "
                    "their two-factor sign-in is not reset from here: they sign in with a "
                    "backup code and move two-factor to a new app on their account page."
                ]
            },
        )


def agency_member_two_factor_reset(
    *, membership: AgencyMembership, acting_role: str, by: User
) -> bool:
    """An owner resets a staff member's two-factor sign-in (a lost phone and no backup codes):
    their app and backup codes go, they set up an app again at their next sign-in, and they
    are e-mailed that it happened (so a reset they did not ask for is noticed). Returns
    whether the e-mail went out."""
    agency_member_two_factor_reset_check(membership=membership, acting_role=acting_role, by=by)
    two_factor_reset_for(user=membership.user, by=by, agency_id=membership.agency_id)
    agency = membership.agency
    contact = f" at {agency.support_email}" if agency.support_email else ""
    return _mail(
        user=membership.user,
        agency=agency,
        subject="Your two-factor sign-in was reset",
        lines=[
            f"{by.full_name or by.email} reset your two-factor sign-in at {agency.name}: the "
            "authenticator app and backup codes you had no longer work, every browser where "
            "you were signed in is signed out, and your personal tokens are revoked.",
            "",
            "Sign in again with your password and set up your authenticator app again; you get "
            "new backup codes with it.",
            "",
            f"If you did not ask for this, tell {by.full_name or by.email}{contact} at once.",
            "",
            f"Sign in: {settings.PUBLIC_BASE_URL}/login/",
        ],
        staff=True,
    )


# --- Telling people they were added, or that their role changed ------------------------------


class MemberChange(StrEnum):
    ADDED = "added"
    CHANGED = "changed"  # their role (or crisis roles) changed
    CLINICS = "clinics"  # only the clinics they work on changed (`reach` says which now)
    ROLE_AND_CLINICS = "role_and_clinics"  # both, in one save: one mail says both
    REMOVED = "removed"
    UNCHANGED = "unchanged"


class Told(NamedTuple):
    """What a person was e-mailed about a change at a place: `mail` is "invitation" (with a
    link to choose a password), "notice" (no link) or "" (nothing changed: no mail); `sent`
    is False when the mail server refused it."""

    mail: str
    sent: bool


def _mail(*, user, agency: Agency, subject: str, lines: list[str], staff: bool = False) -> bool:
    """One membership e-mail, in the agency's name: its brand for a clinic's people (the name
    their portal shows), its own name for its staff (`staff`: the name their pages show)."""
    name = one_line(agency.name) if staff else agency.display_name or agency.name
    signature = [name, agency.support_email]
    body = "\n".join([f"Hello {user.full_name or user.email},", "", *lines, "", *signature])
    message = Mail(
        subject=one_line(subject),  # it names the agency or a clinic: never a broken header
        body=body + "\n",
        from_email=staff_sender(agency) if staff else brand_sender(agency),
        to=[user.email],
        reply_to=[agency.support_email] if agency.support_email else None,
    )
    try:
        message.send()
    except Exception:  # noqa: BLE001 - reported to the person who made the change
        logger.warning("membership mail to user %s failed", user.pk, exc_info=True)
        return False
    return True


def _duties(duties: list[str]) -> list[str]:
    return [f"- {duty}" for duty in duties]


def user_invite_send(
    *, user, agency: Agency, place: str, duties: list[str], invited_by: str, again: bool = False
) -> bool:
    """E-mail a person who has no password yet what they were added to `place` as (`duties`:
    each role in plain words) and a link to choose a password (the password-reset
    confirmation page, which words it as a first password for them: it works once, for
    INVITATION_TIMEOUT, days rather than a reset's hour: accounts.tokens). "Forgot your
    password?" cannot help them, since Django's reset
    form skips accounts without a usable password. Earlier links of this person stop working.
    Sent in the agency's name: its brand to a clinic's people, its own name to its staff, who
    are told too that signing in needs an authenticator app (two-factor sign-in is required
    of the agency's staff, `accounts.middleware`). Returns False
    (and logs) when they have a password or the mail could not be sent; the caller says so.
    Sent `again` (by hand, from a people page): the security log says so, and whether the
    e-mail went."""
    if user.has_usable_password():
        return False
    staff = AgencyMembership.objects.filter(agency=agency, user=user).exists()
    # a new unusable password (a new random marker) makes every earlier invitation link stop
    # working: an invitation is sent again because the first went somewhere wrong
    user.set_unusable_password()
    user.save(update_fields=["password"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    link = f"{settings.PUBLIC_BASE_URL}/password-reset/{uid}/{token}/"
    sent = _mail(
        user=user,
        agency=agency,
        subject=f"You are invited to {place}",
        lines=[
            f"{invited_by} added you to {place}. Your role:",
            "",
            *_duties(duties),
            "",
            f"Choose your password here (the link works once, for {invitation_lifetime()}):",
            "",
            link,
            "",
            *(_two_factor_words(agency) if staff else []),
            f"If the link has expired, ask {invited_by} to send the invitation again. If you "
            "did not expect this, you can ignore this message.",
        ],
        staff=staff,
    )
    if again:
        security_event_record(
            event=SecurityEventCode.INVITATION_RESENT,
            target=user,
            agency_id=agency.pk,
            detail={"mailed": sent},
        )
    return sent


def _two_factor_words(agency: Agency) -> list[str]:
    """What a staff invitation adds: signing in needs an authenticator app."""
    name = one_line(agency.name)
    return [
        f"Signing in also needs an authenticator app on your phone (such as Google "
        f"Authenticator, Microsoft Authenticator or 1Password): two-factor sign-in is "
        f"required for {name}'s staff. Right after you choose your password you scan a QR "
        f"code with it once; it then shows your sign-in codes under “{name}”.",
        "",
    ]


def member_notice_send(
    *,
    user,
    agency: Agency,
    place: str,
    duties: list[str],
    by: str,
    change: MemberChange,
    reach: str = "",
    staff: bool | None = None,
) -> bool:
    """E-mail a person that they were added to `place` (they have a password already), that
    their role there changed, with the role in plain words (no password link), that only the
    clinics they work on changed (`reach`: "every clinic", or "Clinic B only"; their role
    stays), that both changed in one save (one mail says both), or that they were removed
    from it. Sent as the invitation is: in the agency's own name to its staff (`staff`; None:
    whether they are its staff now, so a removal from the staff says True), its brand to a
    clinic's people. Returns False (and logs) when the mail could not be sent."""
    if staff is None:
        staff = AgencyMembership.objects.filter(agency=agency, user=user).exists()
    if change == MemberChange.REMOVED:
        contact = f" at {agency.support_email}" if agency.support_email else ""
        name = one_line(agency.name) if staff else agency.display_name or agency.name
        lines = [
            f"{by} removed you from {place}. You no longer see or act on its work in Carewatch, "
            "and nothing waits for you there any more.",
            "",
            f"If you think this is a mistake, write to {name}{contact}.",
        ]
        return _mail(user=user, agency=agency, subject=f"You no longer have access to {place}",
                     lines=lines, staff=staff)  # fmt: skip
    if change == MemberChange.ADDED:
        subject = f"You were added to {place}"
        opening = f"{by} added you to {place}. You sign in as before. Your role:"
    elif change == MemberChange.CLINICS:
        subject = f"Your clinics at {place} changed: you now work on {reach}"
        opening = (
            f"{by} changed the clinics you work on at {place}: you now work on {reach}. "
            "Your role stays the same:"
        )
    elif change == MemberChange.ROLE_AND_CLINICS:
        subject = f"Your role and clinics at {place} changed: you now work on {reach}"
        opening = (
            f"{by} changed your role at {place} and the clinics you work on: you now work on "
            f"{reach}. Your role is now:"
        )
    else:
        subject = f"Your role at {place} changed"
        opening = f"{by} changed your role at {place}. It is now:"
    lines = [opening, "", *_duties(duties)]
    if not user.has_usable_password():
        lines += [
            "",
            "You have not chosen a password yet: use the link in your invitation, or ask "
            f"{by} to send the invitation again.",
        ]
    lines += ["", f"Sign in: {settings.PUBLIC_BASE_URL}/login/"]
    return _mail(user=user, agency=agency, subject=subject, lines=lines, staff=staff)


def member_tell(
    *,
    user,
    agency: Agency,
    place: str,
    duties: list[str],
    by: str,
    change: MemberChange,
    reach: str = "",
    staff: bool | None = None,
) -> Told:
    """Tell a person what changed for them at `place`, once per change: someone newly added
    who has no password gets the one invitation (with the link to choose one); someone newly
    added who has one, or whose role or clinics changed (both in one save: one notice),
    gets a short notice without a link, and so does someone removed; a save that changed
    nothing sends nothing. (Sending the invitation again is `user_invite_send`, asked for by
    hand.) Its staff are told in the agency's own name, its clinics' people in its brand
    (`staff`, as `member_notice_send` reads it)."""
    if change == MemberChange.UNCHANGED:
        return Told("", sent=False)
    if change == MemberChange.ADDED and not user.has_usable_password():
        invited = user_invite_send(
            user=user, agency=agency, place=place, duties=duties, invited_by=by
        )
        return Told("invitation", sent=invited)
    sent = member_notice_send(
        user=user,
        agency=agency,
        place=place,
        duties=duties,
        by=by,
        change=change,
        reach=reach,
        staff=staff,
    )
    return Told("notice", sent=sent)


# The formats a logo may have: raster images a browser and the PDF renderer both show. SVG is
# refused: it can carry scripts, and the logo is served to the public statement page.
LOGO_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
LOGO_MAX_SIDE = 2000


def _kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head


def _logo_checked(data: bytes, size: int | None = None) -> str:
    """The file extension of an acceptable logo; ValidationFailed (field "logo") otherwise.
    `size`: the upload's real size when only its first bytes were read."""

    def refuse(message: str):
        raise ValidationFailed("The logo was not accepted.", fields={"logo": [message]})

    if not data:
        refuse("The file is empty.")
    size = max(size or 0, len(data))
    if size > LOGO_MAX_BYTES:
        refuse(
            f"The file is {_kilobytes(size)}; a logo may be at most {LOGO_MAX_BYTES // 1024} KB."
        )
    if _looks_like_svg(data):
        refuse(
            "SVG logos are refused for safety: an SVG file can carry script that would run in "
            "the pages showing it. Upload a PNG, JPEG or WebP file."
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        refuse("This is not an image this page can read: upload a PNG, JPEG or WebP file.")
    if fmt not in LOGO_FORMATS:
        refuse(f"A {fmt} image is not accepted: upload a PNG, JPEG or WebP file.")
    if max(width, height) > LOGO_MAX_SIDE or min(width, height) < 16:
        refuse(
            f"The image is {width}×{height} pixels; a logo must be 16 to {LOGO_MAX_SIDE} pixels "
            "on each side."
        )
    return LOGO_FORMATS[fmt]


BRANDING_SETTINGS = {
    "display_name": Setting(SettingArea.BRANDING, "Name clients see"),
    "support_email": Setting(SettingArea.BRANDING, "Support e-mail"),
    "primary_colour": Setting(SettingArea.BRANDING, "Colour"),
    "logo": Setting(SettingArea.BRANDING, "Logo"),
}


def agency_branding_update(
    *,
    agency: Agency,
    actor: Actor,
    display_name: str,
    support_email: str,
    primary_colour: str,
    logo: bytes | None = None,
    logo_size: int | None = None,
    remove_logo: bool = False,
) -> Agency:
    """What the client portal, the public statement page and the post-crisis review carry:
    the name, the support address, the colour and the logo. Every field is checked before
    anything is stored; a refused change leaves the agency (and its logo file) as it was.
    Each change is recorded in the settings history (agency-wide) as `actor`'s, through
    `core.settings_history`."""
    errors: dict[str, list[str]] = {}
    display_name = (display_name or "").strip()
    support_email = (support_email or "").strip()
    primary_colour = (primary_colour or "").strip()
    if not display_name:
        errors["display_name"] = ["Give the name clients see."]
    elif len(display_name) > 200:
        errors["display_name"] = ["At most 200 characters."]
    elif problem := one_line_problem(display_name):  # the sender name of the agency's mail
        errors["display_name"] = [problem]
    try:
        validate_email(support_email)
        if len(support_email) > 254:
            raise ValidationError("too long")
    except ValidationError:
        errors["support_email"] = ["Give an e-mail address clients can write to."]
    try:
        hex_colour(primary_colour)
    except ValidationError:
        errors["primary_colour"] = ["Use a colour like #1F6FEB."]
    extension = ""
    if logo is not None and not remove_logo:
        try:
            extension = _logo_checked(logo, logo_size)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed("Nothing was changed: correct the fields marked.", fields=errors)

    old_name = agency.logo.name if agency.logo else ""
    before = {
        "display_name": agency.display_name,
        "support_email": agency.support_email,
        "primary_colour": agency.primary_colour,
        "logo": "a logo" if old_name else None,
    }
    agency.display_name, agency.support_email = display_name, support_email
    agency.primary_colour = primary_colour.upper()
    if remove_logo:
        agency.logo = ""
    elif extension:
        digest = hashlib.sha256(logo).hexdigest()[:16]
        agency.logo.save(f"{agency.slug}-{digest}{extension}", ContentFile(logo), save=False)
    new_name = agency.logo.name if agency.logo else ""
    after = {name: getattr(agency, name) for name in ("display_name", "support_email")}
    after["primary_colour"] = agency.primary_colour
    if new_name != old_name:
        after["logo"] = "a new logo" if new_name else None
    with transaction.atomic():
        agency.save(
            update_fields=["display_name", "support_email", "primary_colour", "logo", "updated_at"]
        )
        settings_changed(
            actor=actor,
            settings=BRANDING_SETTINGS,
            before=before,
            after=after,
            agency_id=agency.pk,
        )
        if old_name and old_name != new_name:
            storage = Agency._meta.get_field("logo").storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return agency


def privacy_request_record(
    *,
    agency: Agency,
    actor: Actor,
    action: str,
    author: str,
    reason: str,
    items: list[dict],
    to_check: list[str],
    to_check_by_clinic: list[dict],
    receipt: str,
) -> PrivacyRequest:
    """Append one carried-out privacy request to the agency's privacy requests log (written
    by `feeds.services.privacy`, in the transaction that removed the items). A person is kept
    by id, e-mail and name; an agency key by its name and prefix ("API key CRM (cwk_ab12…)")."""
    if action not in PrivacyAction.values:
        raise ValueError(f"unknown privacy action {action!r}")
    user, key = actor.user, actor.api_key
    name = f"{actor.name} ({key.prefix}…)" if key is not None else (user.full_name or "")
    return PrivacyRequest.objects.create(
        agency_id=agency.pk,
        action=action,
        author=author[:200],
        reason=reason,
        actor_id=user.pk if user is not None else None,
        actor_email=(user.email or "") if user is not None else "",
        actor_name=name[:200],
        items=items,
        to_check=to_check,
        to_check_by_clinic=to_check_by_clinic,
        receipt=receipt,
    )
