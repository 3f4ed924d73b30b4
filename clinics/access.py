"""The one place that decides what an actor may do in a clinic.

Every request routed to a clinic passes `ClinicAccessMiddleware`, which calls
`clinic_access()`; every clinic API and page inherits a base class that checks the
permission it needs against the result. A user reaches a clinic through an agency
membership of the clinic's agency or a membership of the clinic itself; an API key through
its clinic, or through its agency for an agency-wide key. A writer or analyst whose clinics
were chosen (`agency.AgencyMembership.all_clinics`) reaches those only: any other clinic of the
agency answers as if it did not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery

from accounts.actors import Actor
from accounts.models import Scope
from agency.models import Agency, AgencyMembership, AgencyRole
from agency.selectors import membership_reaches
from clinics.models import Clinic, ClinicMembership, ClinicRole, CrisisRole, crisis_role_labels
from core.permissions import Permission, permission_refusal

P = Permission
# The approvals log (who approved what, at which step, what was overridden) is read by those
# who give a step of the approval chain and by the agency's owners and managers: not by writers
# (whose texts it judges), analysts, clinic viewers, nor keys without the `approve` scope.
AGENCY_ROLE_GRANTS: dict[str, frozenset[Permission]] = {
    AgencyRole.OWNER: frozenset({P.VIEW, P.WRITE, P.APPROVE_AGENCY, P.MANAGE, P.APPROVALS_LOG}),
    AgencyRole.MANAGER: frozenset({P.VIEW, P.WRITE, P.APPROVE_AGENCY, P.MANAGE, P.APPROVALS_LOG}),
    AgencyRole.WRITER: frozenset({P.VIEW, P.WRITE}),
    AgencyRole.ANALYST: frozenset({P.VIEW}),
}
# The privacy requests carried out for the clinic's items (the portal's read-only page, and a
# notice when one is carried out) are read by the clinic's approvers and its legal people: the
# clinic answers for its patients' data. The agency's staff read them on the agency's page
# (`privacy_requests_access`). The same people speak for the clinic on a post-crisis review it
# was sent: they may send the agency questions or corrections on it (the portal's review page).
CLINIC_ROLE_GRANTS: dict[str, frozenset[Permission]] = {
    ClinicRole.APPROVER: frozenset(
        {P.VIEW, P.APPROVE_CLIENT, P.APPROVALS_LOG, P.PRIVACY_REQUESTS, P.REVIEW_QUESTION}
    ),
    ClinicRole.VIEWER: frozenset({P.VIEW}),
}
CRISIS_ROLE_GRANTS: dict[str, frozenset[Permission]] = {
    CrisisRole.LEGAL: frozenset(
        {P.LEGAL_OVERRIDE, P.APPROVALS_LOG, P.PRIVACY_REQUESTS, P.REVIEW_QUESTION}
    ),
    CrisisRole.CLINICIAN: frozenset({P.APPROVALS_LOG}),  # gives the clinician step
}
AGENCY_KEY_SCOPE_GRANTS: dict[str, frozenset[Permission]] = {
    Scope.READ: frozenset({P.VIEW}),
    Scope.WRITE: frozenset({P.VIEW, P.WRITE}),
    Scope.APPROVE: frozenset({P.VIEW, P.APPROVE_AGENCY, P.APPROVALS_LOG}),
}
CLINIC_KEY_SCOPE_GRANTS: dict[str, frozenset[Permission]] = {
    Scope.READ: frozenset({P.VIEW}),
    Scope.WRITE: frozenset({P.VIEW, P.WRITE}),
    Scope.APPROVE: frozenset({P.VIEW, P.APPROVE_CLIENT, P.APPROVALS_LOG}),
}


@dataclass(frozen=True)
class ClinicAccess:
    clinic: Clinic
    actor: Actor
    agency_role: str | None = None
    clinic_role: str | None = None
    crisis_roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def refusal(self, permission: Permission) -> str:
        """Why this actor may not do what `permission` allows, in words: its role's, or for an
        API key its scopes' and the key that would (`core.permissions.permission_refusal`)."""
        key = self.actor.api_key
        if key is None:
            return permission_refusal(permission)
        return permission_refusal(
            permission, key_scopes=list(key.scopes), scope_needed=_scope_needed(key, permission)
        )

    @property
    def acts_on_incidents(self) -> bool:
        """Whether the actor may act on the clinic's incidents (acknowledge one, take one of
        its roles, run it) rather than only read them: the `write` permission, or a crisis role
        in the clinic (the clinic's crisis team acknowledges in the portal). Every way of
        acknowledging (API, pages, one-click links) and every list of people who act on
        incidents (the on-call list, the incident's roles) follows this rule."""
        return self.can(Permission.WRITE) or bool(self.crisis_roles)

    @property
    def role_label(self) -> str:
        """The actor's role in the clinic, in words: "analyst", "viewer", "API key"."""
        words = _role_words(agency_role=self.agency_role, clinic_role=self.clinic_role)
        return words or ("API key" if self.actor.api_key is not None else "no role")

    @property
    def crisis_role_labels(self) -> list[str]:
        return crisis_role_labels(self.crisis_roles)

    @property
    def role_words(self) -> str:
        """The role in words with the crisis roles it holds: "manager", "approver (Comms /
        PR)", "Legal / compliance" (a viewer holding it), "API key" (as the approvals log
        shows who decided)."""
        return _with_crisis_words(self.role_label, self.crisis_roles)

    @property
    def is_agency_staff(self) -> bool:
        return self.agency_role is not None

    @property
    def reaches_staff_pages(self) -> bool:
        """Whether the actor may open the agency's staff pages of the clinic (the incident room,
        approvals, inbox, settings: `core.views.ClinicView` with `staff_page`): agency staff
        only. The clinic's own people read the clinic in its portal."""
        return self.is_agency_staff

    @property
    def is_clinic_side(self) -> bool:
        """Whether the actor is the clinic rather than its agency: one of the clinic's people who
        is not staff of its agency (in person or with a personal token), or a key of this
        clinic that such a person created. Agency staff, agency keys and clinic keys the agency
        created (or of no known creator) are the agency's. The clinic side sees the agency's
        work only once it reaches the clinic (`responses.selectors.visible_to`)."""
        key = self.actor.api_key
        if key is None:
            return not self.is_agency_staff
        if key.clinic_id != self.clinic.id or key.created_by_id is None:
            return False
        return _clinic_person(user_id=key.created_by_id, clinic=self.clinic)

    @property
    def principals(self) -> frozenset[str]:
        """The people behind the actor, as audit labels: a person is themself; an API key is
        itself and the person who created it (a key acts for its creator)."""
        labels = {self.actor.label}
        key = self.actor.api_key
        if key is not None and key.created_by_id is not None:
            labels.add(f"user:{key.created_by_id}")
        return frozenset(labels)

    @property
    def speaks_for_the_clinic(self) -> bool:
        """Whether the actor is the clinic itself, independent of its agency: an approver of
        this clinic who is not staff of its agency, or a key of this clinic that such a person
        created. A key an agency person created (or one without a known creator) never is,
        whatever its scopes: the agency cannot give the client's approval."""
        key = self.actor.api_key
        if key is None:
            return self.clinic_role == ClinicRole.APPROVER and not self.is_agency_staff
        if key.clinic_id != self.clinic.id or key.created_by_id is None:
            return False
        return _independent_approver(user_id=key.created_by_id, clinic=self.clinic)


def _role_words(*, agency_role: str | None, clinic_role: str | None) -> str:
    if agency_role is not None:
        return AgencyRole(agency_role).label.lower()
    if clinic_role is not None:
        return ClinicRole(clinic_role).label.lower()
    return ""


def _with_crisis_words(words: str, crisis_roles) -> str:
    """The role with the crisis roles it holds: "approver (Comms / PR)"; a viewer who holds
    crisis roles is those roles ("Legal / compliance": "viewer" read as someone who only reads
    lifting a privacy block)."""
    labels = crisis_role_labels(crisis_roles)
    if labels and words == ClinicRole.VIEWER.label.lower():
        return ", ".join(labels)
    return f"{words} ({', '.join(labels)})" if labels else words


_VIEWER_WITH_ROLES = re.compile(rf"^{ClinicRole.VIEWER.label.lower()} \((.+)\)$")


def role_words_shown(words: str) -> str:
    """Role words as they were recorded (`ClinicAccess.role_words` in an audit entry), as
    they read now (`_with_crisis_words`): "viewer (Legal / compliance)", written before a
    viewer's crisis roles stood alone, is "Legal / compliance"."""
    found = _VIEWER_WITH_ROLES.match(words or "")
    return found.group(1) if found else words


def _independent_approver(*, user_id: int, clinic: Clinic) -> bool:
    return (
        ClinicMembership.objects.filter(
            user_id=user_id, clinic=clinic, role=ClinicRole.APPROVER, user__is_active=True
        ).exists()
        and not AgencyMembership.objects.filter(
            user_id=user_id, agency_id=clinic.agency_id
        ).exists()
    )


CLINIC_KEY_NO_APPROVE = (
    "A clinic key created by agency staff cannot have the approve scope: the clinic's approval "
    "step is given only by an approver of the clinic who is not agency staff, in the portal or "
    "with their personal token. Choose read and/or write; for the agency's approval step, "
    "create an agency key with the approve scope."
)


def clinic_key_scopes_refusal(scopes) -> str:
    """Why a new clinic key may not hold `scopes` ("" when it may). A clinic key's `approve`
    stands for the clinic's own approval step, and a key gives that step only when it speaks
    for the clinic (`ClinicAccess.speaks_for_the_clinic`): when an approver of the clinic who
    is not staff of its agency created it. Clinic keys are created only by those who manage the
    clinic (`Permission.MANAGE`: the agency's owners and managers), so such a key would hold a
    step it can never give: refused, with what to use instead."""
    return CLINIC_KEY_NO_APPROVE if Scope.APPROVE in set(scopes or ()) else ""


def _scope_needed(key, permission: Permission) -> str:
    """The key that would be allowed what `permission` allows, in words ("a key with the write
    scope", "an agency key with the approve scope"); "" when no key is. A clinic key is never
    given `approve` now (`clinic_key_scopes_refusal`), so it is not offered one."""
    own = CLINIC_KEY_SCOPE_GRANTS if key.clinic_id is not None else AGENCY_KEY_SCOPE_GRANTS
    for scope, grants in own.items():
        if permission in grants and not (key.clinic_id is not None and scope == Scope.APPROVE):
            return f"a key with the {scope} scope"
    if key.clinic_id is not None:
        for scope, grants in AGENCY_KEY_SCOPE_GRANTS.items():
            if permission in grants:
                return f"an agency key with the {scope} scope"
    return ""


def _clinic_person(*, user_id: int, clinic: Clinic) -> bool:
    return (
        ClinicMembership.objects.filter(user_id=user_id, clinic=clinic).exists()
        and not AgencyMembership.objects.filter(
            user_id=user_id, agency_id=clinic.agency_id
        ).exists()
    )


def _staff_of(clinic: Clinic):
    """The staff of the clinic's agency, each with `reaches`: whether they reach this clinic
    (all clinics, or this one among those chosen for them)."""
    return AgencyMembership.objects.filter(agency_id=clinic.agency_id).annotate(
        reaches=ExpressionWrapper(membership_reaches(clinic.pk), output_field=BooleanField())
    )


def _grants(table: dict[str, frozenset[Permission]], keys) -> frozenset[Permission]:
    out: frozenset[Permission] = frozenset()
    for key in keys:
        out |= table.get(key, frozenset())
    return out


def clinic_access(actor: Actor, clinic: Clinic | None) -> ClinicAccess | None:
    """What `actor` may do in `clinic`, or None when it may not reach the clinic at all
    (callers answer 404 then, so that a clinic's existence does not leak)."""
    if clinic is None or not actor.is_authenticated:
        return None
    if actor.api_key is not None:
        key = actor.api_key
        if not key.works() or key.agency_id != clinic.agency_id:
            return None
        if key.clinic_id is not None:
            if key.clinic_id != clinic.id:
                return None
            permissions = _grants(CLINIC_KEY_SCOPE_GRANTS, key.scopes)
        else:
            permissions = _grants(AGENCY_KEY_SCOPE_GRANTS, key.scopes)
        return ClinicAccess(clinic=clinic, actor=actor, permissions=permissions)

    user = actor.user
    if not user.is_active:
        return None
    staff = _staff_of(clinic).filter(user=user).values_list("role", "reaches").first()
    membership = (
        ClinicMembership.objects.filter(user=user, clinic=clinic)
        .values_list("role", "crisis_roles")
        .first()
    )
    return _person_access(actor, clinic, staff=staff, membership=membership)


def clinics_access(actor: Actor, clinics) -> dict[int, ClinicAccess | None]:
    """`clinic_access` for many clinics at once (clinic id → access, None where the actor may
    not reach it), by the same rule: a person's agency and clinic memberships are read in one
    query whatever the number of clinics; an API key needs none."""
    clinics = list(clinics)
    user = actor.user if actor.api_key is None else None
    if user is None or not actor.is_authenticated or not user.is_active:
        return {clinic.pk: clinic_access(actor, clinic) for clinic in clinics}
    mine = AgencyMembership.objects.filter(user=user, agency_id=OuterRef("agency_id"))
    member = ClinicMembership.objects.filter(user=user, clinic_id=OuterRef("pk"))
    rows = (
        Clinic.objects.filter(pk__in=[c.pk for c in clinics])
        .annotate(
            staff_role=Subquery(mine.values("role")[:1]),
            staff_reaches=Exists(mine.filter(membership_reaches(OuterRef(OuterRef("pk"))))),
            member_role=Subquery(member.values("role")[:1]),
            member_crisis=Subquery(member.values("crisis_roles")[:1]),
        )
        .values_list("pk", "staff_role", "staff_reaches", "member_role", "member_crisis")
    )
    read = {pk: row for pk, *row in rows}
    out: dict[int, ClinicAccess | None] = {}
    for clinic in clinics:
        staff_role, reaches, member_role, crisis = read.get(clinic.pk, (None, False, None, None))
        out[clinic.pk] = _person_access(
            actor,
            clinic,
            staff=(staff_role, reaches) if staff_role is not None else None,
            membership=(member_role, crisis or []) if member_role is not None else None,
        )
    return out


def _person_access(
    actor: Actor, clinic: Clinic, *, staff: tuple | None, membership: tuple | None
) -> ClinicAccess | None:
    """A person's access to `clinic` from their agency membership (`staff`: (role, reaches)
    or None) and clinic membership (`membership`: (role, crisis roles) or None): the rule of
    `clinic_access` and `clinics_access`."""
    if staff is not None and not staff[1]:
        # staff limited to other clinics of the agency; a clinic membership grants staff
        # nothing (below), so none lets them in here either
        return None
    agency_role = staff[0] if staff is not None else None
    if agency_role is None and membership is None:
        return None
    permissions = AGENCY_ROLE_GRANTS.get(agency_role, frozenset()) if agency_role else frozenset()
    clinic_role = None
    crisis_roles: frozenset[str] = frozenset()
    # Staff of the clinic's agency never hold its clinic or crisis roles (separation of
    # duties): a membership made before they joined the agency grants nothing.
    if membership is not None and agency_role is None:
        clinic_role = membership[0]
        crisis_roles = frozenset(membership[1] or ())
        permissions |= CLINIC_ROLE_GRANTS.get(clinic_role, frozenset())
        permissions |= _grants(CRISIS_ROLE_GRANTS, crisis_roles)
    return ClinicAccess(
        clinic=clinic,
        actor=actor,
        agency_role=agency_role,
        clinic_role=clinic_role,
        crisis_roles=crisis_roles,
        permissions=permissions,
    )


def user_access(user, clinic: Clinic) -> ClinicAccess | None:
    """`clinic_access` for a person who is not the one making the request (whom to alert, who
    may be put on a list), by the same rule."""
    return clinic_access(Actor(user=user), clinic)


def people_roles(clinic: Clinic, users) -> dict[int, str]:
    """Each person's role in `clinic` in words, as `ClinicAccess.role_label` says it
    ("manager", "approver"; "no role" for one who has none there), read in two queries for a
    whole list of people (whom a text waits for). Agency staff are their agency role, or
    "no role" in a clinic they do not reach: a clinic membership grants them nothing (see
    `clinic_access`)."""
    ids = [user.pk for user in users]
    staff = {
        pk: (role if reaches else None)
        for pk, role, reaches in _staff_of(clinic)
        .filter(user_id__in=ids)
        .values_list("user_id", "role", "reaches")
    }
    members = dict(
        ClinicMembership.objects.filter(clinic=clinic, user_id__in=ids)
        .exclude(user_id__in=list(staff))
        .values_list("user_id", "role")
    )
    return {
        pk: _role_words(agency_role=staff.get(pk), clinic_role=members.get(pk)) or "no role"
        for pk in ids
    }


def people_role_words(clinic: Clinic, user_ids) -> dict[int, str]:
    """Each person's role in `clinic` in words with their crisis roles, as
    `ClinicAccess.role_words` says it, read in two queries for a whole list of people; "no
    role here now" for one who has none (left the clinic or the agency). Agency staff are their
    agency role, or "no role here now" in a clinic they no longer reach: a clinic membership
    grants them nothing (see `clinic_access`)."""
    ids = list(user_ids)
    agency = {
        pk: (role if reaches else None)
        for pk, role, reaches in _staff_of(clinic)
        .filter(user_id__in=ids)
        .values_list("user_id", "role", "reaches")
    }
    members = {
        user_id: (role, crisis)
        for user_id, role, crisis in ClinicMembership.objects.filter(
            clinic=clinic, user_id__in=ids
        ).values_list("user_id", "role", "crisis_roles")
    }
    words = {}
    for pk in ids:
        if pk in agency:
            words[pk] = _role_words(agency_role=agency[pk], clinic_role=None) or "no role here now"
        elif pk in members:
            role, crisis = members[pk]
            words[pk] = _with_crisis_words(_role_words(agency_role=None, clinic_role=role), crisis)
        else:
            words[pk] = "no role here now"
    return words


def agency_roles_granting(permission: Permission) -> list[str]:
    """The agency roles whose grants include `permission`."""
    return [role for role, grants in AGENCY_ROLE_GRANTS.items() if permission in grants]


def people_who_can(
    clinic: Clinic, *, permission: Permission | None = None, crisis_role: str | None = None
) -> list:
    """The active people whose role in `clinic` grants `permission` (or who hold the crisis
    role `crisis_role`): whom to tell that a step waits for them. By the rule of
    `clinic_access`: staff limited to other clinics are not among them, and a clinic
    membership of the agency's staff grants nothing."""
    from accounts.models import User

    staff = AgencyMembership.objects.filter(agency_id=clinic.agency_id).values("user_id")
    members = ClinicMembership.objects.filter(clinic=clinic).exclude(user_id__in=staff)
    if crisis_role is not None:
        q = members.filter(crisis_roles__contains=[crisis_role])
        ids = set(q.values_list("user_id", flat=True))
    else:
        agency_roles = agency_roles_granting(permission)
        clinic_roles = [r for r, grants in CLINIC_ROLE_GRANTS.items() if permission in grants]
        crisis = [r for r, grants in CRISIS_ROLE_GRANTS.items() if permission in grants]
        ids = set(
            _staff_of(clinic)
            .filter(role__in=agency_roles, reaches=True)
            .values_list("user_id", flat=True)
        )
        ids |= set(members.filter(role__in=clinic_roles).values_list("user_id", flat=True))
        for role in crisis:
            ids |= set(
                members.filter(crisis_roles__contains=[role]).values_list("user_id", flat=True)
            )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def clinics_where_people_can(clinic_ids, *, permission: Permission) -> set[int]:
    """Those of `clinic_ids` where `people_who_can(clinic, permission=permission)` names
    somebody, read in one query whatever the number of clinics, by the same rule: an active
    member of the clinic who is not staff of its agency, whose clinic or crisis role grants
    `permission`, or an active staff member of its agency who reaches it and whose agency
    role grants it."""
    agency_roles = agency_roles_granting(permission)
    clinic_roles = [r for r, grants in CLINIC_ROLE_GRANTS.items() if permission in grants]
    crisis = [r for r, grants in CRISIS_ROLE_GRANTS.items() if permission in grants]
    granted = Q(role__in=clinic_roles)
    if crisis:
        granted |= Q(crisis_roles__overlap=crisis)
    members = ClinicMembership.objects.filter(
        granted, clinic_id=OuterRef("pk"), user__is_active=True
    ).exclude(
        Exists(
            AgencyMembership.objects.filter(
                user_id=OuterRef("user_id"), agency_id=OuterRef("clinic__agency_id")
            )
        )
    )
    someone = Exists(members)
    if agency_roles:
        staff = AgencyMembership.objects.filter(
            agency_id=OuterRef("agency_id"), role__in=agency_roles, user__is_active=True
        ).filter(membership_reaches(OuterRef(OuterRef("pk"))))
        someone |= Exists(staff)
    return set(Clinic.objects.filter(someone, pk__in=list(clinic_ids)).values_list("pk", flat=True))


# --- privacy requests: the agency's, across its clinics ---------------------------------------
# A privacy request (`feeds.services.privacy`) removes a person's items from every clinic of the
# agency, and its log names that person. It is carried out and read by those who manage the
# agency (the roles granted `manage`: owners and managers, in person or with a personal token)
# and by the agency's own agency-wide keys with one of these scopes (its CRM or ticketing tool):
# `write`, because it changes the clinics' reviews. Never a clinic key, whatever its scopes: a
# credential of one clinic neither acts on nor reads about the agency's other clinics.
PRIVACY_REQUEST_KEY_SCOPES = frozenset({Scope.WRITE})
PRIVACY_REQUEST_REFUSED = (
    "Privacy requests are carried out and read by the agency's owners and managers, or with an "
    "agency key that has the “write” scope."
)


NO_SUCH_AGENCY = "No such agency."


@dataclass(frozen=True)
class AgencyWideAccess:
    """The agency whose privacy requests (or approvals log) an actor may act on or read:
    `agency`, or None with the reason (`refusal`). `unknown_agency`: the caller may, but the
    agency it named does not exist (a mistake in its input, not a refusal)."""

    agency: Agency | None = None
    refusal: str = ""
    unknown_agency: bool = False


PrivacyRequestsAccess = AgencyWideAccess


def _unknown_agency(slug: str) -> PrivacyRequestsAccess | None:
    if Agency.objects.filter(slug=slug).exists():
        return None
    return PrivacyRequestsAccess(refusal=NO_SUCH_AGENCY, unknown_agency=True)


def privacy_requests_access(actor: Actor, *, agency_slug: str = "") -> PrivacyRequestsAccess:
    """Whether `actor` may carry out and read privacy requests, and of which agency: an agency
    key's own agency (with a scope of `PRIVACY_REQUEST_KEY_SCOPES`; `agency_slug`, when given,
    must name it); for a person, the agency they manage (named by `agency_slug` when they
    manage several). A caller who may handle privacy requests and names an agency that does
    not exist gets `unknown_agency` (its API answers 400 on `agency`); one that names another
    agency is refused. The one rule behind the privacy requests page, its service and its
    API."""
    return _agency_wide_access(
        actor,
        agency_slug=agency_slug,
        key_scopes=PRIVACY_REQUEST_KEY_SCOPES,
        refused=PRIVACY_REQUEST_REFUSED,
    )


# --- the agency's approvals log: every clinic's decisions in one list ---------------------------
# Read by those who manage the agency (owners and managers: `/agency/approvals-log/`, a staff
# page with `manage_get`) and by its agency-wide keys whose scopes grant `approvals_log` in each
# of its clinics (`approve`), as each clinic's own log is; never a clinic key. Each clinic's
# share is then read by `clinics_access` (`responses.agency_approvals_log.approvals_log_clinics`).
AGENCY_APPROVALS_LOG_KEY_SCOPES = frozenset(
    scope for scope, grants in AGENCY_KEY_SCOPE_GRANTS.items() if P.APPROVALS_LOG in grants
)
AGENCY_APPROVALS_LOG_REFUSED = (
    "The agency's approvals log is read by the agency's owners and managers, or with an agency "
    "key that has the “approve” scope."
)


def agency_approvals_log_access(actor: Actor, *, agency_slug: str = "") -> AgencyWideAccess:
    """Whether `actor` may read the approvals log of every clinic of an agency, and of which
    agency, by the rule of `privacy_requests_access` with the approvals log's key scopes
    (`AGENCY_APPROVALS_LOG_KEY_SCOPES`): the rule of `GET /api/v1/approvals-log/`, and for a
    person the rule of the `/agency/approvals-log/` page (a staff page with `manage_get`: the
    agency's owners and managers, `agency_roles_granting(MANAGE)`)."""
    return _agency_wide_access(
        actor,
        agency_slug=agency_slug,
        key_scopes=AGENCY_APPROVALS_LOG_KEY_SCOPES,
        refused=AGENCY_APPROVALS_LOG_REFUSED,
    )


def _agency_wide_access(
    actor: Actor,
    *,
    agency_slug: str,
    key_scopes: frozenset[str],
    refused: str,
    permission: Permission = Permission.MANAGE,
) -> AgencyWideAccess:
    """The agency an actor acts on agency-wide: an agency key's own (with one of `key_scopes`),
    or the one a person manages (a role granting `permission`; named by `agency_slug` when they
    have several); else the refusal (`refused`, or why in particular)."""
    key = actor.api_key
    if key is not None:
        if key.revoked_at is not None or key.clinic_id is not None:
            return AgencyWideAccess(refusal=refused)
        if not key_scopes & set(key.scopes):
            return AgencyWideAccess(refusal=refused)
        agency = Agency.objects.filter(pk=key.agency_id).first()
        other = AgencyWideAccess(refusal="This key belongs to another agency.")
        if agency is None:
            return other
        if agency_slug and agency.slug != agency_slug:
            return _unknown_agency(agency_slug) or other
        return AgencyWideAccess(agency=agency)
    user = actor.user
    if user is None or not user.is_active:
        return AgencyWideAccess(refusal=refused)
    managing = AgencyMembership.objects.filter(
        user=user, role__in=agency_roles_granting(permission)
    ).select_related("agency")
    if agency_slug:
        named = managing.filter(agency__slug=agency_slug)
        if not named.exists() and managing.exists():
            return _unknown_agency(agency_slug) or AgencyWideAccess(refusal=refused)
        managing = named
    found = list(managing.order_by("pk")[:2])
    if not found:
        return AgencyWideAccess(refusal=refused)
    if len(found) > 1:
        several = "manage" if permission == Permission.MANAGE else "work for"
        return AgencyWideAccess(refusal=f"You {several} several agencies: name one in “agency”.")
    return AgencyWideAccess(agency=found[0].agency)


def privacy_requests_refusal(actor: Actor, agency: Agency) -> str:
    """Why `actor` may not carry out or read `agency`'s privacy requests ("" when it may)."""
    access = privacy_requests_access(actor, agency_slug=agency.slug)
    if access.agency is not None and access.agency.pk == agency.pk:
        return ""
    return access.refusal or PRIVACY_REQUEST_REFUSED


# --- the month across clinics: each clinic's monthly report figures in one table ---------------
# Read by whoever reads a clinic's monthly report (its Report tab and API need `view`): every
# agency role that grants it (owners, managers, writers, analysts), each over the clinics they
# reach (`month_across_clinics`); and the agency's own agency-wide keys whose scopes grant
# `view`. Never a clinic key, nor a clinic's own people: one clinic's credential reads nothing of
# the agency's other clinics.
MONTH_ACROSS_KEY_SCOPES = frozenset(
    scope for scope, grants in AGENCY_KEY_SCOPE_GRANTS.items() if P.VIEW in grants
)
MONTH_ACROSS_REFUSED = (
    "The month across clinics is read by the agency's staff, or with an agency key that has "
    "the “read” scope."
)


def month_across_access(actor: Actor, *, agency_slug: str = "") -> AgencyWideAccess:
    """Whether `actor` may read the month across an agency's clinics, and of which agency: the
    rule of `_agency_wide_access` with the roles granting `view` (a person in several agencies
    names one by `agency_slug`) and `MONTH_ACROSS_KEY_SCOPES`: the rule of
    `GET /api/v1/reports/months/`; the page `/agency/reports/month/` is a staff page (every
    agency role), which is the same people."""
    return _agency_wide_access(
        actor,
        agency_slug=agency_slug,
        key_scopes=MONTH_ACROSS_KEY_SCOPES,
        refused=MONTH_ACROSS_REFUSED,
        permission=Permission.VIEW,
    )


def month_across_clinics(actor: Actor, agency: Agency) -> list[Clinic]:
    """The clinics of `agency` whose monthly report `actor` may read (`view`, by
    `clinics_access`: a writer or analyst limited to chosen clinics reads those only), active
    and deactivated, by name."""
    clinics = list(Clinic.objects.filter(agency=agency).select_related("agency").order_by("name"))
    access = clinics_access(actor, clinics)
    return [
        clinic
        for clinic in clinics
        if (found := access.get(clinic.pk)) is not None and found.can(Permission.VIEW)
    ]
