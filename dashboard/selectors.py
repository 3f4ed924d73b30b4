"""The agency dashboard's rows (clinics with their snapshot) and totals."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ApiKey
from agency.models import Agency, AgencyRole
from agency.selectors import agency_people, clinics_reached, staff_reaching
from clinics.access import AGENCY_ROLE_GRANTS, clinics_where_people_can, people_who_can
from clinics.approvers import clinics_with_approver
from clinics.models import Clinic, ClinicMembership, CrisisRole, OnCall
from clinics.notifications import notices_waiting_counted, notifications_open_for
from clinics.preferences import preferences_chosen
from core.permissions import Permission
from dashboard.models import ClinicSnapshot, StartHere
from facts.selectors import facts_list, facts_to_confirm
from feeds.models import Source, platform_name
from feeds.selectors import source_delivery_problem
from feeds.services.connections import connecting_set_up
from inbox.selectors import (
    REPLY_IN_PROGRESS,
    SLA_LOOKBACK_DAYS,
    reply_clock,
    reviews_awaiting_reply,
    with_reply_state,
)
from responses.models import ApprovalStatus, ReplyDraft
from responses.services.outbox import manual_reason_for_reply, source_connection
from scoring.selectors import latest_score_field

# Sortable columns: query value -> the ORM field it orders by (clinics without a snapshot
# yet sort last). Each sorts descending with a "-" before it ("-sla": the most breaches first).
DASHBOARD_SORTS: dict[str, str] = {
    "severity": "snapshot__top_severity",
    "name": "name",
    "new": "snapshot__new_reviews",
    "rating": "snapshot__average_rating",
    "trend": "snapshot__sentiment_trend",
    "incidents": "snapshot__open_incidents",
    "approvals": "snapshot__awaiting_approval",
    "failed": "snapshot__failed_deliveries",
    "sla": "snapshot__sla_breaches",
}
# The default order, "most urgent first": the clinic with the most severe open incident first
# (critical, high, medium, low, then none); among equals, the one whose incident has waited
# longest without an acknowledgement; then the most SLA breaches (negative reviews past the
# reply target), then the most texts waiting for approval, then the most failed deliveries;
# then by name. Every column sort breaks its ties the same way.
DASHBOARD_URGENCY = "urgency"
DASHBOARD_DEFAULT_SORT = DASHBOARD_URGENCY
URGENCY_ORDER = (
    F("snapshot__top_severity").desc(nulls_last=True),
    F("snapshot__oldest_unacknowledged_at").asc(nulls_last=True),
    F("snapshot__sla_breaches").desc(nulls_last=True),
    F("snapshot__awaiting_approval").desc(nulls_last=True),
    F("snapshot__failed_deliveries").desc(nulls_last=True),
)
URGENCY_WORDS = (
    "the most severe open incident first (the one unacknowledged longest first among equals), "
    "then the most SLA breaches, then the most waiting for approval, then the most failed "
    "deliveries"
)

# What the "Show" filter narrows the list to: value -> (words, condition on the snapshot).
# "calm" and the figures' statuses need a snapshot (a clinic whose figures are still being
# computed is listed under "every clinic" only); "paused" lists the deactivated clinics (their
# portal paused, not watched) instead of the active ones.
_INCIDENT = Q(snapshot__open_incidents__gt=0)
_SLA = Q(snapshot__sla_breaches__gt=0)
_APPROVALS = Q(snapshot__awaiting_approval__gt=0)
_FAILED = Q(snapshot__failed_deliveries__gt=0)
DASHBOARD_STATUSES: dict[str, tuple[str, Q | None]] = {
    "attention": (
        "Needs attention (any of the next four)",
        _INCIDENT | _SLA | _APPROVALS | _FAILED,
    ),
    "incident": ("Open incident", _INCIDENT),
    "sla": ("SLA breaches", _SLA),
    "approvals": ("Replies or statements waiting for approval", _APPROVALS),
    "failed": ("Failed deliveries", _FAILED),
    "calm": (
        "Calm (no incident, breach, approval or failure)",
        Q(snapshot__isnull=False) & ~(_INCIDENT | _SLA | _APPROVALS | _FAILED),
    ),
    "paused": ("Paused or deactivated", None),
}
DASHBOARD_PAUSED = "paused"


def snapshot_refreshed_at(*, clinic_id: int) -> datetime | None:
    """When `clinic_id`'s dashboard row was last refreshed (the moment its figures were read
    from), None before its first refresh."""
    return (
        ClinicSnapshot.objects.filter(clinic_id=clinic_id)
        .values_list("refreshed_at", flat=True)
        .first()
    )


def dashboard_sort_parse(raw: str | None) -> tuple[str, bool]:
    """("incidents", True) for "-incidents", ("urgency", False) for "urgency"; None-safe: an
    empty value is the default. Unknown values are refused before this (`DashboardFilterForm`)."""
    raw = (raw or "").strip() or DASHBOARD_DEFAULT_SORT
    return raw.lstrip("-"), raw.startswith("-")


def dashboard_sort_values() -> list[str]:
    """Every value `sort` takes: "urgency", and each column ascending and descending."""
    return [DASHBOARD_URGENCY, *(v for key in DASHBOARD_SORTS for v in (key, f"-{key}"))]


def seen_by(viewer, *, prefix: str = "") -> Q:
    """A filter of clinics (through `prefix`, of rows pointing to one) to those `viewer`, one
    of the agency's staff, reaches: every clinic, or the clinics chosen for a writer or analyst
    limited to some (`agency.selectors.clinics_reached`). No viewer: no limit."""
    return Q() if viewer is None else clinics_reached(viewer, prefix=prefix)


def dashboard_clinics(
    *, agency: Agency, sort: str, descending: bool, q: str = "", status: str = "", viewer=None
):
    """The agency's clinics with their snapshot, in one query (LEFT JOIN), whatever the number
    of clinics: named like `q` (any part of the name, any case), in `status`
    (`DASHBOARD_STATUSES`; "" every active clinic), sorted by a column of `DASHBOARD_SORTS` or
    by urgency (`URGENCY_ORDER`), whose order also breaks every column's ties. With `viewer`,
    only the clinics that person reaches (`seen_by`)."""
    qs = _clinics_filtered(agency=agency, q=q, status=status, viewer=viewer).select_related(
        "snapshot"
    )
    if sort == DASHBOARD_URGENCY:
        return qs.order_by(*URGENCY_ORDER, "name", "pk")
    field = F(DASHBOARD_SORTS[sort])
    order = field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
    tiebreak = [*URGENCY_ORDER, "name", "pk"] if sort != "name" else ["pk"]
    return qs.order_by(order, *tiebreak)


def _clinics_filtered(*, agency: Agency, q: str = "", status: str = "", viewer=None):
    """The agency's clinics the dashboard lists for `q` and `status`, unordered: the rows
    (`dashboard_clinics`) and the totals (`dashboard_totals`) are of the same clinics."""
    qs = Clinic.objects.filter(agency=agency).filter(seen_by(viewer))
    if status == DASHBOARD_PAUSED:
        qs = qs.filter(deactivated_at__isnull=False)
    else:
        qs = qs.filter(deactivated_at__isnull=True)
        condition = DASHBOARD_STATUSES[status][1] if status else None
        if condition is not None:
            qs = qs.filter(condition)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def dashboard_clinics_deactivated(*, agency: Agency, q: str = "", viewer=None) -> list[Clinic]:
    """The agency's deactivated clinics (named like `q`; with `viewer`, those they reach), most
    recent first: listed apart on the dashboard."""
    qs = Clinic.objects.deactivated().filter(agency=agency).filter(seen_by(viewer))
    if q:
        qs = qs.filter(name__icontains=q)
    return list(qs.order_by("-deactivated_at"))


def dashboard_totals(*, agency: Agency, viewer=None, q: str = "", status: str = "") -> dict:
    """The figures of the clinics the dashboard lists (named like `q`, in `status`; all of
    them, not one page), summed in one query whatever the number of clinics. A deactivated
    clinic (a client that left) counts in no total, so "paused" sums to zeros; with `viewer`,
    only the clinics that person reaches count."""
    snapshots = ClinicSnapshot.objects.filter(agency=agency, clinic__deactivated_at__isnull=True)
    if status == DASHBOARD_PAUSED:
        snapshots = snapshots.none()
    elif q or status:
        listed = _clinics_filtered(agency=agency, q=q, status=status, viewer=viewer)
        snapshots = snapshots.filter(clinic__in=listed.values("pk"))
    totals = snapshots.filter(seen_by(viewer, prefix="clinic__")).aggregate(
        new=Sum("new_reviews"),
        incidents=Sum("open_incidents"),
        unacknowledged=Sum("unacknowledged_incidents"),
        approvals=Sum("awaiting_approval"),
        approval_replies=Sum("awaiting_replies"),
        approval_batches=Sum("awaiting_batches"),
        approval_statements=Sum("awaiting_statements"),
        failed=Sum("failed_deliveries"),
        sla=Sum("sla_breaches"),
        arrived=Sum("arrived_24h"),
        arrived_negative=Sum("arrived_24h_negative"),
    )
    return {k: v or 0 for k, v in totals.items()}


def _sources_step(base: str) -> dict:
    """Done while a source delivers now: it is on and healthy (`source_delivery_problem`); one
    that delivered once and is now off or lost its credentials does not count, and is named
    with what is wrong."""
    sources = list(
        Source.objects.select_related("connection")
        .annotate(items=Count("reviews", filter=Q(reviews__is_deleted=False)))
        .order_by("name", "pk")
    )
    if not sources:
        return {"key": "sources", "label": "Connect where reviews and mentions come from",
                "done": False, "url": f"{base}sources/", "fix": "",
                "detail": "No source yet: nothing arrives, so nothing is scored or detected."}  # fmt: skip
    parts, broken, working = [], [], []
    for source in sources:
        items = f"{source.items} item{'s' if source.items != 1 else ''}"
        if problem := source_delivery_problem(source):
            broken.append(source)
            parts.append(f"{source.name} ({items}): {problem}, so nothing new arrives")
        else:
            working.append(source)
            parts.append(f"{source.name} ({items})")
    detail = "; ".join(parts) + "."
    if not working:
        detail += " Nothing new is scored or detected."
    return {"key": "sources", "label": "Connect where reviews and mentions come from",
            "done": bool(working), "url": f"{base}sources/", "detail": detail,
            "fix": f"Fix {'it' if len(broken) == 1 else 'them'} on the sources page"
            if broken else ""}  # fmt: skip


def _replies_step(base: str) -> dict:
    """Each channel Carewatch can post replies on is connected or marked "We post replies on
    this channel by hand" (the sources page); a platform that takes no replies from Carewatch
    is answered by hand anyway. Where connecting a platform is not set up on this server, it
    says so and offers the by-hand choice. Sources by their name, platforms by theirs."""
    connected, by_hand, off, unconnected, cannot_connect = [], [], [], [], []
    sources = list(Source.objects.order_by("name", "pk"))
    for source in sources:
        named = _channel_named(source)
        if manual_reason_for_reply(source.kind) or source.replies_by_hand:
            by_hand.append(named)
        elif not source.enabled:
            off.append(named)
        elif not source_connection(source):
            connected.append(named)
        elif connecting_set_up(source.kind):
            unconnected.append(named)
        else:
            cannot_connect.append((named, platform_name(source.kind)))
    parts = []
    if off or unconnected:
        blocked = [f"{n} is not connected" for n in unconnected] + [
            f"{n} is turned off" for n in off
        ]
        them = "it" if len(blocked) == 1 else "them"
        parts.append(
            "; ".join(blocked) + ": replies cannot be posted there. "
            f"Connect {them}, or choose “We post replies on this channel by hand”, on the "
            "sources page."
        )
    if cannot_connect:
        platforms = list(dict.fromkeys(p for _n, p in cannot_connect))
        names = [n for n, _p in cannot_connect]
        parts.append(
            f"Connecting {_names(platforms)} is not set up on this server, so Carewatch cannot "
            f"post replies on {_names(names)}: choose “We post replies on this channel by "
            "hand” on the sources page."
        )
    if not parts:
        if connected and by_hand:
            parts.append(f"Connected; replies on {_names(by_hand)} are posted by hand.")
        elif by_hand:
            parts.append(f"Replies on {_names(by_hand)} are posted by hand.")
        else:
            parts.append("Connected." if sources else "No source yet.")
    done = bool(sources) and not (off or unconnected or cannot_connect)
    return {"key": "replies", "label": "Connect the sources for posting replies",
            "done": done, "url": f"{base}sources/", "detail": " ".join(parts)}  # fmt: skip


def _ready(users) -> tuple[list, list]:
    """(those who can act, those invited who have not chosen a password yet): an invitation
    nobody answered does not make a step done."""
    ready, invited = [], []
    for user in users:
        (ready if user.has_usable_password() else invited).append(user)
    return ready, invited


def _people_words(ready: list, invited: list, noun: str, nobody: str) -> str:
    plural = {"person on the list": "people on the list", "legal person": "legal people"}
    words = (
        [f"{len(ready)} {noun if len(ready) == 1 else plural.get(noun, noun + 's')}"]
        if ready
        else []
    )
    if invited:
        names = _names([u.full_name or u.email for u in invited])
        words.append(f"{names} invited, not signed in yet (the invitation is unanswered)")
    if not words:
        return nobody
    text = "; ".join(words)
    return text if ready else f"{text}: done once they sign in."


def _channel_named(source: Source) -> str:
    """ "Harbor reviews (Google Business Profile)"; a source named after its platform alone."""
    platform = platform_name(source.kind)
    return source.name if platform.lower() in source.name.lower() else f"{source.name} ({platform})"


def _names(items) -> str:
    names = [getattr(i, "name", i) for i in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def clinic_setup_steps(clinic: Clinic) -> list[dict]:
    """What a newly added clinic still needs before a crisis day can work, for its overview
    (in the clinic's schema): each step `{"key", "label", "done", "detail", "url"}`. Reviews
    arrive only from a source, and replies are posted only on a connected one; the guard
    knows the clinic's own contact points only once they are set; the clinic's step needs an
    approver; legal review needs a legal person; facts are cited only once confirmed; alerts
    go to the on-call list (else to owners/managers)."""
    base = f"/clinics/{clinic.slug}/"
    sources = _sources_step(base)
    replies = _replies_step(base)
    approvers, approvers_invited = _ready(
        people_who_can(clinic, permission=Permission.APPROVE_CLIENT)
    )
    legal, legal_invited = _ready(
        m.user
        for m in ClinicMembership.objects.filter(
            clinic=clinic, crisis_roles__contains=[CrisisRole.LEGAL], user__is_active=True
        ).select_related("user")
    )
    unconfirmed = facts_to_confirm().count()
    confirmed = facts_list(active_only=True).count()
    on_call, on_call_invited = _ready(
        o.user
        for o in OnCall.objects.filter(
            clinic=clinic, user_id__in=staff_reaching(clinic).values("user_id")
        ).select_related("user")
    )
    return [
        sources,
        replies,
        {"key": "contact", "label": "The clinic's public phone and e-mail",
         "done": bool(clinic.phone and clinic.email), "url": f"{base}settings/",
         "detail": "Set: replies may invite people to them." if clinic.phone and clinic.email
         else "Missing: the privacy check cannot tell the clinic's own number or address "
         "from a patient's, and replies cannot invite people to get in touch."},
        {"key": "approver", "label": "Someone of the clinic approves replies",
         "done": bool(approvers), "url": f"{base}settings/people/",
         "detail": _people_words(
             approvers, approvers_invited, "approver",
             "Nobody: every reply would wait at the clinic's step.")},
        {"key": "legal", "label": "A legal / compliance person in the crisis team",
         "done": bool(legal), "url": f"{base}settings/people/",
         "detail": _people_words(
             legal, legal_invited, "legal person",
             "Nobody: a reply the privacy check flags or blocks has no one to review it.")},
        {"key": "facts", "label": "The fact sheet confirmed",
         "done": confirmed > 0 and unconfirmed == 0, "url": f"{base}facts/",
         "detail": f"{unconfirmed} fact{'s' if unconfirmed != 1 else ''} to confirm"
         if unconfirmed else (f"{confirmed} confirmed" if confirmed
                              else "No fact yet: false claims cannot be answered with one.")},
        {"key": "on_call", "label": "Who is alerted first (on-call)",
         "done": bool(on_call), "url": f"{base}settings/alerts/",
         "detail": (f"{len(on_call)} on the list" if on_call and not on_call_invited
                    else _people_words(
                        on_call, on_call_invited, "person on the list",
                        "Nobody named: alerts go to the agency's owners and managers."))},
    ]  # fmt: skip


# The agency-wide "waiting for a reply": the clinics read, and the reviews listed per clinic.
AWAITING_CLINICS = 25
AWAITING_PER_CLINIC = 10


def drafts_unsubmitted_of(user) -> list:
    """The person's own reply drafts not submitted yet, in every clinic they reach (not a
    paused one): their open "Your draft, not submitted yet" notices
    (`responses.services.workflow._draft_notice`), newest first; one query, whatever the
    number of clinics."""
    return notifications_open_for(user, kind="draft")


def _with_reply_writer(qs):
    """`qs` (reviews) with the writer and status of the reply in progress, if any
    (`reply_writer_label`, `reply_writer_name`, `reply_status`: a review has one open reply)."""
    drafts = ReplyDraft.objects.filter(
        review=OuterRef("pk"), status__in=REPLY_IN_PROGRESS
    ).order_by("-created_at", "-pk")
    return qs.annotate(
        reply_writer_label=Subquery(drafts.values("author_label")[:1]),
        reply_writer_name=Subquery(drafts.values("author_name")[:1]),
        reply_status=Subquery(drafts.values("status")[:1]),
    )


def _draft_words(review, viewer, *, has_approver: bool = True) -> dict | None:
    """Whose reply in progress this is, for the waiting page: the viewer's own ("mine"), or
    its writer's name (`by`); `unsubmitted`: a draft nobody submitted yet; `stuck`: it waits
    for the clinic approval and the clinic has no approver (`has_approver`, the rule of
    `clinics.approvers.clinic_has_approver`), so it waits there for good."""
    if review.reply_state != "drafted" or not review.reply_status:
        return None
    mine = viewer is not None and review.reply_writer_label == f"user:{viewer.pk}"
    return {
        "mine": mine,
        "by": review.reply_writer_name or "someone",
        "unsubmitted": review.reply_status == "draft",
        "stuck": review.reply_status == ApprovalStatus.PENDING_CLIENT and not has_approver,
    }


class _LatestScore:
    """The latest score's words the waiting page shows (`scoring_tags.sentiment`), read as two
    annotations of the review instead of a prefetch per clinic."""

    def __init__(self, label, topics):
        self.label, self.topics = label, topics


def awaiting_reply_across(*, agency: Agency, now: datetime | None = None, viewer=None) -> dict:
    """Every clinic's unanswered negative reviews of the last 30 days on one screen (the
    definition behind the SLA breaches, `inbox.selectors.reviews_awaiting_reply`): those past
    their clinic's reply target first, the longest waiting first. The snapshot rollup picks the
    clinics to read (those with SLA breaches or new reviews, the most breaches first, at most
    25), so the page reads a bounded number of schemas however many clinics the agency has;
    each clinic gives its 10 longest waiting. Returns {"items", "clinics_read", "clinics_more",
    "clinics_more_breached" (of those not read, the clinics past the target), "truncated": [{"clinic", "more"}] for clinics with more than their 10}; each item's
    "draft" says whose reply is in progress (`_draft_words`). With `viewer`, only the clinics
    that person reaches are read."""
    now = now or timezone.now()
    candidates = (
        Clinic.objects.active()
        .filter(agency=agency)
        .filter(seen_by(viewer))
        .filter(Q(snapshot__sla_breaches__gt=0) | Q(snapshot__new_reviews__gt=0))
        .order_by(F("snapshot__sla_breaches").desc(), F("snapshot__new_reviews").desc(), "name")
    )
    read_clinics = list(
        candidates.annotate(
            listed=Window(Count("pk")),
            # the clinics past the reply target among all listed: those not read are named
            # as such, never as clinics with only "new reviews" (walk 2)
            listed_breached=Window(Count("pk", filter=Q(snapshot__sla_breaches__gt=0))),
            breaches=F("snapshot__sla_breaches"),
        )[:AWAITING_CLINICS]
    )
    total = read_clinics[0].listed if read_clinics else 0
    breached_more = (
        read_clinics[0].listed_breached - sum(1 for c in read_clinics if c.breaches > 0)
        if read_clinics
        else 0
    )
    with_approver = clinics_with_approver([c.pk for c in read_clinics])
    items, truncated = [], []
    since = now - timedelta(days=SLA_LOOKBACK_DAYS)
    for clinic in read_clinics:
        target = clinic.reply_target_minutes
        with schema_context(clinic.schema_name):
            # one query per clinic: its count (a window over the whole list, before the
            # limit) and the latest score's words come with its rows
            rows = list(
                _with_reply_writer(with_reply_state(reviews_awaiting_reply(since=since)))
                .select_related("source")
                .annotate(
                    waiting_count=Window(Count("pk")),
                    score_label=latest_score_field("label"),
                    score_topics=latest_score_field("topics"),
                )
                .order_by("published_at", "pk")[:AWAITING_PER_CLINIC]
            )
        count = rows[0].waiting_count if rows else 0
        if count > len(rows):
            truncated.append({"clinic": clinic, "more": count - len(rows)})
        for review in rows:
            review.score_list = (
                [_LatestScore(review.score_label, review.score_topics)]
                if review.score_label is not None
                else []
            )
            # the approvals page's and the portal's clock (`reply_clock`): past the target by
            # the time since it was due, not the time since it was published
            clock = reply_clock(review, target_minutes=target, now=now)
            items.append(
                {
                    "clinic": clinic,
                    "review": review,
                    "past_target": clock["breached"],
                    "waited_minutes": int((now - review.published_at).total_seconds() // 60),
                    "clock_minutes": abs(clock["remaining_seconds"]) // 60,
                    "target_minutes": target,
                    "draft": _draft_words(review, viewer, has_approver=clinic.pk in with_approver),
                }  # fmt: skip
            )
    items.sort(key=lambda i: (not i["past_target"], i["review"].published_at))
    read = min(total, AWAITING_CLINICS)
    return {"items": items, "clinics_read": read, "clinics_more": total - read,
            "clinics_more_breached": breached_more, "truncated": truncated}  # fmt: skip


# --- "Start here": the first things a new staff member does, by role ------------------------
# Each role's steps, in the order the panel lists them (3 to 5).
START_HERE_STEPS: dict[str, tuple[str, ...]] = {
    AgencyRole.OWNER: ("people", "two_factor", "branding", "api_keys", "approvals"),
    AgencyRole.MANAGER: ("approvals", "crisis_team", "waiting", "people"),
    AgencyRole.WRITER: ("waiting", "drafts", "notifications"),
    AgencyRole.ANALYST: ("attention", "incidents", "reports", "notifications"),
}
# What each step has the person do, in the permission vocabulary: a step is offered only to a
# role whose grants hold it (`clinics.access.AGENCY_ROLE_GRANTS`, the rule every clinic page
# applies; `manage` is also what the agency's own settings pages ask, `agency.views.MANAGING`).
START_HERE_NEEDS: dict[str, Permission] = {
    "approvals": Permission.APPROVE_AGENCY,
    "crisis_team": Permission.MANAGE,
    "people": Permission.MANAGE,
    "two_factor": Permission.MANAGE,
    "branding": Permission.MANAGE,
    "api_keys": Permission.MANAGE,
    "waiting": Permission.WRITE,
    "drafts": Permission.WRITE,
    "attention": Permission.VIEW,
    "incidents": Permission.VIEW,
    "reports": Permission.VIEW,
    "notifications": Permission.VIEW,
}
# Steps done by reading: done once the person opened them from the panel
# (`/agency/start-here/open/<key>/`, `dashboard.services.start_here_opened`).
START_HERE_READ_STEPS = frozenset({"reports"})
START_HERE_OPEN = "/agency/start-here/open/{key}/"


def start_here_keys(role: str | None) -> list[str]:
    """The steps the panel offers `role`: its list, less any its grants do not allow."""
    granted = AGENCY_ROLE_GRANTS.get(role, frozenset()) if role else frozenset()
    return [k for k in START_HERE_STEPS.get(role, ()) if START_HERE_NEEDS[k] in granted]


def start_here_state(user) -> StartHere | None:
    """The person's panel state (dismissed, steps opened), None before they touched it."""
    return StartHere.objects.filter(user=user).first()


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _clinic_names(names: list[str], limit: int = 3) -> str:
    shown = names[:limit]
    if len(names) > limit:
        return f"{', '.join(shown)} and {len(names) - limit} more"
    return _names(shown)


class _StartHere:
    """The live state of each step, each read once (a bounded number of queries, whatever the
    number of clinics: the snapshot rollup, the person's open notices counted per clinic, one
    query per agency-wide fact)."""

    def __init__(self, *, user, agency: Agency, totals: dict, viewer, opened):
        self.user, self.agency, self.totals, self.viewer = user, agency, totals, viewer
        self.opened = set(opened or ())
        self._notices = None
        self._people = None

    def notices(self, kind: str) -> list[dict]:
        if self._notices is None:
            # what waits for them whatever channels they keep (an e-mail-only person has no
            # open message), as their queue lists it: not only the banner's messages
            self._notices = notices_waiting_counted(self.user, kinds=("approval", "draft"))
        return [row for row in self._notices if row["kind"] == kind]

    def staff(self) -> list:
        if self._people is None:
            # (without the clinics chosen for each: not needed here)
            self._people = list(agency_people(agency=self.agency).prefetch_related(None))
        return self._people

    def snapshots(self):
        return ClinicSnapshot.objects.filter(
            agency=self.agency, clinic__deactivated_at__isnull=True
        ).filter(seen_by(self.viewer, prefix="clinic__"))

    def approvals(self) -> dict:
        rows = self.notices("approval")
        n = sum(r["n"] for r in rows)
        step = {"label": "Give the agency's approval", "done": n == 0}
        if not n:
            return {**step, "url": "/agency/?status=approvals",
                    "detail": "Nothing waits for your approval. Replies and statements that "
                    "need it are listed here and e-mailed to you."}  # fmt: skip
        where = (
            f", {rows[0]['n']} in {rows[0]['clinic__name']}"
            if len(rows) > 1
            else (f" in {rows[0]['clinic__name']}")
        )
        verb = "waits" if n == 1 else "wait"
        return {**step, "url": rows[0]["url"] or f"/clinics/{rows[0]['clinic__slug']}/replies/",
                "detail": f"{_count(n, 'text')} {verb} for your approval{where}."}  # fmt: skip

    def drafts(self) -> dict:
        rows = self.notices("draft")
        n = sum(r["n"] for r in rows)
        step = {"label": "Submit your drafts for approval", "done": n == 0}
        if not n:
            return {**step, "url": "/agency/waiting/",
                    "detail": "No draft of yours waits to be submitted. A reply you save "
                    "without submitting it is listed here until you do."}  # fmt: skip
        where = (
            f" in {rows[0]['clinic__name']}"
            if len(rows) == 1
            else (f", {rows[0]['n']} in {rows[0]['clinic__name']}")
        )
        return {**step, "url": rows[0]["url"] or "/agency/waiting/",
                "detail": f"{_count(n, 'draft')} of yours not submitted yet{where}."}  # fmt: skip

    def waiting(self) -> dict:
        n = self.totals.get("sla", 0)
        step = {"label": "Answer the reviews waiting for a reply", "url": "/agency/waiting/",
                "done": n == 0}  # fmt: skip
        if not n:
            return {**step, "detail": "No review is past its clinic's reply target. New "
                    "negative reviews are listed under “Waiting for a reply”."}  # fmt: skip
        top = (
            self.snapshots()
            .filter(sla_breaches__gt=0)
            .select_related("clinic")
            .order_by("-sla_breaches", "clinic__name")
            .first()
        )
        verb = "waits" if n == 1 else "wait"
        where = ""
        if top is not None:
            where = (
                f" in {top.clinic.name}"
                if top.sla_breaches == n
                else (f", {top.sla_breaches} in {top.clinic.name}")
            )
        return {**step, "detail": f"{_count(n, 'review')} past the reply target {verb} for a "
                f"reply{where}."}  # fmt: skip

    def crisis_team(self) -> dict:
        clinics = list(
            Clinic.objects.active()
            .filter(agency=self.agency)
            .filter(seen_by(self.viewer))
            .order_by("name", "pk")
            .values_list("pk", "name", "slug")
        )
        step = {"label": "Set up each clinic's crisis team"}
        if not clinics:
            return {**step, "done": False, "url": "/agency/settings/clinics/",
                    "detail": "No clinic yet: add the first one."}  # fmt: skip
        ids = [pk for pk, _n, _s in clinics]
        approver = clinics_where_people_can(ids, permission=Permission.APPROVE_CLIENT)
        legal = clinics_where_people_can(ids, permission=Permission.LEGAL_OVERRIDE)
        missing = [(n, s) for pk, n, s in clinics if pk not in approver or pk not in legal]
        if not missing:
            return {**step, "done": True, "url": f"/clinics/{clinics[0][2]}/settings/people/",
                    "detail": "Every clinic has an approver and a legal / compliance "
                    "person."}  # fmt: skip
        return {**step, "done": False, "url": f"/clinics/{missing[0][1]}/settings/people/",
                "detail": f"{_count(len(missing), 'clinic')} without an approver or a legal / "
                f"compliance person: {_clinic_names([n for n, _s in missing])}."}  # fmt: skip

    def people(self) -> dict:
        others = [m for m in self.staff() if m.user_id != self.user.pk]
        invited = [m for m in others if not m.user.has_usable_password()]
        step = {"label": "Invite your team", "url": "/agency/settings/people/",
                "done": bool(others)}  # fmt: skip
        if not others:
            return {**step, "detail": "Only you so far: add the managers, writers and "
                    "analysts who work with you."}  # fmt: skip
        detail = f"{_count(len(others) + 1, 'person', 'people')} in the agency"
        if invited:
            detail += f"; {_count(len(invited), 'invitation')} not answered yet"
        return {**step, "detail": detail + "."}

    def two_factor(self) -> dict:
        off = [m for m in self.staff() if not m.two_factor_on]
        step = {"label": "Check your staff's two-factor sign-in", "url": "/agency/settings/people/",
                "done": not off}  # fmt: skip
        if not off:
            return {
                **step,
                "detail": f"On for all {_count(len(self.staff()), 'person', 'people')}.",
            }
        names = [m.user.full_name or m.user.email for m in off]
        return {**step, "detail": f"Off for {_count(len(off), 'person', 'people')}: "
                f"{_clinic_names(names)} (each sets it up at their next sign-in)."}  # fmt: skip

    def branding(self) -> dict:
        agency = self.agency
        done = bool(agency.logo and agency.logo.name)
        return {"label": "Brand the clients' portal", "url": "/agency/settings/branding/",
                "done": done,
                "detail": f"Clinics read “{agency.display_name or agency.name}”"
                + (", with your logo." if done else "; no logo yet.")}  # fmt: skip

    def api_keys(self) -> dict:
        n = ApiKey.objects.working().filter(agency=self.agency).count()
        return {"label": "Connect your tools with an API key", "url": "/agency/settings/api-keys/",
                "done": n > 0,
                "detail": f"{_count(n, 'key')} working." if n else "None yet (only if your CRM "
                "or reporting tools need one)."}  # fmt: skip

    def attention(self) -> dict:
        n = _clinics_filtered(agency=self.agency, status="attention", viewer=self.viewer).count()
        return {"label": "See which clinics need attention", "url": "/agency/?status=attention",
                "done": n == 0,
                "detail": f"{_count(n, 'clinic')} with an open incident, SLA breaches, "
                "approvals waiting or failed deliveries." if n else "Every clinic is calm."}  # fmt: skip

    def incidents(self) -> dict:
        n = self.totals.get("incidents", 0)
        step = {"label": "Follow the open incidents", "done": n == 0}
        if not n:
            return {**step, "url": "/agency/?status=incident",
                    "detail": "No incident is open. When one opens, its room shows what "
                    "happened and who handles it."}  # fmt: skip
        top = (
            self.snapshots()
            .filter(open_incidents__gt=0, top_incident_id__isnull=False)
            .select_related("clinic")
            .order_by(
                "-top_severity", F("oldest_unacknowledged_at").asc(nulls_last=True), "clinic__name"
            )
            .first()
        )
        url = "/agency/?status=incident"
        where = ""
        if top is not None:
            url = f"/clinics/{top.clinic.slug}/incidents/{top.top_incident_id}/"
            where = f"; the most urgent: “{top.top_incident_title}” in {top.clinic.name}"
        return {**step, "url": url, "detail": f"{_count(n, 'incident')} open{where}."}

    def reports(self) -> dict:
        first = (
            Clinic.objects.active()
            .filter(agency=self.agency)
            .filter(seen_by(self.viewer))
            .order_by("name", "pk")
            .values_list("name", "slug")
            .first()
        )
        done = "reports" in self.opened
        if first is None:
            return {"label": "Read a monthly report", "url": "/agency/", "done": done,
                    "detail": "No clinic yet."}  # fmt: skip
        return {"label": "Read a monthly report", "url": f"/clinics/{first[1]}/report/",
                "done": done,
                "detail": f"Each clinic's month: volume, rating, sentiment and response times; "
                f"start with {first[0]}."}  # fmt: skip

    def notifications(self) -> dict:
        done = preferences_chosen(self.user)
        return {"label": "Choose how you are told", "url": "/account/notifications/",
                "done": done,
                "detail": "Chosen." if done else "E-mail at once or an hourly digest, and "
                "notices on these pages."}  # fmt: skip


def start_here_steps(
    *, user, agency: Agency, role: str, totals: dict, viewer=None, opened=(), only: str = ""
) -> list[dict]:
    """The "Start here" panel of a staff member whose role in `agency` is `role`: 3 to 5 steps
    (`start_here_keys`), each `{"key", "label", "detail", "url", "done", "opens"}` with its
    live state; `opens`, the panel's link that marks a step done by reading it
    (`START_HERE_READ_STEPS`). `totals`: the dashboard's `dashboard_totals` for `viewer`
    (read once, for the page); `only`: that step alone. A bounded number of queries, whatever
    the number of clinics."""
    reader = _StartHere(user=user, agency=agency, totals=totals, viewer=viewer, opened=opened)
    steps = []
    for key in start_here_keys(role):
        if only and key != only:
            continue
        step = {"key": key, **getattr(reader, key)()}
        step["opens"] = (
            START_HERE_OPEN.format(key=key) if key in START_HERE_READ_STEPS else step["url"]
        )
        steps.append(step)
    return steps
