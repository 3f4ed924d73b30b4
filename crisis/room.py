"""The incident room as a control room: the clocks to the clinic's targets, times in the
clinic's zone, a plain-language first line, the mentions ranked by reach and risk, and the
playbook checklist ticked where Carewatch knows the step is done."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from clinics.models import CRISIS_ROLE_HELP, CrisisRole, clinic_zone
from core.text import duration_said
from crisis.detectors import content_words
from crisis.models import (
    ACTIVE_STATUSES,
    DetectorSettings,
    EventKind,
    Incident,
    IncidentKind,
    IncidentMention,
    PostCrisisReview,
)
from crisis.selectors import crisis_team, first_public_response
from responses.models import ApprovalStatus, PrivateConversation, ReplyDraft, Statement

# The seed's playbook: each step with the key Carewatch ticks it by.
DEFAULT_PLAYBOOK = [
    ("acknowledged", "Acknowledge the alert: someone owns it"),
    ("team", "Assemble the team: PR/comms, legal, clinicians, social"),
    ("answered", "Respond quickly and factually to the mentions"),
    ("private", "Move private matters to a private channel"),
    ("statement_drafted", "Draft an official statement"),
    ("statement_published", "Publish and pin the official statement"),
    ("review", "Review afterwards: lessons and prevention"),
]
_KEYWORDS = [
    ("acknowledged", ("acknowledg",)),
    ("team", ("team", "assemble", "assign")),
    ("statement_published", ("pin", "publish")),
    ("statement_drafted", ("statement",)),
    ("private", ("private", "offline")),
    ("answered", ("respond", "reply", "answer")),
    ("review", ("review", "lesson", "afterwards")),
]
DAYPARTS = [(5, "morning"), (12, "afternoon"), (17, "evening"), (22, "night")]
RISK_FLAG_WEIGHT = 500  # a misinformation or safety flag counts like 500 engagements


def local(dt: datetime | None, tz: ZoneInfo) -> str:
    """ "2026-03-03 14:05 EST": the clinic's wall clock with its zone's abbreviation."""
    if dt is None:
        return ""
    return timezone.localtime(dt, tz).strftime("%Y-%m-%d %H:%M %Z")


def _words(minutes: float) -> str:
    minutes = int(round(minutes))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes / 60
    if hours == int(hours):
        return f"{int(hours)} hour{'s' if hours != 1 else ''}"
    return f"{hours:.1f} hours"


def _daypart(dt: datetime) -> str:
    """ "a Monday evening"; the small hours (before 05:00) are "the early hours of a Monday",
    never "a Monday night", which reads as the evening after them."""
    part = ""
    for hour, name in DAYPARTS:
        if dt.hour >= hour:
            part = name
    return f"a {dt:%A} {part}" if part else f"the early hours of a {dt:%A}"


def plain_line(incident: Incident, tz: ZoneInfo) -> str:
    """What a marketer reads first; the statistics stay under "details"."""
    numbers = (incident.trigger or {}).get("numbers") or {}
    if incident.kind == "surge" and numbers.get("count"):
        return _surge_words(numbers, incident.opened_at, tz) + so_far(incident, lead=";")
    return incident.title


def so_far(incident: Incident, *, lead: str = "") -> str:
    """The incident's mentions now, once more were linked than it opened with: " 25
    mentions so far." (" … in all." once it has ended); "" otherwise. The trigger's words are
    what the detector saw when it opened; this says how big it has grown since (the title
    says it too: `crisis.services.detection.title_so_far`)."""
    if getattr(incident, "pk", None) is None:  # not stored (a preview): nothing linked yet
        return ""
    row = IncidentMention.objects.filter(incident=incident).aggregate(
        total=Count("id"), at_open=Count("id", filter=Q(added_at__lte=incident.opened_at))
    )
    if row["total"] <= row["at_open"]:
        return ""
    when = "so far" if incident.is_active else "in all"
    return f"{lead} {_many(row['total'], 'mention')} {when}{'' if lead else '.'}"


def _surge_words(numbers: dict, at: datetime, tz: ZoneInfo) -> str:
    opened = timezone.localtime(at, tz)
    ratio = numbers.get("ratio") or 0
    about = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}"
    # against a usual of less than half a negative in such a window, "about 1824 times the
    # usual" is true but reads as noise: a clinic that usually has none is told so
    usual = numbers["count"] / ratio if ratio else None
    compared = (
        f"usually none for {_daypart(opened)}"
        if usual is not None and usual < 0.5
        else f"about {about} times the usual for {_daypart(opened)}"
    )
    # a clinic new to Carewatch: its "usual" comes from the few days it has
    if numbers.get("history_days") is not None:
        days = numbers["history_days"]
        compared += (
            f", from only {_many(days, 'day')} of its history"
            if days
            else ", with no earlier history to compare with"
        )
    # the negatives that built up to the window (crisis.detectors._build_up): since when
    since = ""
    if numbers.get("build_up") and numbers.get("since"):
        first = timezone.localtime(datetime.fromisoformat(numbers["since"]), tz)
        since = f"; {numbers['count'] + numbers['build_up']} since {first:%H:%M}"
    return (
        f"{numbers['count']} negative mentions in "
        f"{duration_said(numbers.get('window_minutes', 0))}"
        f" — {compared}{since}"
    )


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def trigger_words(
    kind: str, numbers: dict, *, at: datetime, tz: ZoneInfo, clinic_name: str = ""
) -> str:
    """What set an alert off, in sentences the clinic's people read (e-mails, chat, the
    portal): counts, "about 6.5 times the usual" (or "usually none"), durations in words; never a p-value, a
    baseline ± or a threshold, which stay in the detector's explanation for the agency's room.
    Never the text of a mention. "" when the numbers do not say enough (the caller shows the
    title). `at`: when it fired (the surge's "for a Saturday morning" is the clinic's local
    time); `clinic_name`: its words are left out of a claim's key words."""
    n = numbers or {}
    try:
        if kind == "surge" and n.get("count"):
            window = duration_said(n["window_minutes"])
            # a surge that came back after its incident was resolved: its new ones first
            again = (
                f"{_many(n['new'], 'new negative mention')} after an incident was resolved; "
                if n.get("new")
                else ""
            )
            if n.get("ratio") is None:
                return f"{again}{_many(n['count'], 'negative mention')} in {window}."
            return again + _surge_words(n, at, tz) + "."
        if kind == "rating_drop" and n.get("count"):
            return (
                f"The average rating fell to {n['mean']:.1f}★ over "
                f"{duration_said(n['window_hours'] * 60)} ({_many(n['count'], 'rating')}, "
                f"{n['low_count']} of them 1–2★), against the usual {n['baseline_mean']:.1f}★."
            )
        if kind == "watch_word" and n.get("count"):
            return (
                f"{_many(n['count'], 'mention')} in {duration_said(n['window_hours'] * 60)} "
                f"used the watch word “{n['word']}” ({n.get('negative', 0)} of them negative)."
            )
        if kind == "viral" and n.get("engagement"):
            return (
                f"A post gained {n['gained']:,} likes, shares and replies in "
                f"{duration_said(n['hours'] * 60)} ({n['engagement']:,} in all), about "
                f"{n['times_usual']:.0f} times faster than the clinic's busiest posts."
            )
        if kind == "misinformation":
            return _misinformation_words(n, clinic_name)
    except (KeyError, TypeError, ValueError):  # numbers stored by an older detector
        return ""
    return ""


def _misinformation_words(n: dict, clinic_name: str) -> str:
    parts = []
    if n.get("cluster_size"):
        name = content_words(clinic_name)
        words = [w for w in n.get("shared_words") or [] if w not in name][:5]
        about = f" (“{'”, “'.join(words)}”)" if words else ""
        span = n.get("span_minutes")
        if span is None:
            when = f" in the last {duration_said(n['window_hours'] * 60)}"
        else:
            when = f" within {duration_said(span)}" if span else " within minutes"
        parts.append(f"{n['cluster_size']} mentions repeated one false claim{about}{when}.")
    if n.get("engagement"):
        parts.append(f"A false claim reached {n['engagement']:,} likes, shares and replies.")
    return " ".join(parts)


def incident_words(incident: Incident, tz: ZoneInfo, *, clinic_name: str = "") -> str:
    """The incident's trigger in words (`trigger_words`), or its title."""
    trigger = incident.trigger or {}
    said = trigger_words(
        incident.kind,
        trigger.get("numbers") or {},
        at=incident.opened_at,
        tz=tz,
        clinic_name=clinic_name,
    )
    return f"{said}{so_far(incident)}" if said else incident.title


@dataclass(frozen=True)
class FollowUpOf:
    """The incident an incident continues (`Incident.continues`), as the incident room, the
    portal's incident page, the alert e-mails and the chat alerts say it, each linking
    `link_words` to that incident where its reader goes (the room or the portal):
    "Follow-up of incident #12 (“…”): a new wave of a false claim it held, resolved Dec 5,
    10:00 EST." (`sentence`; HTML: templates/crisis/_follow_up_of.html)."""

    pk: int
    title: str
    said: str  # what follows the title: the wave, and when the earlier one was resolved

    @property
    def link_words(self) -> str:
        return f"incident #{self.pk}"

    def sentence(self, link: str | None = None, *, escape: Callable[[str], str] = str) -> str:
        """The sentence, `link` (the channel's link markup around `link_words`) in place of
        the words; `escape`: how the channel takes literal text (the title is the earlier
        incident's, which may quote what people wrote)."""
        said = f"(“{escape(self.title)}”): {escape(self.said)}."
        return f"Follow-up of {link or escape(self.link_words)} {said}"


# Why an incident continues another (its opening event's `data.wave`): a new wave of a false
# claim the earlier one held, or the same crisis (kind and key) back after it was resolved.
WAVE_CLAIM, WAVE_AGAIN = "claim", "again"


def follow_up_of(incident: Incident, tz: ZoneInfo) -> FollowUpOf | None:
    """What an incident continues, times in the clinic's zone (`tz`); None when it continues
    none."""
    earlier = incident.continues
    if earlier is None:
        return None
    opened = incident.events.filter(kind=EventKind.OPENED).values_list("data", flat=True).first()
    if isinstance(opened, dict) and opened.get("wave") == WAVE_AGAIN:
        label = IncidentKind(incident.kind).label.lower()
        said, when = f"the {label} came back after it was resolved", " "
    else:
        said, when = "a new wave of a false claim it held", ", resolved "
    if earlier.resolved_at is not None:  # as e-mails write a time: `local`, with the zone
        said += f"{when}{local(earlier.resolved_at, tz)}"
    return FollowUpOf(pk=earlier.pk, title=earlier.title, said=said)


def event_words(
    event, tz: ZoneInfo, *, clinic_name: str = "", clinic_people: frozenset[int] = frozenset()
) -> str:
    """A timeline line as the clinic reads it: where the line quotes a detector's explanation
    (opened, severity raised, also detected), the trigger in words instead; who was alerted
    or escalated to without naming the agency's people, as the portal says "your agency"
    elsewhere (nor its routing: roles, channels, e-mail counts). `clinic_people`: the ids of
    the clinic's own people (`crisis.selectors.clinic_own_people_ids`), counted as "your
    team" among those alerted."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "notified" and event.message.startswith("Alerted ") and ": " in event.message:
        return _alerted_words(data, clinic_people)
    if event.kind == "escalated":
        return (
            "Nobody acknowledged in time: the incident was escalated to your agency's owners "
            "and managers, and the people first alerted were told again."
        )
    if data.get("override_reason") and data.get("open_items"):
        return _resolved_anyway_words(event.message, data["open_items"])
    explanation = data.get("explanation") or ""
    if not explanation or explanation not in event.message:
        return event.message
    said = trigger_words(
        data.get("kind", ""),
        data.get("numbers") or {},
        at=event.at,
        tz=tz,
        clinic_name=clinic_name,
    )
    return event.message.replace(explanation, said) if said else event.message


def _resolved_anyway_words(message: str, open_items: list) -> str:
    """ "Resolved anyway, with 2 item(s) open" says which: the items open then, each as the
    resolve checklist said it ("2 failed, 0 not confirmed yet (queued or to post by hand).")."""
    # a checklist line with the detector's statistics ("… against a baseline of 0.0 ± 0.1 …,
    # p = 4.4e-31") says only what it is: nobody reading the timeline reads the statistics
    items = [
        str(i).split(":", 1)[0] if (" p = " in str(i) or "±" in str(i)) else str(i)
        for i in open_items
    ]
    said = " ".join(i if i.endswith(".") else f"{i}." for i in items)
    n = len(items)
    return message.replace(
        f"with {n} item(s) open;",
        f"with {n} item{'s' if n != 1 else ''} still open ({said.rstrip('.')});",
    )


def _alerted_words(data: dict, clinic_people: frozenset[int]) -> str:
    """ "2 people at your agency and 4 of your team were alerted." from the people the alert
    went to (`data["people"]`, user ids): counted as they were, not an "on-call" list the
    clinic never set up (walk 14: six people were alerted, the review said "your agency's
    on-call people and 4 of your team")."""
    people = set(data.get("people") or [])
    if not people:
        return "Your agency and your crisis team were alerted."
    ours = len(people & clinic_people)
    theirs = len(people) - ours
    team = f"{ours} of your team"
    agency = f"{theirs} {'person' if theirs == 1 else 'people'} at your agency"
    if not theirs:
        return f"{team} {'was' if ours == 1 else 'were'} alerted."
    if not ours:
        return f"{agency} {'was' if theirs == 1 else 'were'} alerted."
    return f"{agency} and {team} were alerted."


def _clock(
    label: str, start: datetime, minutes: int, done: datetime | None, now, tz, *, ended=None
) -> dict:
    """A clock to a target. Once the incident has ended (`ended`: resolved or closed) a clock
    that is not done stops: missed when it was due before the end, not needed when the
    incident ended before it was due; it never counts down after the end."""
    due = start + timedelta(minutes=minutes)
    at = done or (min(ended, now) if ended else now)
    left = (due - at).total_seconds()
    breached = left < 0
    state = "running"
    if done:
        state = "missed" if breached else "met"
        words = (
            ("missed: done " + _words(abs(left) / 60) + " late")
            if breached
            else ("met: done " + _words(left / 60) + " early")
        )
    elif ended:
        state = "missed" if breached else "not_needed"
        words = (
            "missed: not done before the incident was resolved"
            if breached
            else "not needed: the incident was resolved before it was due"
        )
    else:
        words = f"overdue by {_words(-left / 60)}" if breached else f"{_words(left / 60)} left"
    return {
        "label": label,
        "target": _words(minutes),
        "due": local(due, tz),
        "due_at": due,
        "due_iso": due.isoformat(),
        "done": local(done, tz) if done else "",
        "breached": breached,
        "state": state,
        "running": state == "running",
        "words": words,
    }


def _settings() -> DetectorSettings:
    return DetectorSettings.objects.filter(pk=1).first() or DetectorSettings()


def team_roles(incident: Incident, clinic) -> list[dict]:
    """Who holds each crisis role for this incident: the person assigned to the incident, or,
    where nobody is, the clinic's own crisis team for that role (its settings' people page).
    The playbook's team step and the team panel both read it, so they say the same."""
    assigned = {a.role: a for a in incident.assignments.all()}
    members = crisis_team(clinic)
    rows = []
    for value, label in CrisisRole.choices:
        assignment = assigned.get(value)
        clinic_people = [
            m.user.full_name or m.user.email for m in members if value in m.crisis_roles
        ]
        rows.append(
            {
                "value": value,
                "label": label,
                "assignment": assignment,
                "clinic_people": clinic_people,
                "who": assignment.user_label if assignment else ", ".join(clinic_people),
            }
        )
    return rows


def _team_detail(roles: list[dict]) -> str:
    covered = [r for r in roles if r["who"]]
    if not covered:
        return f"none of the {len(roles)} roles has anyone: assign them below"
    assigned = sum(1 for r in covered if r["assignment"])
    words = f"{len(covered)} of {len(roles)} roles covered"
    if assigned == len(covered):
        return f"{words}, assigned for this incident"
    if assigned == 0:
        return f"{words} by the clinic's crisis team"
    return f"{words}: {assigned} assigned for this incident, the rest by the clinic's crisis team"


def _facts(incident: Incident) -> dict:
    review_ids = list(incident.links.values_list("review_id", flat=True))
    replies = ReplyDraft.objects.filter(review_id__in=review_ids)
    published = replies.filter(status=ApprovalStatus.PUBLISHED)
    statement_ids = list(incident.statement_links.values_list("statement_id", flat=True))
    statements = Statement.objects.filter(pk__in=statement_ids)
    first_statement = statements.exclude(published_at=None).order_by("published_at").first()
    review = PostCrisisReview.objects.filter(incident=incident).first()
    private = PrivateConversation.objects.filter(review_id__in=review_ids).count()
    return {
        "mentions": len(review_ids),
        "answered": published.values("review_id").distinct().count(),
        "statement_drafted": bool(statement_ids),
        "statement_published_at": first_statement.published_at if first_statement else None,
        "review": bool(review and (review.lessons or review.prevention)),
        "private": private,
    }


def playbook_steps(plan_text: str | None) -> list[tuple[str, str]]:
    """The response plan's steps (its list items), each matched to what Carewatch can tick;
    the seed's default when the clinic has no plan."""
    steps = []
    for line in (plan_text or "").splitlines():
        m = re.match(r"\s*(?:[-*•]|\d+[.)])\s+(.+)", line)
        if not m:
            continue
        text = m.group(1).strip()
        low = text.lower()
        key = next((k for k, words in _KEYWORDS if any(w in low for w in words)), "")
        steps.append((key, text))
    return steps or list(DEFAULT_PLAYBOOK)


def control_room(incident: Incident, clinic, *, plan_text: str | None = None, now=None) -> dict:
    now = now or timezone.now()
    tz = clinic_zone(clinic)
    s = _settings()
    facts = _facts(incident)
    roles = team_roles(incident, clinic)
    ended = None if incident.status in ACTIVE_STATUSES else incident.resolved_at or now
    first = first_public_response(incident)  # the statement or a reply, as the review counts
    clocks = [
        _clock("Acknowledge", incident.opened_at, s.ack_target_minutes,
               incident.acknowledged_at, now, tz, ended=ended),
        _clock("First public response (statement or reply)", incident.opened_at,
               s.response_target_minutes, first["at"] if first else None, now, tz, ended=ended),
        _clock("Official statement", incident.opened_at, s.statement_target_minutes,
               facts["statement_published_at"], now, tz, ended=ended),
    ]  # fmt: skip
    done = {
        "acknowledged": incident.acknowledged_at is not None,
        "team": all(r["who"] for r in roles),
        "answered": facts["answered"] > 0,
        "private": facts["private"] > 0,
        "statement_drafted": facts["statement_drafted"],
        "statement_published": facts["statement_published_at"] is not None,
        "review": facts["review"],
    }
    detail = {
        "answered": f"{facts['answered']} of {facts['mentions']} mentions answered",
        "team": _team_detail(roles),
        "private": f"{facts['private']} taken private",
    }
    playbook = [
        {"text": text, "key": key, "done": done.get(key, False), "detail": detail.get(key, "")}
        for key, text in playbook_steps(plan_text)
    ]
    return {
        "tz": tz,
        "zone": timezone.localtime(now, tz).strftime("%Z"),
        "plain": plain_line(incident, tz),
        "clocks": clocks,
        "playbook": playbook,
        "team": roles,
    }


# The playbook's steps each crisis role leads, the first first: what a person just given the
# role does first is the first of them still open (`role_assigned_words`).
ROLE_STEPS = {
    CrisisRole.COMMS: ("statement_drafted", "statement_published", "answered"),
    CrisisRole.SOCIAL: ("answered", "private", "statement_published"),
    CrisisRole.LEGAL: ("answered", "statement_drafted", "statement_published"),
    CrisisRole.CLINICIAN: ("answered", "statement_drafted"),
}


def role_first_step(playbook: list[dict], role: str) -> dict | None:
    """The playbook's step (`control_room`'s) that `role` does first: the first of its steps
    (`ROLE_STEPS`) still open; None when they are all done or the plan has none of them."""
    open_steps = {step["key"]: step for step in playbook if step["key"] and not step["done"]}
    return next((open_steps[key] for key in ROLE_STEPS.get(role, ()) if key in open_steps), None)


def role_assigned_words(
    incident: Incident, clinic, *, role: str, by: str, plan_text: str | None
) -> str:
    """What the "You are <role> for the incident" e-mail says under its title: the severity
    and what triggered it (`incident_words`: no statistics), who assigned the role (`by`: a
    name, or "" for the person themself), what the role does (`CRISIS_ROLE_HELP`) and what it does
    first, from the clinic's playbook (`role_first_step`)."""
    tz = clinic_zone(clinic)
    label = CrisisRole(role).label
    lines = [
        f"{incident.get_severity_display()} incident at {clinic.name}, opened "
        f"{local(incident.opened_at, tz)}: {incident_words(incident, tz, clinic_name=clinic.name)}",
        f"{by} assigned you the role." if by else "You assigned yourself the role.",
        f"{label} {CRISIS_ROLE_HELP[role]}" if role in CRISIS_ROLE_HELP else "",
    ]
    step = role_first_step(control_room(incident, clinic, plan_text=plan_text)["playbook"], role)
    if step is not None:
        detail = f" ({step['detail']})" if step["detail"] else ""
        text = step["text"].rstrip(". ")
        lines.append(f"What to do first, from the playbook: {text}{detail}.")
    return "\n".join(line for line in lines if line)


def _risk_flags(review) -> list[str]:
    scores = getattr(review, "score_list", None) or []
    flags = scores[0].flags if scores else []
    names = [f.get("name", "") for f in flags or [] if isinstance(f, dict)]
    return [n for n in names if "misinfo" in n or "safety" in n]


def mentions_ranked(mentions: list) -> list[dict]:
    """Reach (likes + shares + replies) plus risk (misinformation and safety flags), the
    highest first; the top one when it went viral is marked."""
    rows = []
    for review in mentions:
        engagement = (review.likes or 0) + (review.shares or 0) + (review.replies or 0)
        risk = _risk_flags(review)
        rows.append(
            {
                "review": review,
                "engagement": engagement,
                "risk": risk,
                "rank": engagement + RISK_FLAG_WEIGHT * len(risk),
            }
        )
    rows.sort(key=lambda r: (-r["rank"], -r["review"].published_at.timestamp(), -r["review"].pk))
    if rows and rows[0]["rank"] > 0:
        rows[0]["top"] = True
    return rows
