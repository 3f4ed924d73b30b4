from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_exists

from accounts.actors import Actor
from accounts.credentials import IssuedSecret, api_key_create
from accounts.models import ApiKey, User
from accounts.selectors import user_agency_ids
from accounts.services import user_get_or_create, user_membership_changed, user_membership_removed
from agency.models import Agency, AgencyMembership
from agency.services import (
    MemberChange,
    Removal,
    Told,
    another_agency_refusal,
    departure_complete,
    member_tell,
    person_duties_lock,
)
from clinics.access import clinic_key_scopes_refusal
from clinics.approvers import (
    approver_back_tell,
    approver_role_ended_tell,
    clinic_has_approver,
    no_approver_tell,
)
from clinics.history import settings_changed
from clinics.models import (
    CLINIC_ROLE_HELP,
    CLINIC_SLUG_UNAVAILABLE,
    CRISIS_TEAM_HELP,
    REPLY_TARGET_SETTING,
    Clinic,
    ClinicMembership,
    ClinicRole,
    CrisisRole,
    Domain,
    crisis_roles_explained,
    validate_clinic_slug,
    validate_phone,
)
from clinics.schemas import TEMPLATE_SCHEMA, schema_clone_from_template, template_schema_ensure
from core.arrivals import Arrival, arrived
from core.errors import Conflict, ValidationFailed
from core.leavers import Departure, left_behind
from core.rollup import figures_changed
from core.settings_history import Setting, SettingArea
from core.text import one_line_problem


def schema_name_for(slug: str) -> str:
    return "clinic_" + slug.replace("-", "_")


def _validate(clinic: Clinic) -> None:
    """Every field's problem at once (the model's rules and the public phone's shape)."""
    fields: dict[str, list[str]] = {}
    try:
        clinic.full_clean(exclude=["schema_name", "agency"])
    except ValidationError as exc:
        fields.update(exc.message_dict)
    try:
        validate_phone(clinic.phone)
    except ValidationError as exc:
        fields.setdefault("phone", []).extend(exc.messages)
    if problem := one_line_problem(clinic.name):  # it goes into e-mail subjects
        fields.setdefault("name", []).append(problem)
    if fields:
        raise ValidationFailed("Invalid clinic.", fields=fields)


# Two clinics of one agency are never named alike: the dashboard, the switcher and the
# e-mails name clinics by their names (a clinic signed twice in an afternoon is caught here).
CLINIC_NAME_TAKEN = (
    "Your agency has a clinic named “{name}” already (/clinics/{slug}/): give this one a name "
    "that tells them apart, e.g. with its town or street."
)


def clinic_name_key(name: str) -> str:
    """How two clinic names compare: the same letters whatever their case, width (NFKC) and
    spacing ("Riverside  Family Dental" and "Riverside\u00a0Family Dental" read as
    "Riverside Family Dental" in every list)."""
    return " ".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def _clinic_name_lock(*, agency_id: int, name: str) -> None:
    """The lock of one clinic name in one agency (`clinic_name_key`), to the end of the
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('clinic-name'), hashtext(%s))",
            [f"{agency_id}:{clinic_name_key(name)}"],
        )


def _clinic_name_taken(
    *, agency_id: int, name: str, exclude_pk: int | None = None, slug: str = ""
) -> None:
    """`ValidationFailed` on `name` (`CLINIC_NAME_TAKEN`) when another clinic of the agency is
    named as `name` (`clinic_name_key`); the clinic at `slug` is the one being created (a
    retry that lost a race to itself is answered by `_existing_clinic`, not refused here).
    Inside a transaction it first takes a lock on the agency and the name, held to its end,
    so two creates or renames to one name at the same moment are one after the other: the
    second reads the first's clinic and is refused."""
    key = clinic_name_key(name)
    if not key:
        return
    if connection.in_atomic_block:
        _clinic_name_lock(agency_id=agency_id, name=name)
    others = Clinic.objects.filter(agency_id=agency_id).exclude(pk=exclude_pk).exclude(slug=slug)
    for other_name, other_slug in others.order_by("pk").values_list("name", "slug"):
        if clinic_name_key(other_name) == key:
            raise ValidationFailed(
                "Invalid name.",
                fields={"name": [CLINIC_NAME_TAKEN.format(name=other_name, slug=other_slug)]},
            )


def clinic_create(
    *,
    agency: Agency,
    name: str,
    slug: str,
    timezone: str = "UTC",
    specialties: Iterable[str] = (),
    phone: str = "",
    email: str = "",
    contact_url: str = "",
    reply_target_minutes: int = 24 * 60,
) -> Clinic:
    """Create a clinic: its registry row, its schema (cloned from the template) and its
    domain, in one transaction — a failure anywhere leaves nothing behind, so the call can
    simply be retried. Calling it again for a clinic that exists in the same agency with the
    same values returns that clinic unchanged; with other values it is a 409 `clinic_exists`
    naming them (`_existing_clinic`), and so is the call that lost a race with another
    creating the same clinic. A new clinic named as one of the agency's (case, width and
    spacing aside: `clinic_name_key`) is a 400 on `name` (`CLINIC_NAME_TAKEN`), also when the
    two are created at the same moment."""
    unavailable = ValidationFailed("Invalid slug.", fields={"slug": [CLINIC_SLUG_UNAVAILABLE]})
    try:
        validate_clinic_slug(slug)
    except ValidationError as exc:
        raise ValidationFailed("Invalid slug.", fields={"slug": list(exc.messages)}) from None
    slug = slug.strip().lower()
    if schema_name_for(slug) == TEMPLATE_SCHEMA:
        raise unavailable
    asked = {
        "name": (name or "").strip(),
        "timezone": timezone,
        "specialties": [s.strip() for s in specialties if s and s.strip()],
        "phone": phone.strip(),
        "email": email.strip(),
        "contact_url": contact_url.strip(),
        "reply_target_minutes": reply_target_minutes,
    }
    existing = Clinic.objects.filter(slug=slug).first()
    if existing is not None:
        return _existing_clinic(existing, agency=agency, asked=asked, unavailable=unavailable)
    _clinic_name_taken(agency_id=agency.pk, name=asked["name"], slug=slug)

    clinic = Clinic(agency=agency, slug=slug, schema_name=schema_name_for(slug), **asked)
    _validate(clinic)
    template_schema_ensure()
    connection.set_schema_to_public()
    try:
        with transaction.atomic():
            # again under the lock: another create of this name may have committed meanwhile;
            # the same clinic (its slug) is answered as a retry, another one is refused
            _clinic_name_lock(agency_id=agency.pk, name=asked["name"])
            raced = Clinic.objects.filter(slug=slug).first()
            if raced is not None:
                return _existing_clinic(raced, agency=agency, asked=asked, unavailable=unavailable)
            _clinic_name_taken(agency_id=agency.pk, name=asked["name"])
            if schema_exists(clinic.schema_name):
                # No clinic row owns it (checked above): the remains of a creation that was
                # not transactional (an older version, or a manual attempt).
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA "{clinic.schema_name}" CASCADE')
            clinic.save()
            schema_clone_from_template(clinic.schema_name)
            Domain.objects.create(domain=slug, tenant=clinic, is_primary=True)
    except (IntegrityError, ValidationError) as exc:
        # Another call created it meanwhile (django-tenants names the schema in its message,
        # which callers never see): answered as if it had come first.
        existing = Clinic.objects.filter(slug=slug).first()
        if existing is not None:
            return _existing_clinic(existing, agency=agency, asked=asked, unavailable=unavailable)
        if isinstance(exc, ValidationError):
            raise
        raise Conflict(f"Could not create the clinic: {exc}".splitlines()[0]) from exc
    return clinic


def _existing_clinic(
    existing: Clinic, *, agency: Agency, asked: dict, unavailable: ValidationFailed
) -> Clinic:
    """A create for a slug that is taken: the clinic itself when it is the agency's and has
    every value asked (a retry), else a 409 `clinic_exists` naming the values that differ;
    another agency's clinic reads as an invalid slug (no existence oracle)."""
    if existing.agency_id != agency.id:
        raise unavailable
    differ = [field for field, value in asked.items() if getattr(existing, field) != value]
    if not differ:
        return existing
    raise Conflict(
        f"The clinic “{existing.slug}” exists already, with another "
        f"{', '.join(differ)}: change it with its settings, or choose another slug.",
        code="clinic_exists",
        fields={field: ["Differs from the existing clinic's."] for field in differ},
    )


def clinic_api_key_create(
    *, clinic: Clinic, name: str, scopes: list[str], created_by: User
) -> tuple[ApiKey, IssuedSecret]:
    """A key of `clinic`, as its API-keys page and `POST api-keys/` create it: the checks of
    `accounts.credentials.api_key_create` (a name, known scopes, no second working key of the
    same name), and no `approve` scope the key could never use
    (`clinics.access.clinic_key_scopes_refusal`: 400 on `scopes`, nothing created)."""
    if refusal := clinic_key_scopes_refusal(scopes):
        raise ValidationFailed("Invalid scopes.", fields={"scopes": [refusal]})
    return api_key_create(
        agency=clinic.agency, clinic=clinic, name=name, scopes=scopes, created_by=created_by
    )


def _member_lock(*, clinic: Clinic, email: str) -> None:
    """One add or change of a person at a time per clinic and e-mail, to the end of the
    transaction: a form sent twice at once is stored (and told) once, the second reading the
    first's result, as a second sent after it does. First the agency's lock of that e-mail
    (`agency.services.person_duties_lock`, which the staff's add takes too), so the rule of
    separation of duties is read after any add of the same e-mail to the staff, and every path
    takes the two locks in the same order."""
    person_duties_lock(agency_id=clinic.agency_id, email=email)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('clinic-member'), hashtext(%s))",
            [f"{clinic.pk}:{(email or '').strip().lower()}"],
        )


STAFF_HOLD_NO_CLINIC_ROLE = (
    "This person is staff of the clinic's agency: clinic and crisis roles are for the clinic's "
    "own people (separation of duties)."
)


def clinic_role_refusal(*, clinic: Clinic, email: str) -> str | None:
    """Why the person with `email` may not hold a role in `clinic`, or None: staff of the
    clinic's agency hold none (separation of duties). Every path that gives a clinic role
    asks it (`clinic_member_add`, `clinics.backups.clinic_restore`); it takes the locks of
    `_member_lock` first (call it in a transaction), so an add of the same e-mail to the staff
    at the same moment is read committed, or waits for this one and reads it."""
    _member_lock(clinic=clinic, email=email)
    if AgencyMembership.objects.filter(
        agency_id=clinic.agency_id, user__email__iexact=(email or "").strip()
    ).exists():
        return STAFF_HOLD_NO_CLINIC_ROLE
    return None


@transaction.atomic
def clinic_member_add(
    *,
    clinic: Clinic,
    email: str,
    full_name: str,
    role: str,
    crisis_roles: Iterable[str] = (),
    password: str | None = None,
) -> ClinicMembership:
    """Add a person to a clinic (creating the user if needed), or update their roles.

    Staff of the clinic's agency are refused: clinic and crisis roles belong to the clinic's
    own people, so that the agency can never give the client's approval, legal's or the
    clinician's, to itself (`clinic_access` also ignores such a membership). A new person, or
    one whose roles change, is told once what already waits at a step they may now give
    (`core.arrivals`: replies, statements, facts to confirm). A clinic that had no approver
    and gets one: whoever was told it had none is told it can approve again; its only
    approver's role changed to another: it is told it has none, as when they are removed
    (`clinics.approvers`)."""
    if role not in ClinicRole.values:
        raise ValidationFailed("Invalid role.", fields={"role": [f"Choose {ClinicRole.values}."]})
    crisis = sorted(set(crisis_roles))
    unknown = [r for r in crisis if r not in CrisisRole.values]
    if unknown:
        raise ValidationFailed(
            "Invalid crisis role.", fields={"crisis_roles": [f"Unknown: {', '.join(unknown)}."]}
        )
    if refusal := clinic_role_refusal(clinic=clinic, email=email):
        raise ValidationFailed(
            "Agency staff cannot hold clinic roles.", fields={"email": [refusal]}
        )
    user: User = user_get_or_create(email=email, full_name=full_name, password=password)
    before = (
        ClinicMembership.objects.filter(clinic=clinic, user=user)
        .values("role", "crisis_roles")
        .first()
    )
    membership, _ = ClinicMembership.objects.update_or_create(
        clinic=clinic, user=user, defaults={"role": role, "crisis_roles": crisis}
    )
    user_membership_changed(
        user=user,
        agency_id=clinic.agency_id,
        clinic_id=clinic.pk,
        clinic_name=clinic.name,
        before=before,
        after={"role": role, "crisis_roles": crisis},
    )
    if before is None or before["role"] != role or sorted(before["crisis_roles"]) != crisis:
        # a step they may give now: what already waits at it is theirs too, told once
        waiting = arrived(Arrival(user_id=user.pk, clinic_id=clinic.pk))
        if role == ClinicRole.APPROVER and (before is None or before["role"] != role):
            # the clinic that had no approver has one: whoever was told hears it
            approver_back_tell(clinic=clinic, approver=user, waiting=waiting)
    if before is not None and before["role"] == ClinicRole.APPROVER and role != ClinicRole.APPROVER:
        # its only approver stays but no longer approves: told as when they are removed
        approver_role_ended_tell(clinic=clinic, user=user)
    return membership


def clinic_member_duties(*, role: str, crisis_roles: Iterable[str] = ()) -> list[str]:
    """A clinic person's roles in plain words, one line each, in the pickers' order and words
    (`clinics.models.CLINIC_ROLE_HELP`, `CRISIS_ROLE_HELP`): what they will be asked to do."""
    held = set(crisis_roles)
    duties = [f"{ClinicRole(role).label}: {CLINIC_ROLE_HELP[ClinicRole(role)]}"]
    for value, label, help_text in crisis_roles_explained():
        if value in held:
            duties.append(f"Crisis team, {label}: {CRISIS_TEAM_HELP}; {help_text}")
    return duties


class MemberSaved(NamedTuple):
    membership: ClinicMembership
    change: MemberChange
    told: Told


def clinic_member_save(
    *,
    clinic: Clinic,
    by: str,
    email: str,
    full_name: str,
    role: str,
    crisis_roles: Iterable[str] = (),
) -> MemberSaved:
    """The people page's add or change (`clinic_member_add`), then the person is told, once
    per change and in the agency's name (`agency.services.member_tell`): a new person without
    a password gets the one invitation, a new person who has one is told they were added, a
    role change is a short notice without a password link, and a save that changes nothing
    sends nothing. The mail is sent once `clinic_member_add` has stored the change; the same
    form sent twice at once is one change, the second told as a save that changes nothing."""
    with transaction.atomic():
        _member_lock(clinic=clinic, email=email)
        before = (
            ClinicMembership.objects.filter(
                clinic=clinic, user__email__iexact=(email or "").strip()
            )
            .values("role", "crisis_roles")
            .first()
        )
        if before is None:
            # a new person of the clinic: never an account another agency's already is
            another_agency_refusal(agency_id=clinic.agency_id, email=email)
        membership = clinic_member_add(
            clinic=clinic, email=email, full_name=full_name, role=role, crisis_roles=crisis_roles
        )
    after = {"role": membership.role, "crisis_roles": list(membership.crisis_roles)}
    if before is None:
        change = MemberChange.ADDED
    elif {**before, "crisis_roles": sorted(before["crisis_roles"])} != after:
        change = MemberChange.CHANGED
    else:
        change = MemberChange.UNCHANGED
    told = member_tell(
        user=membership.user,
        agency=clinic.agency,
        place=clinic.name,
        duties=clinic_member_duties(role=membership.role, crisis_roles=membership.crisis_roles),
        by=by,
        change=change,
    )
    return MemberSaved(membership, change, told)


CLINIC_EDITABLE = ("name", "timezone", "phone", "email", "contact_url", "reply_target_minutes")
# How the settings history names each of them.
CLINIC_SETTINGS = {
    "name": Setting(SettingArea.GENERAL, "Clinic name"),
    "timezone": Setting(SettingArea.GENERAL, "Time zone"),
    "phone": Setting(SettingArea.GENERAL, "Public phone"),
    "email": Setting(SettingArea.GENERAL, "Public e-mail"),
    "contact_url": Setting(SettingArea.GENERAL, "Contact page"),
    "reply_target_minutes": Setting(SettingArea.SLA, REPLY_TARGET_SETTING),
}


@transaction.atomic
def clinic_update(*, clinic: Clinic, actor: Actor, **changes) -> Clinic:
    """Change a clinic's name, contact channels, time zone or reply target; each value that
    changes is recorded in the settings history as `actor`'s. All-or-nothing: an invalid
    value changes (and records) nothing, and so does a new name that another clinic of the
    agency has (`_clinic_name_taken`)."""
    unknown = sorted(set(changes) - set(CLINIC_EDITABLE))
    if unknown:
        raise ValidationFailed(
            "Unknown field.", fields={name: ["Cannot be changed here."] for name in unknown}
        )
    row = Clinic.objects.select_for_update().get(pk=clinic.pk)
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    _validate(row)
    if "name" in changes and clinic_name_key(row.name) != clinic_name_key(before["name"]):
        _clinic_name_taken(agency_id=row.agency_id, name=row.name, exclude_pk=row.pk)
    row.save(update_fields=[*changes, "updated_at"])
    settings_changed(
        actor=actor,
        settings=CLINIC_SETTINGS,
        before=before,
        after={name: getattr(row, name) for name in changes},
        clinic=row,
    )
    for name in changes:
        setattr(clinic, name, getattr(row, name))
    if "reply_target_minutes" in changes:
        figures_changed(clinic_id=clinic.pk)
    return row


def clinic_departure(membership: ClinicMembership) -> Departure:
    """A person leaving one clinic, for `core.leavers`."""
    user = membership.user
    return Departure(
        user_id=user.pk,
        agency_id=membership.clinic.agency_id,
        clinic_id=membership.clinic_id,
        name=user.full_name or user.email,
        clinic_role=membership.role,
    )


@transaction.atomic
def clinic_member_remove(
    *, membership: ClinicMembership, by=None, revoke_keys: bool = False
) -> Removal:
    """Remove a person from a clinic (the user stays; other memberships are untouched). Losing
    their last clinic revokes their personal tokens and ends their sessions. Their roles in
    the clinic's running incidents end (`core.leavers`); with `revoke_keys` the clinic's keys
    they created are revoked. Its only approver leaving: its managers are told it has none
    (`clinics.approvers.no_approver_tell`) until it has one again."""
    departure = clinic_departure(membership)
    left = left_behind(departure)  # before the membership goes: what the confirmation listed
    membership.delete()
    user_membership_removed(
        user=membership.user,
        agency_id=membership.clinic.agency_id,
        clinic_id=membership.clinic_id,
        clinic_name=membership.clinic.name,
        role=membership.role,
        # their way in only when nothing else is: the same account may be staff of an agency,
        # or one of another agency's clinics' people, whose tokens and sessions stay theirs
        last=not user_agency_ids(membership.user),
    )
    removal = departure_complete(
        departure=departure,
        left=left,
        user=membership.user,
        agency=membership.clinic.agency,
        by=by,
        revoke_keys=revoke_keys,
    )
    if membership.role == ClinicRole.APPROVER and not clinic_has_approver(membership.clinic):
        # its managers' line until it has one again (e-mailed with what she left behind)
        no_approver_tell(clinic=membership.clinic, why=f"since {departure.name} left", email=False)
    return removal
