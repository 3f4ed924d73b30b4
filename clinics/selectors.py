from datetime import UTC, date, datetime, timedelta, tzinfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.actors import Actor
from agency.models import AgencyMembership
from agency.selectors import api_keys_listed, clinics_out_of_reach, clinics_reached
from clinics.models import (
    REPLY_TARGET_SETTING,
    RESERVED_CLINIC_SLUGS,
    Clinic,
    ClinicMembership,
    Notification,
    SettingChange,
    clinic_zone,
)
from clinics.notifications import notifications_paused_marked
from core.days import is_day, range_instants
from core.tenancy import current_clinic
from core.text import address_from

AGENCY_WIDE = "_agency"  # `settings_history`'s place: the agency's own settings (never a slug)


def clinics_for_actor(actor: Actor) -> QuerySet[Clinic]:
    """Every clinic `actor` may reach: through an agency membership (every clinic of the
    agency, or those chosen for the person), a clinic membership, or the binding of its API
    key. The only way public code lists clinics; it agrees with `clinics.access.
    clinic_access` (a clinic membership of the agency's own staff grants nothing)."""
    qs = Clinic.objects.select_related("agency")
    if actor.api_key is not None:
        key = actor.api_key
        if not key.works():
            return qs.none()
        if key.clinic_id is not None:
            return qs.filter(pk=key.clinic_id, agency_id=key.agency_id)
        return qs.filter(agency_id=key.agency_id)
    if actor.user is None or not actor.user.is_active:
        return qs.none()
    user = actor.user
    staff_of = AgencyMembership.objects.filter(user=user).values("agency_id")
    as_person = Q(memberships__user=user) & ~Q(agency_id__in=staff_of)
    return qs.filter(clinics_reached(user) | as_person).distinct()


def clinic_days_as_instants(
    start, end, *, end_inclusive: bool = False
) -> tuple[datetime | None, datetime | None]:
    """A list filter's range (`published_from`/`_to`, `opened_from`/`_to`: each a day, an
    instant or None) as instants, a day being the whole day in the current clinic's time zone
    (`core.days.range_instants`), as the approvals log and the settings history read days."""
    if not (is_day(start) or is_day(end)):
        return start, end
    return range_instants(start, end, clinic_zone(current_clinic()), end_inclusive=end_inclusive)


def changed_since(after) -> tuple[datetime, bool]:
    """An "…_after" filter (`updated_after` of `reviews/`, `scored_after` of `scores/`) as
    (instant, inclusive): a day is the whole day in the clinic's time zone and after it (from
    its start, inclusive); an instant is exclusive (after it), so a sync that keeps the newest
    time it read and asks for what came after it reads nothing twice."""
    since, _ = clinic_days_as_instants(after, None)
    return since, is_day(after)


def changed_after(field: str, after) -> Q:
    """`changed_since` as a filter on `field`."""
    since, inclusive = changed_since(after)
    return Q(**{f"{field}__{'gte' if inclusive else 'gt'}": since})


def clinic_for_actor(actor: Actor, *, slug: str) -> Clinic | None:
    return clinics_for_actor(actor).filter(slug=slug).first()


CLINIC_SLUG_MOST = 50


def clinic_slug_from_name(name: str) -> str:
    """A free web address made from a clinic's name (`core.text.address_from`: "Clinique
    médicale de l'Île-d'Orléans": clinique-medicale-de-lile-dorleans), with "-2", "-3"… when
    a clinic of any agency has it or it is reserved; "" when the name gives fewer than 3
    letters or digits (the person types one)."""
    base = address_from(name, most=CLINIC_SLUG_MOST)
    if len(base) < 3:
        return ""
    taken = set(
        Clinic.objects.filter(slug__startswith=base[: CLINIC_SLUG_MOST - 10]).values_list(
            "slug", flat=True
        )
    )
    taken |= RESERVED_CLINIC_SLUGS
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: CLINIC_SLUG_MOST - len(suffix)].rstrip("-") + suffix
    return candidate


def notifications_about(clinic: Clinic, refs) -> QuerySet[Notification]:
    """The in-app notifications sent about these things (`ref`s such as "reply:12"), oldest
    first, with their person."""
    return (
        Notification.objects.filter(clinic=clinic, ref__in=list(refs))
        .select_related("user")
        .order_by("created_at", "pk")
    )


def clinic_people(clinic: Clinic) -> list:
    """The clinic's own active people (approvers and viewers, crisis roles or not)."""
    return [
        m.user
        for m in ClinicMembership.objects.filter(clinic=clinic, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    ]


NOTIFICATION_HISTORY_DAYS = 60
# The staff's notification history, on the public site (clinics.views.NotificationHistoryView);
# a clinic's people have theirs in each clinic's portal
STAFF_NOTIFICATION_HISTORY_URL = "/account/notifications/history/"


def notifications_history(user, clinic: Clinic, *, now=None, limit: int = 100) -> list:
    """What this person was told about this clinic in the last 60 days (in Carewatch or in
    their hourly digest), newest first: the messages still waiting and those done (each with
    `in_paused_clinic`, `clinics.notifications.notifications_paused_marked`)."""
    since = (now or timezone.now()) - timedelta(days=NOTIFICATION_HISTORY_DAYS)
    return list(
        notifications_paused_marked(
            Notification.objects.filter(user=user, clinic=clinic, created_at__gte=since)
        ).order_by("-created_at", "-pk")[:limit]
    )


def notifications_history_everywhere(user, *, now=None, limit: int = 200) -> list:
    """What one of the agency's staff was told in the last 60 days about every clinic they
    still reach (their notification history; none about a clinic they no longer reach),
    newest first, each with `in_paused_clinic` (`clinics.notifications.
    notifications_paused_marked`)."""
    since = (now or timezone.now()) - timedelta(days=NOTIFICATION_HISTORY_DAYS)
    return list(
        notifications_paused_marked(Notification.objects.filter(user=user, created_at__gte=since))
        .exclude(clinics_out_of_reach(user, prefix="clinic__"))
        .select_related("clinic")
        .order_by("-created_at", "-pk")[:limit]
    )


def clinic_api_keys_listed(keys, *, agency_id: int):
    """A clinic's keys with their creator and `creator_left` (`agency.selectors.
    api_keys_listed`): a creator stays while on the agency's staff or one of the people of
    the key's clinic."""
    person = ClinicMembership.objects.filter(
        clinic_id=OuterRef("clinic_id"), user_id=OuterRef("created_by_id")
    )
    return api_keys_listed(keys, agency_id=agency_id, staying=Exists(person))


def reply_target_at(clinic: Clinic, when: datetime) -> int:
    """The reply target (minutes) `clinic` had at `when`: the value that the first change of it
    after `when` replaced (every change is in the settings history, `clinics.services.
    clinic_update`), or today's where it has not changed since. A month that has ended is
    measured against the target it had then: lowering the target on 6 December must not turn
    November's replies, reported and sent as within the 4 h target, into late ones (walk 2)."""
    return reply_targets_at({clinic: when})[clinic.pk]


def reply_targets_at(whens: dict[Clinic, datetime]) -> dict[int, int]:
    """`reply_target_at` of many clinics (clinic → when), read in one query whatever their
    number: clinic id → minutes, by the same rule."""
    if not whens:
        return {}
    rows = (
        SettingChange.objects.filter(
            clinic_id__in=[clinic.pk for clinic in whens],
            setting=REPLY_TARGET_SETTING,
            created_at__gt=min(whens.values()),
        )
        .order_by("created_at", "id")
        .values_list("clinic_id", "created_at", "old_value")
    )
    by_clinic: dict[int, list[tuple[datetime, str]]] = {}
    for clinic_id, created_at, old_value in rows:
        by_clinic.setdefault(clinic_id, []).append((created_at, old_value))
    out = {}
    for clinic, when in whens.items():
        # the first change of it after `when`: the value it replaced was the target then
        old_value = next((old for at, old in by_clinic.get(clinic.pk, []) if at > when), None)
        if old_value is not None and old_value.strip().isdigit():
            out[clinic.pk] = int(old_value)
        else:
            out[clinic.pk] = clinic.reply_target_minutes
    return out


def reply_target_of_reply(clinic: Clinic, *, answered_at: datetime | None, now: datetime) -> int:
    """The reply target (minutes) a reply's clock is read against: for a reply published in a
    month that has ended (the clinic's months, its time zone), the target that month had at
    its end (`reply_target_at`), the one its monthly report measured the reply against, so a
    later change of the target never turns a reply reported "within the target" into a late
    one; today's for a reply of the month in progress and a clock still running. Read once a
    month per clinic object (a list of replies asks once for each month it holds)."""
    if answered_at is None:
        return clinic.reply_target_minutes
    tz = clinic_zone(clinic)
    this_month = now.astimezone(tz).date().replace(day=1)
    answered = answered_at.astimezone(tz).date().replace(day=1)
    if answered >= this_month:
        return clinic.reply_target_minutes
    read = clinic.__dict__.setdefault("_reply_targets_of_months", {})
    if answered not in read:
        month_end = (answered.replace(day=28) + timedelta(days=4)).replace(day=1)
        read[answered] = reply_target_at(
            clinic, datetime.combine(month_end, datetime.min.time(), tzinfo=tz)
        )
    return read[answered]


def settings_history(
    *,
    agency_id: int,
    clinic: Clinic | None = None,
    place: str = "",
    person: str = "",
    area: str = "",
    changed_from: date | None = None,
    changed_to: date | None = None,
    zone: tzinfo = UTC,
) -> QuerySet[SettingChange]:
    """The settings changes of an agency, newest first, with their clinic: with `clinic`,
    that clinic's and the agency-wide ones (which reach every clinic: its chat channels, its
    brand); else every clinic's and the agency-wide ones, or only the agency-wide ones
    (`place` "agency") or one clinic's (`place` its slug). `person` is an actor's label,
    `area` a `SettingArea`; the days `changed_from` to `changed_to` (inclusive) are days in
    `zone`, from `core.days.FIRST_DAY` to `LAST_DAY` (the filters' `day_in_range`)."""
    rows = SettingChange.objects.filter(agency_id=agency_id).select_related("clinic")
    if clinic is not None:
        rows = rows.filter(Q(clinic=clinic) | Q(clinic__isnull=True))
    elif place == AGENCY_WIDE:
        rows = rows.filter(clinic__isnull=True)
    elif place:
        rows = rows.filter(clinic__slug=place)
    if person:
        rows = rows.filter(actor_label=person)
    if area:
        rows = rows.filter(area=area)
    start, end = range_instants(changed_from, changed_to, zone)
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lt=end)
    return rows.order_by("-created_at", "-id")


def settings_history_changed_by(*, agency_id: int, clinic: Clinic | None, person: str) -> bool:
    """Whether `person` (an actor's label) changed a setting in `settings_history`'s scope."""
    return settings_history(agency_id=agency_id, clinic=clinic, person=person).exists()


def settings_history_people(*, agency_id: int, clinic: Clinic | None = None) -> list[tuple]:
    """(label, name) of everyone who changed a setting in `settings_history`'s scope, by
    name; the name each label was last recorded under."""
    rows = settings_history(agency_id=agency_id, clinic=clinic).values_list(
        "actor_label", "actor_name"
    )
    names: dict[str, str] = {}
    for label, name in rows.order_by("actor_label", "-created_at", "-id").distinct("actor_label"):
        names[label] = name or label
    return sorted(names.items(), key=lambda item: (item[1].lower(), item[0]))
