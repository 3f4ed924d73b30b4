"""Reads for crisis: the history the detectors evaluate, incidents, the crisis team."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, Count, IntegerField, Max, Min, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from agency.models import AgencyMembership
from agency.selectors import staff_reaching
from clinics.access import ClinicAccess, agency_roles_granting
from clinics.models import Clinic, ClinicMembership, CrisisRole
from clinics.selectors import clinic_days_as_instants
from core.permissions import Permission
from core.tenancy import current_clinic
from crisis.detectors import History, Item, content_words
from crisis.models import (
    ACTIVE_STATUSES,
    DetectorSettings,
    EngagementSample,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentMention,
    IncidentStatement,
    IncidentStatus,
    PostCrisisReview,
    ResponsePlanVersion,
    ReviewQuestion,
)
from facts.selectors import facts_citable
from feeds.models import Review, Source, SourceKind
from feeds.selectors import (
    CONNECTION_LOST,
    FETCHES_FAILED,
    NOT_CONNECTED,
    connection_of,
    open_outages,
    source_delivery_problem,
)
from feeds.services.connections import connecting_set_up
from inbox.selectors import with_reply_state
from responses.guard.tone import is_correction
from responses.models import (
    ApprovalStatus,
    AuditEntry,
    BatchKind,
    OutboxItem,
    PrivateConversation,
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyVersion,
    Statement,
)
from responses.selectors import (
    PUBLISHED_NOW,
    deliveries_of,
    first_reply_published_at,
    review_named,
    statements_by_ids,
    texts_audit_q,
    visible_to,
)
from responses.services.outbox import reply_by_hand_reason
from responses.services.statements import public_page_url
from responses.services.workflow import CLINIC_REVIEWS, REACHED_THE_CLINIC
from scoring.claims.selectors import reach_expression
from scoring.models import ClaimCluster, ClaimMention
from scoring.selectors import latest_score_join_sql, latest_scores_prefetch


def detector_settings_get() -> DetectorSettings:
    """The clinic's settings, or the defaults (unsaved) when it has never changed them."""
    return DetectorSettings.objects.filter(pk=1).first() or DetectorSettings(pk=1)


def _claim(flags) -> tuple[str, str]:
    """The misinformation flag's claim span and the slug of what it contradicts."""
    for flag in flags or ():
        if isinstance(flag, dict) and flag.get("name") == "misinformation":
            contradicts = flag.get("contradicts")
            slug = contradicts.get("slug", "") if isinstance(contradicts, dict) else ""
            return str(flag.get("claim") or ""), str(slug or "")
    return "", ""


def _flag_names(flags) -> tuple[str, ...]:
    names = []
    for flag in flags or ():
        if not isinstance(flag, dict) or not flag.get("name"):
            continue
        probability = flag.get("probability")
        if probability is None or probability >= 0.5:
            names.append(str(flag["name"]))
    return tuple(names)


# Items of a period with their latest score, in the order of `Item`'s fields. Times come as
# epoch seconds: parsing ~20,000 timestamps as text costs a busy clinic more than its query.
# The latest score is the stored pointer's (`scoring.selectors.latest_score_join_sql`): the
# score the inbox filters on, one join a review, never a pick of the review's scores here.
_HISTORY_SQL = """
SELECT r.id, r.kind, src.kind, EXTRACT(EPOCH FROM r.published_at)::float8, r.rating, s.label,
       r.likes + r.shares + r.replies, EXTRACT(EPOCH FROM r.updated_at)::float8{columns}
FROM feeds_review r
JOIN feeds_source src ON src.id = r.source_id
{latest}
WHERE NOT r.is_deleted AND r.published_at >= %(start)s AND r.published_at < %(end)s
"""


def _rows(start: datetime, end: datetime, *, with_text: bool) -> list[tuple]:
    if start >= end:
        return []
    sql = _HISTORY_SQL.format(
        columns=", s.flags, r.text" if with_text else "", latest=latest_score_join_sql()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end})
        return cursor.fetchall()


def history_load(
    *, start: datetime, end: datetime, text_since: datetime, tz: ZoneInfo | str
) -> History:
    """Items published in [start, end) with their latest score's label; text and flags only
    for those published since `text_since` (the detectors that read text look no further);
    engagement samples of posts published since then; and the words of the current clinic's
    name, which a claim's key words leave out."""
    split = min(max(text_since, start), end)
    at = partial(datetime.fromtimestamp, tz=UTC)
    items = [
        Item(pk, kind, source, at(published), rating, label, engagement, at(updated))
        for pk, kind, source, published, rating, label, engagement, updated in _rows(
            start, split, with_text=False
        )
    ]
    for pk, kind, source, published, rating, label, engagement, updated, flags, text in _rows(
        split, end, with_text=True
    ):
        if isinstance(flags, str):
            flags = json.loads(flags)
        claim, contradicts = _claim(flags)
        items.append(
            Item(
                pk,
                kind,
                source,
                at(published),
                rating,
                label,
                engagement,
                at(updated),
                flags=_flag_names(flags),
                text=text,
                claim=claim,
                contradicts=contradicts,
            )
        )
    samples: dict[int, list[tuple[datetime, int]]] = {}
    for review_id, at, engagement in (
        EngagementSample.objects.filter(review__published_at__gte=split, at__lt=end)
        .order_by("review_id", "at")
        .values_list("review_id", "at", "engagement")
    ):
        samples.setdefault(review_id, []).append((at, engagement))
    return History(
        items=items,
        tz=ZoneInfo(str(tz)),
        samples=samples,
        name_words=content_words(current_clinic().name),
        first_item_at=first_item_at(),
    )


def first_item_at() -> datetime | None:
    """When the current clinic's first item (review, comment or mention) was published."""
    return Review.objects.filter(is_deleted=False).aggregate(first=Min("published_at"))["first"]


def baseline_words(*, baseline_days: int, now: datetime, tz: ZoneInfo | str) -> str:
    """What the detectors' usual level is learnt from in the current clinic, for its thresholds
    page: a clinic new to Carewatch has fewer days than `baseline_days` (or none), and a surge
    then stands on the minimum counts; importing past reviews gives it its history."""
    first = first_item_at()
    if first is None:
        return (
            "Nothing has arrived for this clinic yet: the detectors have no usual level to "
            "compare with, and a surge opens on the minimum counts below. Import its past "
            "reviews (Import CSV, as past reviews) to give them one."
        )
    days = max(0, int((now - first) / timedelta(days=1)))
    since = f"{timezone.localtime(first, ZoneInfo(str(tz))):%-d %B %Y}"
    if days >= baseline_days:
        return (
            f"The usual level is learnt from the clinic's last {baseline_days} days "
            f"(its history starts on {since})."
        )
    return (
        f"This clinic's history starts on {since} ({days} day{'s' if days != 1 else ''}): the "
        f"usual level is learnt from those days until {baseline_days} are in, so an alert may "
        "say how little history it rests on. Importing older reviews as past reviews gives it "
        "more."
    )


def incidents_active() -> QuerySet[Incident]:
    return Incident.objects.filter(status__in=ACTIVE_STATUSES)


def incidents_resolved_since() -> dict[tuple[str, str], datetime]:
    """(kind, key) -> when the last incident of that kind and key was resolved."""
    rows = (
        Incident.objects.filter(resolved_at__isnull=False)
        .values("kind", "key")
        .annotate(last=Max("resolved_at"))
    )
    return {(row["kind"], row["key"]): row["last"] for row in rows}


def incident_resolved_of_claims(review_ids, *, since: datetime, until: datetime):
    """The incident resolved in [since, until] (the latest) that holds a mention of a false
    claim (a claim cluster flagged as misinformation) that one of these reviews repeats: the
    incident a new wave of that claim follows up. None when there is none."""
    claims = ClaimMention.objects.filter(
        review_id__in=list(review_ids), cluster__misinformation=True
    ).values("cluster_id")
    return (
        Incident.objects.filter(
            status__in=[IncidentStatus.RESOLVED, IncidentStatus.REVIEWED],
            resolved_at__gte=since,
            resolved_at__lte=until,
            links__review__claim_mention__cluster_id__in=claims,
        )
        .order_by("-resolved_at", "-id")
        .first()
    )


def incident_resolved_of_kind(kind: str, key: str, *, since: datetime, until: datetime):
    """The latest incident of this kind and key resolved in [since, until]: the one a surge
    (or any finding of that kind) coming back after it was resolved follows up. None when
    there is none."""
    return (
        Incident.objects.filter(
            kind=kind,
            key=key,
            status__in=[IncidentStatus.RESOLVED, IncidentStatus.REVIEWED],
            resolved_at__gte=since,
            resolved_at__lte=until,
        )
        .order_by("-resolved_at", "-id")
        .first()
    )


def mentions_handled(*, since: datetime) -> set[int]:
    """Reviews linked to incidents resolved since `since`."""
    return set(
        IncidentMention.objects.filter(incident__resolved_at__gte=since).values_list(
            "review_id", flat=True
        )
    )


def mentions_held_by_resolved(review_ids) -> set[int]:
    """Those of these reviews that are linked to an incident already resolved (or reviewed):
    they belong to that crisis's record."""
    return set(
        IncidentMention.objects.filter(
            review_id__in=review_ids,
            incident__status__in=[IncidentStatus.RESOLVED, IncidentStatus.REVIEWED],
        ).values_list("review_id", flat=True)
    )


def incidents_filtered(
    *,
    status: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    opened_from: date | datetime | None = None,
    opened_to: date | datetime | None = None,
) -> QuerySet:
    """The current clinic's incidents, newest first. `opened_from`/`_to`: a day is the whole
    day in the clinic's time zone (both inclusive); an instant is exact (both inclusive)."""
    opened_from, opened_to = clinic_days_as_instants(opened_from, opened_to, end_inclusive=True)
    qs = Incident.objects.annotate(
        mention_count=Count("links", filter=Q(links__review__is_deleted=False))
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if severity:
        qs = qs.filter(severity=severity)
    if opened_from is not None:
        qs = qs.filter(opened_at__gte=opened_from)
    if opened_to is not None:
        qs = qs.filter(opened_at__lte=opened_to)
    return qs.order_by("-opened_at", "-id")


def incident_counts() -> dict[str, int]:
    row = Incident.objects.aggregate(
        unacknowledged=Count("id", filter=Q(status=IncidentStatus.OPEN)),
        active=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
    )
    return {"unacknowledged": row["unacknowledged"], "active": row["active"]}


def incidents_opened(start: datetime, end: datetime) -> QuerySet[Incident]:
    """The current clinic's incidents opened in [start, end), whatever they became since."""
    return Incident.objects.filter(opened_at__gte=start, opened_at__lt=end)


_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def incident_figures() -> dict:
    """The current clinic's active incidents for the dashboard: how many, how many not yet
    acknowledged, and the most severe (newest first among equals) as {"id", "title"} or None."""
    active = Incident.objects.filter(status__in=ACTIVE_STATUSES)
    counts = active.aggregate(
        n=Count("id"), unacknowledged=Count("id", filter=Q(status=IncidentStatus.OPEN))
    )
    top = (
        active.annotate(
            rank=Case(
                *(When(severity=s, then=Value(r)) for s, r in _SEVERITY_RANK.items()),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "-opened_at", "-id")
        .values("id", "title", "severity", "rank")
        .first()
    )
    unack = active.filter(status=IncidentStatus.OPEN).aggregate(
        oldest=Min("opened_at"), escalated=Count("id", filter=Q(escalated_at__isnull=False))
    )
    return {
        "active": counts["n"],
        "unacknowledged": counts["unacknowledged"],
        "top": top,
        "oldest_unacknowledged_at": unack["oldest"],
        "escalated": unack["escalated"] > 0,
    }


def incident_followups_prefetch() -> Prefetch:
    """The incidents that continue each one (`Incident.followed_by`: new waves of a false
    claim it held), as the API lists their ids (`continued_by`)."""
    return Prefetch(
        "followed_by", queryset=Incident.objects.only("id", "opened_at", "continues_id")
    )


# The linked mentions an incident's room and API detail show: the newest; their count says
# how many there are in all.
MENTIONS_SHOWN = 200


def incident_get(incident_id: int) -> Incident | None:
    """An incident with its assignments, the incident it continues and those that continue
    it. Its mentions (`incident_mentions_shown`) and its timeline (`incident_timeline`,
    `crisis.timeline.room_timeline`) are read a part at a time, never whole: a crisis may
    have thousands of each."""
    return (
        Incident.objects.select_related("continues")
        .prefetch_related("assignments", incident_followups_prefetch())
        .filter(pk=incident_id)
        .first()
    )


def incident_mention_count(incident: Incident) -> int:
    """How many live mentions the incident holds: one deleted on its platform or at its
    author's request leaves every list and figure, the incident's too."""
    return incident.links.filter(review__is_deleted=False).count()


def incident_mentions_shown(incident: Incident) -> list[Review]:
    """The incident's newest `MENTIONS_SHOWN` live linked mentions, with their source and latest
    score (a deleted one is left out: `incident_mention_count`)."""
    return list(
        Review.objects.filter(incidents=incident, is_deleted=False)
        .select_related("source")
        .prefetch_related(latest_scores_prefetch())
        .order_by("-published_at", "-id")[:MENTIONS_SHOWN]
    )


def incident_timeline(incident: Incident, *, for_client: bool = False) -> QuerySet[IncidentEvent]:
    """The incident's events, newest first (`for_client`: as the clinic reads them,
    `incident_events_for_client`), to be read a page at a time."""
    events = (
        incident_events_for_client(incident)
        if for_client
        else IncidentEvent.objects.filter(incident=incident)
    )
    return events.order_by("-at", "-id")


def crisis_team(clinic: Clinic) -> list[ClinicMembership]:
    """The clinic's people who hold at least one crisis role (public schema)."""
    return list(
        ClinicMembership.objects.filter(clinic=clinic, user__is_active=True)
        .exclude(crisis_roles=[])
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def people_assignable(clinic: Clinic) -> list[tuple[int, str]]:
    """(user id, label) of everyone who may be assigned: the clinic's people and the staff of
    its agency who reach the clinic."""

    people: dict[int, str] = {}
    for m in ClinicMembership.objects.filter(clinic=clinic, user__is_active=True).select_related(
        "user"
    ):
        people[m.user_id] = m.user.full_name or m.user.email
    for m in staff_reaching(clinic).filter(user__is_active=True).select_related("user"):
        people.setdefault(m.user_id, m.user.full_name or m.user.email)
    return sorted(people.items(), key=lambda p: p[1].lower())


# The incident roles only the clinic's own people may take: what they stand for is a power only
# the clinic's people hold (legal's override, the clinician's medical check of replies).
CLINIC_OWN_ROLES = frozenset({CrisisRole.LEGAL, CrisisRole.CLINICIAN})


def people_eligible(clinic: Clinic, role: str) -> list[tuple[int, str]]:
    """(user id, label) of the people who may take one crisis role, by the rule of
    `ClinicAccess.acts_on_incidents`: the agency's staff whose role may write (owners,
    managers, writers; analysts only read) who reach the clinic, and the clinic's people who
    hold that crisis role (not its agency's staff: their clinic roles grant nothing).

    Legal / compliance and Clinician are the clinic's own (`CLINIC_OWN_ROLES`): only the
    clinic's people who hold that crisis role — the people whose override of a guard block
    counts, and who give the clinician review of replies touching on health details
    (`responses.services.workflow`). Agency staff named there would hold a title without the
    power, and be asked for what they cannot give."""
    staff = AgencyMembership.objects.filter(agency_id=clinic.agency_id, user__is_active=True)
    people: dict[int, str] = {}
    for m in (
        ClinicMembership.objects.filter(
            clinic=clinic, user__is_active=True, crisis_roles__contains=[role]
        )
        .exclude(user_id__in=staff.values("user_id"))
        .select_related("user")
    ):
        people[m.user_id] = m.user.full_name or m.user.email
    if role in CLINIC_OWN_ROLES:
        return sorted(people.items(), key=lambda p: p[1].lower())
    writers = staff_reaching(clinic).filter(
        user__is_active=True, role__in=agency_roles_granting(Permission.WRITE)
    )
    for m in writers.select_related("user"):
        people.setdefault(m.user_id, m.user.full_name or m.user.email)
    return sorted(people.items(), key=lambda p: p[1].lower())


def response_plan_current() -> ResponsePlanVersion | None:
    return ResponsePlanVersion.objects.order_by("-version").first()


def incident_statements(incident: Incident, *, access: ClinicAccess | None = None) -> list:
    """The official statements drafted from this incident, newest first; with `access`, those
    the caller may read (`responses.selectors.visible_to`: the clinic side reads those that
    reached the clinic, as `statements/` answers it)."""
    ids = IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    if access is not None:
        ids = visible_to(access, Statement.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    return statements_by_ids(ids)


def review_sent_to_clinic(incident_id: int) -> PostCrisisReview | None:
    """The incident's post-crisis review once the agency sent it to the clinic: the clinic's
    people and keys read nothing of it before, in the portal (404) and in the API."""
    return (
        PostCrisisReview.objects.select_related("incident")
        .filter(incident_id=incident_id, sent_at__isnull=False)
        .first()
    )


def review_questions_of(incident: Incident) -> QuerySet[ReviewQuestion]:
    """The clinic's questions or corrections on the incident's post-crisis review, with the
    agency's answers (`crisis.services.review_questions`), oldest first."""
    return ReviewQuestion.objects.filter(review__incident=incident).order_by("created_at", "id")


def incident_of_statement(statement_id: int) -> Incident | None:
    """The incident a statement was drafted from, if any (read by responses through
    `core.incidents`)."""
    link = IncidentStatement.objects.select_related("incident").filter(statement_id=statement_id)
    found = link.first()
    return found.incident if found else None


def incidents_of_review(review_id: int) -> list[Incident]:
    """The running incidents (open, acknowledged or responding) a review is linked to as a
    mention, oldest first (read by responses through `core.incidents`)."""
    return list(incidents_active().filter(links__review_id=review_id).order_by("opened_at", "pk"))


def clinic_own_people_ids(clinic: Clinic) -> frozenset[int]:
    """The ids of the clinic's own people (its members who are not staff of its agency): whom
    the clinic's copy of a timeline counts as "your team" among the people alerted."""
    staff = AgencyMembership.objects.filter(agency_id=clinic.agency_id).values("user_id")
    return frozenset(
        ClinicMembership.objects.filter(clinic=clinic)
        .exclude(user_id__in=staff)
        .values_list("user_id", flat=True)
    )


def statements_discarded_unseen(statement_ids) -> set[int]:
    """Of these statements, those discarded before they ever reached the clinic (never at its
    legal, clinical or approval step, approved or published: `workflow.REACHED_THE_CLINIC`,
    `CLINIC_REVIEWS`): the agency's own drafts, which the clinic's copies (its timeline, the
    review sent to it) say nothing of."""
    ids = set(statement_ids)
    if not ids:
        return set()
    discarded = set(
        Statement.objects.filter(pk__in=ids, status=ApprovalStatus.DISCARDED).values_list(
            "pk", flat=True
        )
    )
    reached = set(
        AuditEntry.objects.filter(
            object_type="statement",
            object_id__in=discarded,
            to_status__in=REACHED_THE_CLINIC | CLINIC_REVIEWS,
        ).values_list("object_id", flat=True)
    )
    return discarded - reached


def incident_events_for_client(incident: Incident | None = None) -> QuerySet[IncidentEvent]:
    """An incident's timeline as the clinic reads it (oldest first), in its portal and in the
    post-crisis review sent to it: without the agency's plumbing — webhook deliveries,
    chat-channel posts and notification failures, which the client can neither read nor act on
    ("Webhook incident.opened: emitted.") — and without the agency's internal notes (only
    the notes shared with the clinic), nor how the agency staffs the incident: a role line
    ("Social media manager: unassigned.", a handover between its people) is kept only where
    it gives a role to one of the clinic's own people. The agency's room keeps them."""
    plumbing = (
        Q(kind=EventKind.NOTIFY_FAILED)
        | Q(kind=EventKind.NOTIFIED, data__has_key="webhook")
        | Q(kind=EventKind.NOTIFIED, data__has_key="chat")
        | Q(kind=EventKind.NOTE, shared_with_clinic=False)
    )
    own = sorted(clinic_own_people_ids(current_clinic()))
    events = IncidentEvent.objects.exclude(plumbing).filter(
        ~Q(kind=EventKind.ASSIGNED) | Q(kind=EventKind.ASSIGNED, data__user_id__in=own)
    )
    if incident is not None:
        events = events.filter(incident=incident)
        # a statement drafted from it and discarded before the clinic ever saw it
        drafted = IncidentStatement.objects.filter(incident=incident).values_list(
            "statement_id", flat=True
        )
        unseen = statements_discarded_unseen(drafted)
        if unseen:
            events = events.exclude(
                kind=EventKind.STATEMENT_DRAFTED, data__statement_id__in=sorted(unseen)
            )
    return events.order_by("at", "id")


def first_public_response(incident: Incident) -> dict | None:
    """The incident's first public response, as the room's clock and the post-crisis review
    both count it: the earlier of its first published statement and the first public reply
    published to one of its mentions. {"at", "kind" ("statement" | "reply"), "title" (the
    statement's)}; None while there is neither."""
    reply_at = first_reply_published_at(
        IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True)
    )
    return earliest_public_response(incident_statements(incident), reply_at)


def earliest_public_response(statements, reply_at) -> dict | None:
    """`first_public_response` from the incident's statements and its first reply's time,
    for a caller that has read them already (the review's figures)."""
    published = [st for st in statements if st.published_at]
    statement = min(published, key=lambda st: st.published_at, default=None)
    found = []
    if statement is not None:
        found.append({"at": statement.published_at, "kind": "statement", "title": statement.title})
    if reply_at is not None:
        found.append({"at": reply_at, "kind": "reply", "title": ""})
    # a reply and a statement at the same instant: the statement is the response
    return min(found, key=lambda f: (f["at"], f["kind"] != "statement"), default=None)


# --- resolving: what is still open ----------------------------------------------------------

HIGH_REACH = 100  # likes + shares + replies from which an unanswered mention blocks resolving


def _evaluation(incident: Incident) -> tuple[bool, str, str]:
    """(still firing, explanation, when) from the detector's last evaluation of the incident
    (the beat evaluates it every few minutes; an evaluation from before "fired" was recorded
    is one that fired)."""
    last = incident.last_evaluation or incident.trigger or {}
    fired = bool(last.get("fired", True))
    return fired, last.get("explanation", ""), last.get("evaluated_at", "")


def _quiet_mentions_detail(total: int, unanswered: int, high_reach_seen: bool) -> str:
    """The checklist's words when no high-reach mention waits: whether there were any to answer
    (a ✔ beside "0 of 14 answered" read as a contradiction), then how many are answered."""
    answered = total - unanswered
    tally = f"{answered} of {total} mention{'s' if total != 1 else ''} answered in all."
    if high_reach_seen:
        return f"Every mention with {HIGH_REACH}+ engagements has a posted reply; {tally}"
    return f"No mention reached {HIGH_REACH} engagements, so none must be answered first; {tally}"


def statements_answering_claims(incident: Incident) -> list[tuple[Statement, Incident | None]]:
    """The published statements that answer one of the incident's false claims without being
    its own: drafted from another incident that held a mention of the claim (the incident
    this one follows up, an earlier wave), or pointed to by a reply to the claim as a whole.
    Each with the incident it was drafted from (None when only replies point to it); the
    newest first."""
    claims = list(false_claims_of(IncidentMention.objects.filter(incident=incident).values(
        "review_id")))  # fmt: skip
    if not claims:
        return []
    drafted = {
        link.statement_id: link.incident
        for link in IncidentStatement.objects.select_related("incident")
        .exclude(incident=incident)
        .filter(
            incident__in=IncidentMention.objects.filter(
                review__claim_mention__cluster_id__in=claims
            ).values("incident_id")
        )
    }
    pointed = set(
        ReplyBatch.objects.filter(cluster_id__in=claims, statement__isnull=False)
        .exclude(status=ApprovalStatus.DISCARDED)
        .exclude(statement__incident_link__incident=incident)
        .values_list("statement_id", flat=True)
    )
    found = Statement.objects.filter(PUBLISHED_NOW, pk__in=set(drafted) | pointed).order_by(
        "-published_at", "-id"
    )
    return [(statement, drafted.get(statement.pk)) for statement in found]


def _statement_detail(published: bool, answering: list) -> str:
    if published:
        return "A statement is published."
    if answering:
        statement, drafted_from = answering[0]
        where = f" (drafted in incident #{drafted_from.pk})" if drafted_from else ""
        return f"A statement answering the same claim is published: “{statement.title}”{where}."
    return "No statement of this incident is published."


def resolve_checklist(incident: Incident) -> dict:
    """What is still open before the incident can be resolved: unanswered high-reach mentions,
    failed or unconfirmed deliveries, no published statement (its own, or one that answers the
    same false claim: `statements_answering_claims`), the detector still firing. `clear` when
    nothing is; each item has `key`, `label`, `open`, `detail` and, where it helps, `rows` (the
    mentions or deliveries)."""
    review_ids = list(IncidentMention.objects.filter(incident=incident).values_list(
        "review_id", flat=True))  # fmt: skip
    answered = set(
        ReplyDraft.objects.filter(
            review_id__in=review_ids, status=ApprovalStatus.PUBLISHED
        ).values_list("review_id", flat=True)
    ) | set(Review.objects.filter(pk__in=review_ids, status="replied").values_list("pk", flat=True))
    mentions = list(
        Review.objects.filter(pk__in=review_ids, is_deleted=False)
        .exclude(pk__in=answered)
        .select_related("source")
    )
    for review in mentions:
        review.reach = (review.likes or 0) + (review.shares or 0) + (review.replies or 0)
    loud = sorted((r for r in mentions if r.reach >= HIGH_REACH), key=lambda r: -r.reach)
    high_reach_seen = bool(loud) or any(
        (r.likes or 0) + (r.shares or 0) + (r.replies or 0) >= HIGH_REACH
        for r in Review.objects.filter(pk__in=answered).only("likes", "shares", "replies")
    )
    statement_ids = list(
        IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    )
    owed = [
        d
        for d in deliveries_of(review_ids=review_ids, statement_ids=statement_ids)
        if d["state"] in ("failed", "queued", "by_hand")
    ]
    failed = [d for d in owed if d["state"] == "failed"]
    published = Statement.objects.filter(PUBLISHED_NOW, pk__in=statement_ids).exists()
    answering = [] if published else statements_answering_claims(incident)
    firing, explanation, evaluated_at = _evaluation(incident)
    items = [
        {
            "key": "mentions",
            "label": "High-reach mentions answered",
            "open": bool(loud),
            "detail": (
                f"{len(loud)} mention{'s' if len(loud) != 1 else ''} with {HIGH_REACH}+ "
                f"engagements unanswered; {len(mentions)} of {len(review_ids)} mentions in all "
                "have no posted reply."
                if loud
                else _quiet_mentions_detail(len(review_ids), len(mentions), high_reach_seen)
            ),
            "rows": loud[:10],
        },
        {
            "key": "deliveries",
            "label": "Deliveries confirmed",
            "open": bool(owed),
            "detail": (
                f"{len(failed)} failed, {len(owed) - len(failed)} not confirmed yet "
                "(queued or to post by hand)."
                if owed
                else "Every approved reply and statement is posted."
            ),
            "rows": owed[:20],
        },
        {
            "key": "statement",
            "label": "Official statement published",
            "open": not (published or answering),
            "detail": _statement_detail(published, answering),
            "rows": [],
        },
        {
            "key": "detector",
            "label": "Detector quiet",
            "open": firing,
            "detail": (
                f"At its last check the detector still sees the crisis: {explanation}"
                if firing
                else "At its last check the detector no longer sees the crisis."
            ),
            "evaluated_at": evaluated_at,
            "rows": [],
        },
    ]
    open_items = [i for i in items if i["open"]]
    return {
        "clear": not open_items,
        "items": items,
        "open": [i["detail"] for i in open_items],
        "failed_deliveries": len(failed),
    }


def resolve_override_of(incident: Incident) -> dict | None:
    """Why the incident was resolved anyway (the status-change event's `override_reason`),
    with the items open then, who and when; None when it was resolved all clear or is not
    resolved. The post-crisis review and the room show it."""
    event = (
        IncidentEvent.objects.filter(
            incident=incident, kind=EventKind.STATUS_CHANGED, data__to=IncidentStatus.RESOLVED
        )
        .filter(data__has_key="override_reason")
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        return None
    return {
        "reason": event.data["override_reason"],
        "open_items": event.data.get("open_items", []),
        # the items in one line: each a sentence with its full stop
        "open_words": " ".join(
            i if i.endswith(".") else f"{i}." for i in map(str, event.data.get("open_items", []))
        ),
        "by": event.actor,
        "at": event.at,
    }


# --- the post-crisis review's reads ---------------------------------------------------------


def false_claims_of(review_ids) -> dict[int, set[int]]:
    """claim cluster id -> its live member mentions, for every claim cluster flagged as
    misinformation that holds one of these reviews (ids, or a values queryset of them): an
    incident's false claims, each with every mention that repeats it, flagged one by one or
    not; the claim as the incident room shows it. The detectors link these members to the
    incident (`crisis.services.detection`) and the post-crisis review counts them."""
    clusters = {
        pk: set()
        for pk in ClaimCluster.objects.filter(
            misinformation=True, mentions__review_id__in=review_ids
        )
        .values_list("pk", flat=True)
        .distinct()
    }
    for review_id, cluster_id in Review.objects.filter(
        claim_mention__cluster_id__in=list(clusters), is_deleted=False
    ).values_list("pk", "claim_mention__cluster_id"):
        clusters[cluster_id].add(review_id)
    return clusters


def incident_claims(incident: Incident, *, limit: int = 10) -> list[ClaimCluster]:
    """The claims the incident room lists: the claim clusters holding its mentions (those
    linked to it: the detectors' window), counted over those mentions only, most reach first.
    A cluster flagged as misinformation is a claim to correct; any other (a complaint, an
    opinion: billing, calls not returned) is listed only when two of the incident's mentions
    repeat it.

    On each: `mention_count`, `reach`, `first_seen_at`, `last_seen_at` of the incident's own
    mentions; `answer_ids` (those without any reply: what "Answer all" answers) and
    `unanswered`; `outside` and `outside_first_seen`: the claim's other mentions, published
    before the incident's window or held by another incident (context, never answered from
    the room); `new_since_answer`: how many of `answer_ids` were published after the claim
    was first answered (a reply to it as a whole), 0 when it never was."""
    own = set(IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True))
    cluster_ids = set(
        ClaimMention.objects.filter(review_id__in=own).values_list("cluster_id", flat=True)
    )
    if not cluster_ids:
        return []
    members: dict[int, list[dict]] = {}
    for row in (
        with_reply_state(
            Review.objects.filter(claim_mention__cluster_id__in=cluster_ids, is_deleted=False)
        )
        .annotate(reach=reach_expression())
        .values("pk", "claim_mention__cluster_id", "published_at", "reach", "reply_state")
        .order_by("published_at", "pk")
    ):
        members.setdefault(row["claim_mention__cluster_id"], []).append(row)
    first_answer = dict(
        ReplyBatch.objects.filter(cluster_id__in=cluster_ids)
        .exclude(status=ApprovalStatus.DISCARDED)
        .values("cluster_id")
        .annotate(first=Min("created_at"))
        .values_list("cluster_id", "first")
    )
    claims = []
    for cluster in ClaimCluster.objects.select_related("fact").filter(pk__in=cluster_ids):
        rows = members.get(cluster.pk, [])
        mine = [r for r in rows if r["pk"] in own]
        if not mine or (not cluster.misinformation and len(mine) < 2):
            continue
        others = [r for r in rows if r["pk"] not in own]
        cluster.mention_count = len(mine)
        cluster.reach = sum(r["reach"] for r in mine)
        cluster.first_seen_at = mine[0]["published_at"]
        cluster.last_seen_at = mine[-1]["published_at"]
        cluster.answer_ids = [r["pk"] for r in mine if r["reply_state"] == "none"]
        cluster.unanswered = len(cluster.answer_ids)
        cluster.outside = len(others)
        cluster.outside_first_seen = others[0]["published_at"] if others else None
        answered_at = first_answer.get(cluster.pk)
        cluster.new_since_answer = (
            sum(1 for r in mine if r["reply_state"] == "none" and r["published_at"] > answered_at)
            if answered_at
            else 0
        )
        claims.append(cluster)
    claims.sort(key=lambda c: (-c.reach, -c.mention_count, -c.pk))
    return claims[:limit]


# A claim answered as a false claim: a batch for the claim that corrects it with the fact
# sheet or points to the official statement (a plain reply to a claim's mentions, "we are
# sorry to hear this", answers a complaint and says nothing of its truth).
CORRECTING_BATCHES = (BatchKind.CORRECTION, BatchKind.STATEMENT)


def _quotes_a_fact(text: str, facts: tuple[str, ...]) -> bool:
    return is_correction(text, "", facts)


# A reply that says the claim it answers is false, in plain words ("This is not true. Every
# needle we use is single-use."), corrects it as a quoted fact does: the writer typed the fact
# in their own words (a fact with its source is too long for X), or answered before the clinic
# confirmed it. "Wrong" and "misleading" are left out: "something went wrong" is an apology.
_SAYS_FALSE = re.compile(
    r"\b(?:not\s+true|untrue|false|inaccurate|incorrect|misinformation|a\s+myth)\b", re.I
)


def _says_it_is_false(text: str) -> bool:
    return bool(_SAYS_FALSE.search(text))


def _links_to_statements(text: str, page: str) -> bool:
    """Whether a reply links to the clinic's public statements (the page or one statement:
    `{statement_url}` filled, or the address pasted), with or without its scheme."""
    bare = page.split("://", 1)[-1]
    return bare in text


def false_claims_established(review_ids, *, flagged=()) -> dict:
    """The false claims among these reviews (an incident's mentions) as the agency's own work
    established them, never the claim checker's flag alone (it can match a patient's complaint
    against an unrelated myth): a claim the checker flagged (a claim cluster marked as
    misinformation) that staff answered as false, with a batch for that claim correcting it
    (a factual correction or the pointer to the statement, not discarded) or a public reply to
    one of its mentions that quotes a confirmed fact of the clinic's sheet; and a flagged
    mention outside any such claim whose own public reply quotes one. A reply of its own that
    points to the clinic's public statement (its address), or says in plain words that what it
    answers is false (`_SAYS_FALSE`), corrects as a quoted fact does.

    {"review_ids": the mentions counted as false claims (every live mention of such a claim
    among `review_ids`), "clusters": how many claims, "corrected_ids": those answered in public
    with the correction (a published reply of a correcting batch, or one quoting a fact),
    "flagged_ids": the mentions the checker flagged (in a flagged claim) that nobody answered
    as false}. `flagged`: those of `review_ids` the checker flagged one by one."""
    ids = set(review_ids)
    clusters = false_claims_of(ids)
    members = set().union(*clusters.values()) & ids if clusters else set()
    candidates = members | (set(flagged) & ids)
    facts = tuple(facts_citable().values_list("statement", flat=True))
    page = public_page_url(current_clinic())
    published = list(
        ReplyDraft.objects.filter(
            review_id__in=list(ids), status=ApprovalStatus.PUBLISHED
        ).values_list("review_id", "batch__kind", "pk", "version")
    )
    texts = {
        (draft_id, number): text
        for draft_id, number, text in ReplyVersion.objects.filter(
            draft_id__in=[row[2] for row in published]
        ).values_list("draft_id", "number", "text")
    }
    cluster_of = dict(
        ClaimMention.objects.filter(review_id__in=list(ids)).values_list("review_id", "cluster_id")
    )
    corrected: set[int] = set()
    for review_id, batch_kind, draft_id, number in published:
        if review_id in candidates and (
            batch_kind in CORRECTING_BATCHES
            or _quotes_a_fact(texts.get((draft_id, number), ""), facts)
            or _links_to_statements(texts.get((draft_id, number), ""), page)
            or _says_it_is_false(texts.get((draft_id, number), ""))
        ):
            corrected.add(review_id)
    answered_claims = set(
        ReplyBatch.objects.filter(cluster_id__in=list(clusters), kind__in=CORRECTING_BATCHES)
        .exclude(status=ApprovalStatus.DISCARDED)
        .values_list("cluster_id", flat=True)
    ) | {cluster_of[pk] for pk in corrected if cluster_of.get(pk) in clusters}
    counted = {pk for pk in members if cluster_of.get(pk) in answered_claims}
    counted |= {pk for pk in corrected if cluster_of.get(pk) not in clusters}
    return {
        "review_ids": counted,
        "clusters": len(answered_claims),
        "corrected_ids": corrected & counted,
        "flagged_ids": candidates - counted,
    }


def reply_statuses_by_review(review_ids) -> dict[int, str]:
    """review id -> the status of its newest reply that was not discarded, for those with one
    (a published one wins: the mention is answered)."""
    out: dict[int, str] = {}
    for review_id, status in (
        ReplyDraft.objects.filter(review_id__in=list(review_ids))
        .exclude(status=ApprovalStatus.DISCARDED)
        .order_by("-created_at", "-id")
        .values_list("review_id", "status")
    ):
        out.setdefault(review_id, status)
        if status == ApprovalStatus.PUBLISHED:
            out[review_id] = status
    return out


def followups_started_between(start: datetime, end: datetime, *, exclude_review_ids) -> dict:
    """Private follow-ups started in [start, end) with a review or mention published from
    `start` on that is not one of `exclude_review_ids`: counts by status label, plus "total"."""
    counts: dict[str, int] = {"total": 0}
    for conversation in PrivateConversation.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        review__published_at__gte=start,
    ).exclude(review_id__in=list(exclude_review_ids)):
        label = str(conversation.get_status_display())
        counts[label] = counts.get(label, 0) + 1
        counts["total"] += 1
    return counts


def reply_batches_of_reviews(review_ids) -> list[ReplyBatch]:
    """The reply batches (one answer for many) holding a reply to one of these reviews, with
    their versions (`batch.versions.all()`, newest first), oldest batch first."""
    return list(
        ReplyBatch.objects.filter(drafts__review_id__in=list(review_ids))
        .distinct()
        .prefetch_related(
            Prefetch("versions", queryset=ReplyBatchVersion.objects.order_by("-number"))
        )
        .order_by("created_at", "id")
    )


def outbox_items_described(outbox_ids) -> dict[int, dict]:
    """outbox id -> {"batch_id" (None for a reply or statement of its own), "platform"}."""
    return {
        pk: {"batch_id": batch_id, "platform": str(SourceKind(kind).label)}
        for pk, batch_id, kind in OutboxItem.objects.filter(pk__in=list(outbox_ids)).values_list(
            "pk", "draft__batch_id", "source__kind"
        )
    }


def reply_batch_ids(reply_ids) -> dict[int, int]:
    """reply (draft) id -> the batch it was approved through, for those made by a batch."""
    return dict(
        ReplyDraft.objects.filter(pk__in=list(reply_ids), batch__isnull=False).values_list(
            "pk", "batch_id"
        )
    )


def reply_versions_of(reply_ids) -> list[ReplyVersion]:
    """The versions of these replies (each with its guard verdict and findings), oldest
    first."""
    return list(
        ReplyVersion.objects.select_related("draft")
        .filter(draft_id__in=list(reply_ids))
        .order_by("created_at", "id")
    )


def incident_room_audit(incident: Incident) -> QuerySet[AuditEntry]:
    """The audit entries the incident room's timeline reads, unordered: those of its mentions'
    replies, deliveries and follow-ups and of its statements (`texts_audit_q`), where a
    batch's step on its many mentions' replies (`batch_<action>`, one entry per reply) is
    read once, from the batch's own entry (`reply_batch`). Subqueries only: its cost does not
    grow with the number of mentions in the query's text."""
    reviews = IncidentMention.objects.filter(incident=incident).values("review_id")
    statements = IncidentStatement.objects.filter(incident=incident).values("statement_id")
    batches = ReplyDraft.objects.filter(review_id__in=reviews, batch__isnull=False).values(
        "batch_id"
    )
    texts = texts_audit_q(review_ids=reviews, statement_ids=statements)
    return AuditEntry.objects.filter(
        (texts & ~Q(object_type="reply", action__startswith="batch_"))
        | Q(object_type="reply_batch", object_id__in=batches)
    )


def batch_version_sizes(batch_ids) -> dict[tuple[int, int], int]:
    """(batch id, version number) -> how many mentions that version of the batch answered."""
    return {
        (batch_id, number): len(review_ids or [])
        for batch_id, number, review_ids in ReplyBatchVersion.objects.filter(
            batch_id__in=list(batch_ids)
        ).values_list("batch_id", "number", "review_ids")
    }


def reply_batch_audit(batch_ids) -> list[AuditEntry]:
    """The audit trail of these reply batches themselves (their mentions' replies have their
    own): who submitted, approved, rejected each version, or lifted or kept its guard block,
    with the reason. Oldest first."""
    return list(
        AuditEntry.objects.filter(
            object_type="reply_batch", object_id__in=list(batch_ids)
        ).order_by("created_at", "id")
    )


EXCERPT_CHARS = 60


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text on one line, cut between words: "Waited an hour and nobody…"."""
    words = " ".join((text or "").split())
    if len(words) <= limit:
        return words
    cut = words[: limit + 1].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,.;:") + "…"


def mentions_named(review_ids, tz: ZoneInfo) -> dict[int, str]:
    """review id -> the mention as the clinic's people know it, and what it says: "Sam R.’s 2★
    Google Business Profile review of 5 Dec 2026 (“Waited an hour and nobody…”)" (the name,
    stars, platform and day as notices and e-mails name a review,
    `responses.selectors.review_named`, then the start of its words)."""
    out = {}
    for review in Review.objects.select_related("source").filter(pk__in=list(review_ids)):
        said = excerpt(review.text)
        named = review_named(review, tz=tz)
        out[review.pk] = f"{named} (“{said}”)" if said else named
    return out


def incident_states_words(incident_ids) -> dict[int, str]:
    """Where each incident of the current clinic stands now, in words, for the notices about
    it (the notification histories): "open, not acknowledged yet", "acknowledged by Ann Lee,
    still open", "incident resolved". One query whatever the number of incidents; an
    incident that no longer exists is left out."""
    words = {}
    rows = Incident.objects.filter(pk__in=list(incident_ids)).values_list(
        "pk", "status", "acknowledged_by"
    )
    for pk, status, by in rows:
        if status in (IncidentStatus.RESOLVED, IncidentStatus.REVIEWED):
            words[pk] = "incident resolved"
        elif status == IncidentStatus.OPEN:
            words[pk] = "incident open, not acknowledged yet"
        else:
            words[pk] = f"incident acknowledged{f' by {by}' if by else ''}, still open"
    return words


# Problems after which replies on a channel wait (`responses.models.WAITING_FOR_SOURCE`): its
# account is not connected or the platform ended the connection.
_REPLIES_WAIT = (NOT_CONNECTED, CONNECTION_LOST)


def channels_down(incident: Incident) -> list[dict]:
    """The clinic's channels that do not deliver now (`feeds.selectors.source_delivery_problem`)
    and matter to this incident: those some of its mentions came from, and those that broke
    after the incident opened (new mentions of the crisis may be missing). Each:
    {"source", "problem", "since" (when it broke, None when unknown), "mentions" (the
    incident's live mentions from it), "replies_wait" (replies on it wait until it is
    reconnected)}; the channels with the most mentions first. A channel turned off or never
    connected that none of the mentions came from is the setup checklist's business, not the
    room's."""
    counts = dict(
        Review.objects.filter(incidents=incident, is_deleted=False)
        .values("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
        .order_by()
    )
    out = []
    outages = open_outages()
    for source in Source.objects.select_related("connection").order_by("name", "pk"):
        problem = source_delivery_problem(source)
        if not problem:
            continue
        conn = connection_of(source)
        outage = outages.get(source.pk)
        since = outage.started_at if outage is not None else None
        if since is None and conn is not None and conn.lost_at:
            since = conn.lost_at
        if since is None and problem == FETCHES_FAILED:
            since = source.last_error_at
        mentions = counts.get(source.pk, 0)
        if not mentions and not (since and since >= incident.opened_at):
            continue
        if problem == NOT_CONNECTED and outage is None and not connecting_set_up(source.kind):
            # never connected, and nobody could connect it on this server: its mentions come
            # by import and its replies are posted by hand (`reply_by_hand_reason`); nothing
            # stopped, so the post-crisis review counts no outage either
            continue
        out.append(
            {
                "source": source,
                "problem": problem,
                "since": since,
                "mentions": mentions,
                # replies on a channel posted by hand do not wait for it (the outbox's rule)
                "replies_wait": problem in _REPLIES_WAIT and reply_by_hand_reason(source) is None,
            }
        )
    return sorted(out, key=lambda row: -row["mentions"])
