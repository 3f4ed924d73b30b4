"""The numbers of a post-crisis review, measured from the onset of the crisis.

- **onset**: the first mention the alert counted. Every detector links exactly the mentions it
  fired on (a surge the negative mentions it counted, a rating drop the 1–2★ ratings, a watch
  word or a false claim the mentions that matched, a viral alert the posts that grew), so the
  first of them is when the crisis showed; never after the detection itself, which is the onset
  when nothing is linked. The start of a counting detector's window is not evidence of anything
  (a 2-hour window that fired 20 minutes after the first mention made up a 2-hour lag);
- **during**: onset → resolution (onset → now, "in progress", while it is not resolved);
- **before**: the clinic's usual traffic ending at the onset: a week (every weekday and time
  of day), or the length of the crisis if that is longer. It ends where the crisis begins, so
  no mention of the crisis is ever counted as "before", and the mentions another incident
  linked (the wave a follow-up continues, an overlapping crisis) are left out of it too. A
  clinic whose history starts inside it (more than a day into it) has it from its first item
  (`history_from`): its usual rate is over the days it had; none when its first item came with
  the crisis;
- **after**: from the resolution, a day or the length of the crisis if that is longer; "not
  yet" while the incident is not resolved, "in progress" until it has fully passed (a review
  frozen before then says how much of it it holds). No bucket lies in the future.

The windows differ in length, so they are compared by their rates (`per_day`; the review says
a window shorter than a day in items an hour, `crisis.charts.rate_words`), and the volume
chart draws each window on its own scale.

Response times are measured from detection (`opened_at`: nobody could answer before the alert),
and the time to detect from the onset. The first public response is the earlier of the first
published statement and the first reply published to a mention
(`crisis.selectors.first_public_response`, which the room's clock reads too; here from the
statements and first reply read for the other figures)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from crisis.models import Incident, IncidentEvent, IncidentMention
from crisis.selectors import (
    earliest_public_response,
    false_claims_established,
    first_item_at,
    followups_started_between,
    incident_statements,
    reply_statuses_by_review,
    statements_discarded_unseen,
)
from feeds.models import Review, ReviewStatus, platform_name
from feeds.selectors import outages_between
from responses.models import ApprovalStatus
from responses.selectors import (
    first_reply_published_at,
    private_conversation_counts,
    publishing_troubles,
    replies_published_by_review,
    statement_pinned_on,
)
from scoring.selectors import latest_score_field

BUCKETS_PER_WINDOW = 6  # a window's bars, unless it is whole days (`window_buckets`)
DAY_BARS_MAX = 14  # a window of 2 to 14 whole days has a bar a day
LABELS = ("negative", "neutral", "positive", "unscored")
WINDOW_NAMES = ("before", "during", "after")
MIN_SPAN = timedelta(minutes=1)
BEFORE_MIN = timedelta(days=7)  # a week of the clinic's usual traffic, every weekday and hour
AFTER_MIN = timedelta(days=1)  # a whole day after the resolution
# A clinic's first item may come a while after its history really starts (a quiet clinic):
# "before" starts at it only when it is later than this into the window.
HISTORY_SLACK = timedelta(days=1)
DAY = 86400

# Window states (`windows[name]["state"]`).
COMPLETE, IN_PROGRESS, NOT_YET = "complete", "in_progress", "not_yet"

# Keys under which a "resolve anyway" reason may be stored on the resolving event's data.
RESOLVE_REASON_KEYS = ("resolve_anyway_reason", "override_reason", "anyway_reason", "reason")


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def _is_negative(label: str | None, rating: int | None) -> bool:
    if label is not None:
        return label == "negative"
    return rating is not None and rating <= 2


# Where the reply of a mention not answered in public stands (`replies_waiting`).
REPLY_PROGRESS = ("approved", "in_approval", "none")


def _reply_progress(status: str | None) -> str:
    if status == ApprovalStatus.APPROVED:
        return "approved"  # approved, waiting for its channel or to be posted by hand
    if status is None:
        return "none"
    return "in_approval"  # drafted, waiting for a step or for changes


def _is_false_claim(flags) -> bool:
    for flag in flags or ():
        if not isinstance(flag, dict):
            continue
        name = str(flag.get("name", ""))
        probability = flag.get("probability")
        if "misinfo" in name and (probability is None or probability >= 0.5):
            return True
    return False


ONSET_FIRST_MENTION = "the first mention the alert counted"
ONSET_DETECTION = "the alert itself: no mention was linked before it"


def channels_down_during(linked, *, start: datetime, end: datetime) -> list[dict]:
    """The clinic's channel outages (`feeds.SourceOutage`) between the onset and the end of the
    crisis (its resolution, or now), oldest first: the channel, why it was down (`kind`, and
    who turned it off or disconnected it), when it stopped and came back (None: still down at
    the time of the figures), how long of the crisis it was down, and how many of the
    incident's mentions came from it. `linked`: the incident's mention rows (id first)."""
    if end <= start:
        return []
    ids = [row[0] for row in linked]
    per_source: dict[int, int] = {}
    for source_id in Review.objects.filter(pk__in=ids).values_list("source_id", flat=True):
        per_source[source_id] = per_source.get(source_id, 0) + 1
    out = []
    for outage in outages_between(start, end):
        down_from = max(outage.started_at, start)
        down_to = min(outage.ended_at or end, end)
        out.append(
            {
                "source": outage.source.name,
                "platform": platform_name(outage.source.kind),
                "kind": outage.kind,
                "kind_label": outage.get_kind_display(),
                "started_by": outage.started_by,
                "started_at": outage.started_at.isoformat(),
                "ended_at": outage.ended_at.isoformat() if outage.ended_at else None,
                "down_seconds": round((down_to - down_from).total_seconds()),
                "mentions": per_source.get(outage.source_id, 0),
            }
        )
    return out


def crisis_onset(incident: Incident, first_mention_at: datetime | None) -> tuple[datetime, str]:
    """(onset, what it is): the first mention the alert counted, never after the detection;
    the detection when no mention is linked (or the first was published after it)."""
    if first_mention_at is not None and first_mention_at <= incident.opened_at:
        return first_mention_at, ONSET_FIRST_MENTION
    return incident.opened_at, ONSET_DETECTION


def review_windows(
    *, onset: datetime, resolved_at: datetime | None, now: datetime
) -> dict[str, dict]:
    """{"before"|"during"|"after": {"start", "end", "state"}}; `end` of a window in progress is
    now (the "after" window's `full_end` is when it will have passed); the "after" window of
    an unresolved incident has no start or end."""
    end = resolved_at or now
    span = max(end - onset, MIN_SPAN)
    during_end = onset + span
    windows = {
        "before": {
            "start": onset - max(span, BEFORE_MIN),
            "end": onset,
            "state": COMPLETE,
        },
        "during": {
            "start": onset,
            "end": during_end,
            "state": COMPLETE if resolved_at else IN_PROGRESS,
        },
    }
    if resolved_at is None:
        windows["after"] = {"start": None, "end": None, "state": NOT_YET}
    else:
        after_end = resolved_at + max(span, AFTER_MIN)
        windows["after"] = {
            "start": resolved_at,
            "end": min(after_end, now),
            "full_end": after_end,
            "state": COMPLETE if after_end <= now else IN_PROGRESS,
        }
        if resolved_at >= now:
            windows["after"]["state"] = NOT_YET
    windows["span"] = span
    return windows


def window_buckets(length: timedelta) -> int:
    """How many bars a window of this length has: one a day when it is 2 to 14 whole days
    (the week before: seven days, never six bars of 28 hours), else `BUCKETS_PER_WINDOW`."""
    days = length / timedelta(days=1)
    if 2 <= days <= DAY_BARS_MAX and days == int(days):
        return int(days)
    return BUCKETS_PER_WINDOW


def _summary(rows: list[tuple], start: datetime | None, end: datetime | None, state: str) -> dict:
    counts = dict.fromkeys(LABELS, 0)
    scores, ratings = [], []
    for _, _, rating, label, score in rows:
        counts[label or "unscored"] += 1
        if score is not None:
            scores.append(score)
        if rating is not None:
            ratings.append(rating)
    volume = len(rows)
    negative = sum(1 for _, _, rating, label, _ in rows if _is_negative(label, rating))
    not_yet = state == NOT_YET
    days = (end - start).total_seconds() / DAY if start and end and end > start else None
    return {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "state": state,
        "complete": state == COMPLETE,
        "days": None if days is None else round(days, 4),
        "per_day": None if not_yet or not days else round(volume / days, 2),
        "volume": None if not_yet else volume,
        **{k: None if not_yet else v for k, v in counts.items()},
        "negative_all": None if not_yet else negative,
        "negative_share": round(negative / volume, 3) if volume else None,
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "mean_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }


def review_metrics(incident: Incident, *, now: datetime | None = None) -> dict:
    """Computed from the incident, its linked mentions and statements, the replies and the
    clinic's items around it. Safe on an incident that is not resolved yet ("after" is
    "not yet")."""
    now = now or timezone.now()
    opened = incident.opened_at
    resolved = (
        incident.resolved_at if incident.resolved_at and incident.resolved_at <= now else None
    )
    # the live mentions: one deleted since (taken down on its platform, or at its author's
    # request) leaves every figure, as it leaves the windows and the claims' reach
    linked = list(
        Review.objects.filter(incidents=incident, is_deleted=False)
        .annotate(label=latest_score_field("label"), flags=latest_score_field("flags"))
        .values_list("id", "published_at", "rating", "label", "status", "flags")
        .order_by("published_at", "id")
    )
    linked_ids = [row[0] for row in linked]
    first_mention = linked[0][1] if linked else None
    onset, onset_from = crisis_onset(incident, first_mention)
    bounds = review_windows(onset=onset, resolved_at=resolved, now=now)
    span = bounds.pop("span")
    # a clinic whose history starts inside the week before (new to Carewatch, no past reviews
    # imported): its usual is what it had, over the days it had it; a week of which it had two
    # days would read a third of its real rate, and the crisis three times larger than it was
    history_from = first_item_at()
    before_bounds = bounds["before"]
    if history_from is not None and before_bounds["start"] + HISTORY_SLACK < history_from:
        before_bounds["history_from"] = history_from
        if history_from < onset:
            before_bounds["start"] = history_from

    lo = bounds["before"]["start"]
    hi = bounds["after"]["end"] or bounds["during"]["end"]
    rows = list(
        Review.objects.filter(is_deleted=False, published_at__gte=lo, published_at__lt=hi)
        .annotate(label=latest_score_field("label"), score=latest_score_field("score"))
        .values_list("id", "published_at", "rating", "label", "score")
        .order_by("published_at")
    )

    # "before" is the clinic's usual traffic: the mentions another incident of the clinic
    # linked (an earlier wave this one follows up, an overlapping crisis) are a crisis, never
    # the usual, so they are left out of it (and counted apart, `other_incidents_left_out`)
    other_crisis = set(
        IncidentMention.objects.filter(review_id__in=[r[0] for r in rows if r[1] < onset])
        .exclude(incident=incident)
        .values_list("review_id", flat=True)
    )

    def inside(a, b, *, usual=False):
        return [r for r in rows if a <= r[1] < b and not (usual and r[0] in other_crisis)]

    windows = {}
    series = []
    for name in WINDOW_NAMES:
        w = bounds[name]
        if w["state"] == NOT_YET:
            windows[name] = _summary([], None, None, NOT_YET)
            continue
        usual = name == "before"
        windows[name] = _summary(
            inside(w["start"], w["end"], usual=usual), w["start"], w["end"], w["state"]
        )
        if usual:
            windows[name]["other_incidents_left_out"] = sum(
                1 for r in rows if w["start"] <= r[1] < w["end"] and r[0] in other_crisis
            )
            if "history_from" in w:
                # the clinic's first item: the window starts there, or (its first item came
                # with the crisis) nothing before it is history (no usual rate)
                windows[name]["history_from"] = w["history_from"].isoformat()
                if w["history_from"] >= w["end"]:
                    windows[name]["per_day"] = None
        full_end = w.get("full_end", w["end"])
        if "full_end" in w:
            windows[name]["full_end"] = full_end.isoformat()
        buckets = window_buckets(full_end - w["start"])
        windows[name]["buckets"] = buckets
        step = (full_end - w["start"]) / buckets
        for n in range(buckets):
            start = w["start"] + n * step
            if start >= now:
                break  # no future buckets
            end = min(start + step, now)
            bucket = _summary(inside(start, end, usual=usual), start, end, COMPLETE)
            series.append(
                {
                    "window": name,
                    "start": bucket["start"],
                    "end": bucket["end"],
                    "partial": end < start + step,
                    "days": bucket["days"],
                    "per_day": bucket["per_day"],
                    "volume": bucket["volume"],
                    **{label: bucket[label] for label in LABELS},
                    "mean_score": bucket["mean_score"],
                }
            )

    # coverage: a mention is answered in public when a reply to it was published (posted by
    # a channel, or posted by hand and marked so) or it was marked replied (answered on the
    # platform by hand); the rest are counted by where their reply stands
    published = replies_published_by_review(linked_ids)
    answered = [r for r in linked if r[0] in published or r[4] == ReviewStatus.REPLIED]
    answered_ids = {r[0] for r in answered}
    negative = [r for r in linked if _is_negative(r[3], r[2])]
    negative_answered = [r for r in negative if r[0] in answered_ids]
    reply_statuses = reply_statuses_by_review(linked_ids)
    waiting = dict.fromkeys(REPLY_PROGRESS, 0)
    for pk in linked_ids:
        if pk not in answered_ids:
            waiting[_reply_progress(reply_statuses.get(pk))] += 1

    # reach (likes + shares + replies) of the false claims as the agency's work established
    # them (`false_claims_established`: a flagged claim answered as false, with a correction
    # or the statement), never the claim checker's flag alone; against the reach of those
    # answered in public with the correction. The mentions only flagged are counted apart.
    established = false_claims_established(
        linked_ids, flagged=[r[0] for r in linked if _is_false_claim(r[5])]
    )
    claim_ids, clusters = established["review_ids"], established["clusters"]
    claim_rows = list(
        Review.objects.filter(pk__in=claim_ids)
        .values_list("pk", "status", "likes", "shares", "replies")
        .order_by()
    )
    corrected = [row for row in claim_rows if row[0] in established["corrected_ids"]]
    claims_reach = sum(likes + shares + replies for _, _, likes, shares, replies in claim_rows)
    correction_reach = sum(likes + shares + replies for _, _, likes, shares, replies in corrected)

    # private follow-ups: those of the incident's mentions, and those started during the
    # crisis with a mention of that time the alert did not link (the model may have missed it)
    during_end = bounds["during"]["end"]
    follow_ups_other = followups_started_between(onset, during_end, exclude_review_ids=linked_ids)

    statements = incident_statements(incident)
    published_statements = sorted(
        (st.published_at for st in statements if st.published_at), key=lambda t: t
    )
    first_statement = published_statements[0] if published_statements else None
    first_reply = first_reply_published_at(
        IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True)
    )
    first_public = earliest_public_response(statements, first_reply)
    by_resolving = bool(
        incident.acknowledged_at
        and incident.resolved_at
        and incident.acknowledged_at >= incident.resolved_at
    )
    discarded_unseen = statements_discarded_unseen(st.pk for st in statements)
    return {
        "computed_at": now.isoformat(),
        "onset_at": onset.isoformat(),
        "onset_from": onset_from,
        "first_mention_at": first_mention.isoformat() if first_mention else None,
        "opened_at": opened.isoformat(),
        "acknowledged_at": incident.acknowledged_at.isoformat()
        if incident.acknowledged_at
        else None,
        "resolved_at": resolved.isoformat() if resolved else None,
        "resolved": resolved is not None,
        "resolve_reason": resolve_reason(incident),
        "time_to_detect_seconds": _seconds(opened, onset),
        # resolving an incident nobody acknowledged acknowledges it (`incident_status_set`):
        # that is no acknowledgement, and the time to it would be the time to resolve
        "acknowledged_by_resolving": by_resolving,
        "time_to_acknowledge_seconds": None
        if by_resolving
        else _seconds(incident.acknowledged_at, opened),
        "time_to_first_reply_seconds": _seconds(first_reply, opened),
        # a reply or statement already public when the alert was raised: its time is 0, and
        # these say it came before the alert (never "0 minutes after")
        "first_reply_before_alert": bool(first_reply and first_reply < opened),
        "first_statement_before_alert": bool(first_statement and first_statement < opened),
        "time_to_first_public_response_seconds": _seconds(
            first_public["at"] if first_public else None, opened
        ),
        "first_public_response": {
            "at": first_public["at"].isoformat(),
            "kind": first_public["kind"],
            "title": first_public["title"],
        }
        if first_public
        else None,
        "time_to_statement_seconds": _seconds(first_statement, opened),
        "time_to_resolve_seconds": _seconds(resolved, opened),
        "escalated": incident.escalated_at is not None,
        "escalated_after_seconds": _seconds(incident.escalated_at, opened),
        "mentions_linked": len(linked),
        "mentions_answered": len(answered),
        "mentions_answered_share": round(len(answered) / len(linked), 3) if linked else None,
        "negative_linked": len(negative),
        "negative_answered": len(negative_answered),
        "answered_share": round(len(negative_answered) / len(negative), 3) if negative else None,
        "replies_waiting": waiting,
        "false_claims": len(claim_rows),
        "false_claim_clusters": clusters,
        "false_claims_reach": claims_reach,
        "false_claims_corrected": len(corrected),
        # what the figures above count, so a review frozen before says its own basis
        "false_claims_basis": "established",
        "false_claims_flagged_only": len(established["flagged_ids"]),
        "correction_reach": correction_reach,
        "correction_reach_share": round(correction_reach / claims_reach, 3)
        if claims_reach
        else None,
        "private_follow_ups": private_conversation_counts(linked_ids),
        "private_follow_ups_other": follow_ups_other,
        "statements_published": len(published_statements),
        # what failed to post (replies to the incident's mentions, its statements) and how
        # each failure ended: a silent failure mid-crisis is a lesson for the review
        "publishing": publishing_troubles(
            review_ids=linked_ids, statement_ids=[st.pk for st in statements]
        ),
        # the channels that stopped delivering while it ran: mentions of those hours may be
        # missing from every figure here
        "channels_down": channels_down_during(linked, start=onset, end=resolved or now),
        "window_seconds": round(span.total_seconds()),
        "before_seconds": round(
            (bounds["before"]["end"] - bounds["before"]["start"]).total_seconds()
        ),
        "after_seconds": round(
            (bounds["after"]["full_end"] - bounds["after"]["start"]).total_seconds()
        )
        if "full_end" in bounds["after"]
        else None,
        "windows": windows,
        "series": series,
        "events": IncidentEvent.objects.filter(incident=incident).count(),
        "statements": [
            {
                "id": st.pk,
                "title": st.title,
                "status": st.status,
                # discarded before it ever reached the clinic: the agency's own draft, which
                # the clinic's copy leaves out (as its timeline does)
                "agency_draft_only": st.pk in discarded_unseen,
                "published_at": st.published_at.isoformat() if st.published_at else None,
                # on the clinic's public page (what `is_pinned` means), and the channels that
                # confirmed pinning it: nothing says "pinned" before a channel does
                "on_public_page": st.is_pinned,
                "pinned_on": statement_pinned_on(st),
            }
            for st in statements
        ],
    }


def resolve_reason(incident: Incident) -> str:
    """The reason given for resolving while items were still open ("resolve anyway"), from the
    resolving event (or the incident, where a field holds it); empty when there is none."""
    for name in ("resolve_reason", "resolved_anyway_reason", "resolve_override_reason"):
        value = getattr(incident, name, "")
        if isinstance(value, str) and value.strip():
            return value.strip()
    events = IncidentEvent.objects.filter(incident=incident).order_by("-at", "-id")
    for event in events:
        data = event.data or {}
        if data.get("to") != "resolved" and "resolve" not in event.kind:
            continue
        for key in RESOLVE_REASON_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""
