from datetime import UTC

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiKey, SecurityEvent, SecurityEventCode, User
from agency.brand_links import brand_link_agency
from agency.models import (
    CLINIC_SCOPED_ROLES,
    Agency,
    AgencyMembership,
    AgencyRole,
    PrivacyRequest,
    StaffClinic,
)
from core.days import range_instants
from core.http import branded_agency_id, branded_for


def agencies_for_user(user) -> QuerySet[Agency]:
    if user is None or not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(memberships__user=user).distinct()


def agency_memberships_for_user(user) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(user=user).select_related("agency")


def agency_memberships_managing(user) -> QuerySet[AgencyMembership]:
    """The user's owner and manager memberships: who may create clinics and agency keys."""
    return (
        AgencyMembership.objects.filter(user=user, role__in=[AgencyRole.OWNER, AgencyRole.MANAGER])
        .select_related("agency")
        .order_by("pk")
    )


def agency_for_branding(request) -> Agency | None:
    """The clinic's agency inside a clinic the caller reaches; otherwise the (first) agency of
    the caller, or of the person a public page is about (a password link's, once its token is
    found genuine: `core.http.branded_for`), reached as staff or through a clinic membership;
    otherwise None: the neutral page, which names nobody.

    Nothing a visitor types brands a page: a clinic the caller may not reach (its 404 page),
    and the sign-in page on the way to a clinic's page (`?next=/clinics/<slug>/…`, opened
    signed out), say nothing of that clinic, not even its agency, so that a real clinic and
    one that does not exist answer alike (tests/clinics/test_isolation.py,
    tests/agency/test_brand_leaks.py). Only a portal link an e-mail carried, signed
    (`agency.brand_links`), brands the sign-in page it leads to with the brand the e-mail
    showed."""
    clinic = getattr(request, "clinic", None)
    if clinic is not None and getattr(request, "clinic_access", None) is not None:
        return clinic.agency
    user = branded_for(request)
    if user is not None:
        if (agency_id := branded_agency_id(request)) is not None:
            return Agency.objects.filter(pk=agency_id).first()
        if getattr(user, "is_authenticated", False):
            # an agency-wide staff page shows the agency it names (`?agency=`), else the
            # first by name (`agency_for_staff`, as the pages choose it): one of two agencies'
            # staff reads the agency the page is about, never the other's name above it
            staff_of, _role = agency_for_staff(user, request.GET.get("agency"))
            if staff_of is None and request.GET.get("agency"):
                staff_of, _role = agency_for_staff(user)
            if staff_of is not None:
                return staff_of
            if people_of_several_agencies(user):
                # a clinic person of two agencies' clinics (made before one account was one
                # agency's, or by an operator): a page of theirs outside a clinic (their clinic
                # list, their account) names neither agency above the other's clinics
                return None
        return agency_for_person(user)[0]
    if request.path == settings.LOGIN_URL:
        return brand_link_agency(request.GET.get("next") or request.POST.get("next"))
    return None


def people_of_several_agencies(user) -> bool:
    """Whether `user` is one of the people of clinics of more than one agency."""
    return (
        Agency.objects.filter(clinics__memberships__user=user).values("pk").distinct()[:2].count()
        > 1
    )


def agency_for_person(user) -> tuple[Agency | None, bool]:
    """(the agency whose brand `user` knows, whether they are its staff): the first agency
    they are staff of, else the agency of their (first) clinic; (None, False) for nobody's."""
    agency = agencies_for_user(user).order_by("pk").first()
    if agency is not None:
        return agency, True
    return Agency.objects.filter(clinics__memberships__user=user).order_by("pk").first(), False


def removal_last(user) -> tuple[Agency | None, bool]:
    """For a person who reaches no clinic any more, whom they ask: (the agency that last
    removed `user` from one of its clinics or its staff, the security log's `member.removed`;
    whether it removed them from its staff rather
    than from one of its clinics): a former staff member knows the agency by its own name, a
    clinic's person by its brand (`agency.branding.person_brand`'s rule)."""
    removal = (
        SecurityEvent.objects.filter(
            event=SecurityEventCode.MEMBER_REMOVED, target_user_id=user.pk, agency_id__isnull=False
        )
        .order_by("-created_at", "-pk")
        .values("agency_id", "clinic_id")
        .first()
    )
    if removal is None:
        return None, False
    agency = Agency.objects.filter(pk=removal["agency_id"]).first()
    return agency, removal["clinic_id"] is None


def agency_for_staff(user, slug: str | None = None) -> tuple[Agency | None, str | None]:
    """The agency a staff page shows (by slug, else the user's first) and the user's role."""
    memberships = agency_memberships_for_user(user).order_by("agency__name", "pk")
    if slug:
        memberships = memberships.filter(agency__slug=slug)
    membership = memberships.first()
    if membership is None:
        return None, None
    return membership.agency, membership.role


def agency_people(*, agency: Agency):
    """The agency's staff with what the people page shows of each: `two_factor_on` (a
    confirmed authenticator app), on the user their lockout (`locked_until`) and last
    sign-in (`last_login`), and the clinics chosen for them (`chosen_clinics`, by name, with
    their clinic)."""
    return (
        AgencyMembership.objects.filter(agency=agency)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "chosen_clinics",
                queryset=StaffClinic.objects.select_related("clinic").order_by(
                    "clinic__name", "clinic_id"
                ),
            )
        )
        .annotate(
            two_factor_on=Exists(
                TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
            )
        )
        .order_by("user__full_name", "user__email")
    )


# --- Which clinics a staff member reaches ---------------------------------------------------
# Owners and managers, and writers and analysts with "All clinics", reach every clinic of their
# agency; a writer or analyst limited to chosen clinics reaches those only. `clinics.access.
# clinic_access` applies it to every request; these say the same rule for the lists that do not
# ask it person by person (the clinic list and switcher, the dashboard, whom to alert).


def _limited(staff: QuerySet[AgencyMembership]) -> QuerySet[AgencyMembership]:
    return staff.filter(all_clinics=False, role__in=CLINIC_SCOPED_ROLES)


def membership_reaches(clinic_id) -> Q:
    """A filter of `AgencyMembership` rows: the staff member reaches the clinic `clinic_id` of
    their agency (an id, or an expression such as `OuterRef("pk")`)."""
    chosen = StaffClinic.objects.filter(membership_id=OuterRef("pk"), clinic_id=clinic_id)
    return ~Q(all_clinics=False, role__in=CLINIC_SCOPED_ROLES) | Q(Exists(chosen))


def staff_reaching(clinic) -> QuerySet[AgencyMembership]:
    """The staff of `clinic`'s agency who reach it (`membership_reaches`): the agency people
    any list of the clinic draws from (whom to tell, the on-call list, incident roles)."""
    return AgencyMembership.objects.filter(agency_id=clinic.agency_id).filter(
        membership_reaches(clinic.pk)
    )


def clinics_reached(user, *, prefix: str = "") -> Q:
    """A filter of clinics (or of rows that point to a clinic through `prefix`, such as
    "clinic__"): the clinics `user` reaches as agency staff."""
    staff = AgencyMembership.objects.filter(user=user)
    every = staff.exclude(all_clinics=False, role__in=CLINIC_SCOPED_ROLES).values("agency_id")
    chosen = StaffClinic.objects.filter(
        membership__in=_limited(staff), clinic__agency_id=F("membership__agency_id")
    ).values("clinic_id")
    return Q(**{f"{prefix}agency_id__in": every}) | Q(**{f"{prefix}pk__in": chosen})


def clinics_out_of_reach(user, *, prefix: str = "") -> Q:
    """A filter of clinics (or, through `prefix`, of rows that point to one): the clinics of an
    agency `user` is staff of that they do not reach (they were limited to others). Whatever
    is about such a clinic is not for them, even if it was meant for them before."""
    agencies = AgencyMembership.objects.filter(user=user).values("agency_id")
    return Q(**{f"{prefix}agency_id__in": agencies}) & ~clinics_reached(user, prefix=prefix)


def api_keys_listed(keys: QuerySet[ApiKey], *, agency_id: int, staying=None) -> QuerySet[ApiKey]:
    """Key lists with their creator: `created_by` (select_related) and `creator_left`, True
    when the key's creator is gone or no longer on the agency's staff (nor in `staying`, an
    Exists() over the creator that a higher app adds: the people of the key's clinic).
    Rotating a key makes the rotating person its creator."""
    stays = Exists(
        AgencyMembership.objects.filter(agency_id=agency_id, user_id=OuterRef("created_by_id"))
    )
    if staying is not None:
        stays = stays | staying
    return keys.select_related("created_by", "replaced_by").annotate(
        creator_left=Case(
            When(created_by__isnull=True, then=Value(True)),
            When(stays, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )
    )


def api_keys_working_first(keys: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
    """Keys as the key pages list them: those that work (newest first), then the old secrets
    of rotations still in their grace period (ending soonest first), then those that stopped
    (most recently stopped first)."""
    now = timezone.now()
    working = ApiKey.objects.filter(pk=OuterRef("pk")).working(now)
    return keys.annotate(
        standing=Case(
            When(Exists(working) & Q(replaced_by__isnull=True), then=Value(0)),
            When(Exists(working), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        stopped_at=Case(When(standing=2, then=Coalesce("revoked_at", "expires_at")), default=None),
        retiring_until=Case(When(standing=1, then=F("expires_at")), default=None),
    ).order_by(
        "standing",
        F("retiring_until").asc(nulls_last=True),
        F("stopped_at").desc(nulls_last=True),
        "-created_at",
        "-id",
    )


# A change of someone's clinics logged before `member.clinics_changed` existed: a role change
# with the clinics before and after and no role before and after (`security_words` calls it
# "Clinics changed" too). The log is append-only, so these lines stay as they were written.
CLINICS_CHANGED_AS_ROLE = (
    Q(event=SecurityEventCode.MEMBER_ROLE_CHANGED)
    & Q(detail__has_any_keys=["clinics_from", "clinics_to"])
    & ~Q(detail__has_key="from")
    & ~Q(detail__has_key="to")
)


def security_events_for_agency(
    *,
    agency: Agency,
    event: str = "",
    person: str = "",
    clinic: int | None = None,
    created_from=None,
    created_to=None,
) -> QuerySet[SecurityEvent]:
    """The security log as the agency's owners see it: events in the agency or its clinics,
    and the personal events (sign-ins, two-factor, tokens) of its staff and its clinics'
    people. Events another agency recorded about a shared person stay with that agency.
    `event` keeps one kind; "Clinics changed" includes the clinic changes logged as role
    changes before it existed, and "Role changed" leaves them out. `person` keeps the events
    whose actor or subject has an e-mail containing it (any case); `clinic` those about the
    clinic with that id (deleted ones too); `created_from` to `created_to` (each a day, both
    inclusive, or an instant): the agency's pages have no time zone of their own, so a day is
    the whole UTC day, as the page shows its times."""
    staff = AgencyMembership.objects.filter(agency=agency).values("user_id")
    clients = User.objects.filter(clinic_memberships__clinic__agency=agency).values("pk")
    personal = Q(agency_id__isnull=True) & (
        Q(actor_id__in=staff)
        | Q(actor_id__in=clients)
        | Q(target_user_id__in=staff)
        | Q(target_user_id__in=clients)
    )
    events = SecurityEvent.objects.filter(Q(agency_id=agency.pk) | personal)
    if event == SecurityEventCode.MEMBER_CLINICS_CHANGED:
        events = events.filter(Q(event=event) | CLINICS_CHANGED_AS_ROLE)
    elif event == SecurityEventCode.MEMBER_ROLE_CHANGED:
        events = events.filter(event=event).exclude(CLINICS_CHANGED_AS_ROLE)
    elif event:
        events = events.filter(event=event)
    if person:
        events = events.filter(Q(actor_email__icontains=person) | Q(target_email__icontains=person))
    if clinic is not None:
        events = events.filter(agency_id=agency.pk, clinic_id=clinic)
    created_from, created_to = range_instants(created_from, created_to, UTC)
    if created_from is not None:
        events = events.filter(created_at__gte=created_from)
    if created_to is not None:
        events = events.filter(created_at__lt=created_to)
    return events.order_by("-created_at", "-id")


def _clinic_names_recorded(*, agency: Agency, clinic_ids=None, event="") -> dict[int, str]:
    """The newest name the agency's security log recorded for each clinic (of `clinic_ids`,
    else every one; on lines of `event` only, if given): the name kept on its lines, or in the
    details of the lines about the clinic's life (deactivated, exported, deleted) written
    before lines kept it."""
    rows = SecurityEvent.objects.filter(agency_id=agency.pk, clinic_id__isnull=False)
    if clinic_ids is not None:
        rows = rows.filter(clinic_id__in=clinic_ids)
    if event:
        rows = rows.filter(event=event)
    named = rows.annotate(
        recorded=Coalesce(
            NullIf("clinic_name", Value("")), KT("detail__clinic_name"), output_field=CharField()
        )
    ).filter(recorded__isnull=False)
    pairs = named.order_by("clinic_id", "-created_at", "-id").distinct("clinic_id")
    return dict(pairs.values_list("clinic_id", "recorded"))


def security_event_clinic_names(*, agency: Agency, events) -> None:
    """Sets `clinic_words` on each of `events` (the agency's security log lines): the name of
    the clinic the line is about, "" when it is about none. The name the line recorded when it
    was written, else (lines written before lines kept it) the clinic's name now, else, for a
    clinic since deleted, the newest name the log recorded for it (its deletion's line keeps
    it), else its id in words."""
    events = list(events)
    missing = {
        e.clinic_id
        for e in events
        if e.clinic_id is not None and not e.clinic_name and not (e.detail or {}).get("clinic_name")
    }
    names: dict[int, str] = {}
    if missing:
        names = dict(agency.clinics.filter(pk__in=missing).values_list("pk", "name"))
        unknown = missing - names.keys()
        if unknown:
            names.update(_clinic_names_recorded(agency=agency, clinic_ids=unknown))
    for e in events:
        if e.clinic_id is None:
            e.clinic_words = ""
        else:
            e.clinic_words = (
                e.clinic_name
                or str((e.detail or {}).get("clinic_name") or "")
                or names.get(e.clinic_id)
                or f"clinic {e.clinic_id} (name not recorded)"
            )


def security_log_clinics(*, agency: Agency) -> list[tuple[int, str]]:
    """(id, name) of the clinics the security log can be narrowed to: the agency's clinics by
    name, then those deleted since, by the name their deletion's line recorded, marked
    "(deleted)"."""
    now = list(agency.clinics.order_by("name", "pk").values_list("pk", "name"))
    ids = {pk for pk, _ in now}
    deleted = _clinic_names_recorded(agency=agency, event=SecurityEventCode.CLINIC_DELETED)
    gone = sorted(
        ((pk, f"{name} (deleted)") for pk, name in deleted.items() if pk not in ids),
        key=lambda item: (item[1].lower(), item[0]),
    )
    return [*now, *gone]


def privacy_requests_for_agency(
    *,
    agency: Agency,
    action: str = "",
    clinic: str = "",
    clinic_id: int | None = None,
    author: str = "",
    created_from=None,
    created_to=None,
) -> QuerySet[PrivacyRequest]:
    """The agency's privacy requests log, newest first; narrowed to one `action`, to those
    that removed items of the clinic `clinic_id` (a clinic's id is never reused: a clinic that
    exists is read by it) or of the clinic with slug `clinic` then (a deleted clinic, known only
    by the slug it had, which a new clinic may have taken), to an `author` containing the given
    words (any case), and to `created_from` <= created_at < `created_to`, each a day or an
    instant. The log is agency-wide and agencies have no time zone of their own: a day is the
    whole UTC day (both ends inclusive), as the log shows its times; an instant is exact."""
    created_from, created_to = range_instants(created_from, created_to, UTC)
    rows = PrivacyRequest.objects.filter(agency_id=agency.pk)
    if action:
        rows = rows.filter(action=action)
    if clinic_id is not None:
        rows = rows.filter(items__contains=[{"clinic_id": clinic_id}])
    elif clinic:
        rows = rows.filter(items__contains=[{"clinic_slug": clinic}])
    if author:
        rows = rows.filter(author__icontains=" ".join(author.split()))
    if created_from is not None:
        rows = rows.filter(created_at__gte=created_from)
    if created_to is not None:
        rows = rows.filter(created_at__lt=created_to)
    return rows.order_by("-created_at", "-id")
