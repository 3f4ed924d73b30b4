"""Running the detectors in a clinic's schema: findings open incidents or attach to the active
one of the same kind, and the crisis team is told. An active incident about a false claim also
takes in every mention of that claim (its claim cluster) published in its window, however it
was scored. A new incident about a false claim that an incident resolved within the clinic's
`new_wave_hours` held is that incident's follow-up (`Incident.continues`): a second wave of one
crisis, linked both ways, whose statement already published counts for it.

Why a follow-up and not reopening the resolved incident: an incident moves forward only
(`TRANSITIONS`); resolving drafted its post-crisis review, told the webhooks and may have been
sent to the clinic, and its mentions are that crisis's record (`mentions_held_by_resolved`).
Reopening would rewrite a record people have read; a follow-up keeps it and says what came
after."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F
from django.template.defaultfilters import pluralize
from django.utils import timezone

from clinics.models import clinic_zone
from clinics.notifications import notifications_retitle
from core.incidents import alert_ref, alert_title
from core.rollup import figures_changed
from core.tenancy import current_clinic
from crisis.detectors import (
    MISINFORMATION,
    SURGE,
    VIRAL,
    WATCH_WORD,
    Finding,
    History,
    Thresholds,
    duration,
    evaluate,
    merge_target,
    misinformation_title,
)
from crisis.models import (
    SEVERITY_RANK,
    EngagementSample,
    EventKind,
    Incident,
    IncidentKind,
    IncidentMention,
)
from crisis.room import WAVE_AGAIN, WAVE_CLAIM, trigger_words
from crisis.selectors import (
    HIGH_REACH,
    detector_settings_get,
    false_claims_of,
    history_load,
    incident_resolved_of_claims,
    incident_resolved_of_kind,
    incidents_active,
    incidents_resolved_since,
    mentions_handled,
    mentions_held_by_resolved,
)
from crisis.services.common import DETECTOR, LOCK_DETECTORS, event_add, schema_lock
from feeds.models import Review

logger = logging.getLogger(__name__)
SAMPLE_KEEP = timedelta(days=8)
# An open incident that grows materially alerts its people again (README, "Crisis detection"):
# a detector of another kind fires on it, its severity is raised, or its mentions grow by 10,
# or by half (at least 3) of what they were at the last alert; at most once per 15 minutes
# (the detectors run every 5: a step that comes sooner goes out at the first run after).
GROWTH_STEP, GROWTH_SHARE, GROWTH_MIN = 10, 0.5, 3
GROWTH_EVERY = timedelta(minutes=15)
_SO_FAR = re.compile(r", \d+(?: mentions)? (?:so far|in all)$")  # "in all": resolved
# Incidents about a claim: theirs, or one of these findings joined them (ALSO_DETECTED).
CLAIM_KINDS = (MISINFORMATION, VIRAL)


def detectors_run(
    *,
    now: datetime | None = None,
    review_ids: list[int] | None = None,
    notify: bool = True,
) -> list[Incident]:
    """Run every enabled detector for the clinic whose schema the connection is in, as of
    `now` (default: the current time). A finding opens an incident — and, after commit, the
    crisis team is e-mailed and the `incident.opened` webhook emitted (`notify=False` skips
    both) — or links its mentions to the active incident of the same kind and key. Each active
    incident about a false claim takes in the claim's other mentions (`_claims_link`), before
    the detectors are evaluated and after. Returns the incidents this run opened.

    `review_ids`, when given, are the reviews that changed (a scoring batch): if none of them
    was published recently enough to matter, nothing runs; an empty list runs nothing.
    Runs of one clinic are serialised by a lock; safe to call from several workers."""
    now = now or timezone.now()
    clinic = current_clinic()
    settings = detector_settings_get()
    if not settings.enabled:
        return []
    thresholds = Thresholds.from_settings(settings)
    if review_ids is not None:
        horizon = now - (thresholds.lookback - timedelta(days=thresholds.baseline_days))
        if (
            not review_ids
            or not Review.objects.filter(
                pk__in=list(review_ids), published_at__gte=horizon
            ).exists()
        ):
            return []
    opened: list[Incident] = []
    with transaction.atomic():
        schema_lock(LOCK_DETECTORS)
        active = {(i.kind, i.key): i for i in incidents_active().select_for_update()}
        linked: dict[tuple[str, str], set[int]] = {key: set() for key in active}
        by_pk = {i.pk: key for key, i in active.items()}
        for incident_id, review_id in IncidentMention.objects.filter(
            incident_id__in=list(by_pk)
        ).values_list("incident_id", "review_id"):
            linked[by_pk[incident_id]].add(review_id)
        history = history_load(
            start=now - thresholds.lookback,
            end=now,
            text_since=now - thresholds.recent,
            tz=clinic.timezone,
        )
        history.handled = mentions_handled(since=now - thresholds.lookback)
        resolved_since = incidents_resolved_since()
        # first, so that a detector that sees the claim's mentions joins the incident holding
        # the claim (merge_target) rather than opening a second one for the same crisis
        _claims_link_all(active, linked, resolved_since, now, thresholds)
        before = dict(active)
        firing: dict[tuple[str, str], Finding] = {}
        touched: set[tuple[str, str]] = set()  # incidents a finding opened, updated or joined
        for finding in evaluate(history, now, thresholds, resolved_since):
            key = (finding.kind, finding.key)
            if key in active:
                _incident_update(active[key], finding, now)
                if finding.fired:
                    firing[key] = finding
            elif not finding.fired:
                continue
            elif (target := merge_target(finding, linked)) is not None:
                _incident_merge(active[target], finding, now)
                key = target
                firing.setdefault(target, finding)  # another detector fires on the same crisis
            else:
                active[key] = _incident_open(finding, now, settings.new_wave_hours)
                opened.append(active[key])
            linked.setdefault(key, set()).update(finding.review_ids)
            touched.add(key)
        # again, for the incidents a finding changed: the claims of those just opened, or of
        # the mentions just linked (the others hold what the first pass left them)
        _claims_link_all(active, linked, resolved_since, now, thresholds, keys=touched)
        for incident in opened:
            _title_counts_claim(incident)
        for key, incident in before.items():
            # the resolve checklist reads whether the crisis is still detected
            if key not in firing:
                _quiet(incident, now)
            elif firing[key].kind != incident.kind:
                incident.last_evaluation = _evaluation(firing[key], now)
                incident.save(update_fields=["last_evaluation", "updated_at"])
        grew: list[tuple[int, str]] = []
        for incident in before.values():
            said = _grown(incident, now, clinic_zone(clinic), record=notify)
            if said:
                grew.append((incident.pk, said))
        if thresholds.viral_enabled:
            _engagement_sample(history, now, thresholds, prune=review_ids is None)
        if notify and opened:
            schema = connection.schema_name
            ids = [incident.pk for incident in opened]
            transaction.on_commit(lambda: _notify_opened(schema, ids))
        if grew:
            schema = connection.schema_name
            transaction.on_commit(lambda: _notify_grew(schema, grew))
    return opened


def _notify_opened(schema: str, incident_ids: list[int]) -> None:
    from django_tenants.utils import schema_context

    from crisis.services.notifications import incident_notify_opened

    with schema_context(schema):
        for incident_id in incident_ids:
            try:
                incident_notify_opened(incident_id=incident_id)
            except Exception:  # noqa: BLE001 - one failure must not keep the others unsent
                logger.exception("notifying incident %s failed", incident_id)


def _notify_grew(schema: str, grew: list[tuple[int, str]]) -> None:
    from django_tenants.utils import schema_context

    from crisis.services.notifications import incident_notify_grew

    with schema_context(schema):
        for incident_id, said in grew:
            try:
                incident_notify_grew(incident_id=incident_id, grew=said)
            except Exception:  # noqa: BLE001 - one failure must not keep the others unsent
                logger.exception("notifying incident %s grew failed", incident_id)


def _title_counts_claim(incident: Incident) -> None:
    """A repeated claim's incident, just opened, says in its title every mention of the claim
    it holds: the claim's mentions that were not flagged themselves are linked in the same run,
    after the detector wrote "Misinformation: 4 mentions repeat one claim" (walk 1 on phones,
    F20: the title said 4 while the timeline said 16 in all). Linked as it opened, they are no
    growth: later mentions are said "so far" (`_grown`)."""
    cluster = ((incident.trigger or {}).get("numbers") or {}).get("cluster_size")
    if incident.kind != MISINFORMATION or incident.title != misinformation_title(cluster or 0):
        return
    total = IncidentMention.objects.filter(incident=incident).count()
    if total > cluster:
        incident.title = misinformation_title(total)
        incident.save(update_fields=["title", "updated_at"])


def title_ended(title: str) -> str:
    """An incident's title once it is resolved: its count "in all", no longer "so far"
    ("Negative surge: 18 in 2 h, 23 in all")."""
    found = _SO_FAR.search(title)
    if found is None or not found.group(0).endswith(" so far"):
        return title
    return title[: found.start()] + found.group(0).replace(" so far", " in all")


def title_so_far(title: str, kind: str, total: int | None) -> str:
    """The incident's title with its mentions so far ("Negative surge: 19 in 2 h, 25 so
    far"): the detector's title as it opened, and the count now once it has grown (`total`;
    None: not grown)."""
    base = _SO_FAR.sub("", title)
    if total is None:
        return base
    noun = "" if kind in (SURGE, MISINFORMATION, WATCH_WORD) else " mentions"
    return f"{base}, {total}{noun} so far"[:300]


def _grown(incident: Incident, now: datetime, tz: ZoneInfo, *, record: bool) -> str:
    """After a run: the incident's title says its mentions so far (the open alert messages
    too), and when it grew materially since the people were last alerted (`GROWTH_*`: a
    detector of another kind fired on it, its severity was raised, or its mentions grew by
    `GROWTH_STEP`, or by `GROWTH_SHARE` and at least `GROWTH_MIN`), at most once per
    `GROWTH_EVERY`, one timeline line says what grew (`record`; the caller then alerts the
    people again, `incident_notify_grew`). Returns what grew, in words ("" when nothing
    material did, or not yet)."""
    links = IncidentMention.objects.filter(incident=incident)
    total = links.count()
    at_open = links.filter(added_at__lte=incident.opened_at).count()
    title = title_so_far(incident.title, incident.kind, total if total > at_open else None)
    if title != incident.title:
        incident.title = title
        incident.save(update_fields=["title", "updated_at"])
        notifications_retitle(
            clinic=current_clinic(),
            ref=alert_ref(incident.pk),
            title=alert_title(incident.get_severity_display(), title),
        )
    if not record:
        return ""
    last = (
        incident.events.filter(kind=EventKind.NOTIFIED, data__has_key="grew")
        .order_by("-at", "-id")
        .first()
    )
    since = last.at if last is not None else incident.opened_at
    if now - since < GROWTH_EVERY:
        return ""
    before = links.filter(added_at__lte=since).count()
    added = total - before
    news = incident.events.filter(
        kind__in=[EventKind.ALSO_DETECTED, EventKind.SEVERITY_RAISED], at__gt=since, at__lte=now
    ).order_by("at", "id")
    detected = {}
    raised = False
    severity_before = incident.severity
    for event in news:
        if event.kind == EventKind.SEVERITY_RAISED:
            if not raised:
                severity_before = _raised_from(event) or severity_before
            raised = True
        elif (event.data or {}).get("kind"):
            detected.setdefault(event.data["kind"], event)
    step = added >= GROWTH_STEP or (added >= GROWTH_MIN and added >= GROWTH_SHARE * before)
    if not (step or detected or raised):
        return ""
    parts = []
    if added:
        reach = links.filter(added_at__gt=since).annotate(
            reach=F("review__likes") + F("review__shares") + F("review__replies")
        )
        high = reach.filter(reach__gte=HIGH_REACH).count()
        loud = f", {high} of them with {HIGH_REACH}+ likes, shares and replies" if high else ""
        parts.append(f"{added} more mention{pluralize(added)} linked ({total} in all{loud})")
    for kind, event in detected.items():
        words = (
            trigger_words(kind, event.data.get("numbers") or {}, at=event.at, tz=tz)
            or event.message.split(": ", 1)[-1]
        )
        parts.append(f"also detected: {IncidentKind(kind).label.lower()} — {words.rstrip('.')}")
    if raised:
        parts.append(f"severity raised to {incident.get_severity_display().lower()}")
    said = "; ".join(parts)
    also = list(
        incident.events.filter(kind=EventKind.ALSO_DETECTED, at__lte=now)
        .order_by("at", "id")
        .values_list("at", "data__kind")
    )

    def kinds(until: datetime) -> list[str]:
        """The detectors that fired on it by `until`: the kind it opened with, then others."""
        return list(dict.fromkeys([incident.kind, *(k for at, k in also if k and at <= until)]))

    event_add(
        incident=incident,
        kind=EventKind.NOTIFIED,
        message=f"The incident grew since the last alert: {said}. Telling the people alerted "
        "and the incident's team again.",
        actor=DETECTOR,
        # what grew, before (at the last alert) and now: the `incident.grew` webhook says it
        data={
            "grew": {
                "mentions": total,
                "added": added,
                "kinds": sorted(detected),
                "severity": incident.severity,
                "since": since.isoformat(),
                "mentions_before": before,
                "severity_before": severity_before,
                "kinds_before": kinds(since),
                "kinds_now": kinds(now),
            }
        },
        at=now,
    )
    return said


_RAISED_FROM = re.compile(r"^Severity raised from (\w+) to ")


def _raised_from(event) -> str:
    """The severity a raise started from: its `data.severity_from` (or, on a line written
    before that was kept, its message's words)."""
    if (event.data or {}).get("severity_from"):
        return event.data["severity_from"]
    found = _RAISED_FROM.match(event.message or "")
    return found.group(1) if found else ""


def _link(incident: Incident, review_ids: list[int], now: datetime) -> int:
    if not review_ids:
        return 0
    known = set(
        IncidentMention.objects.filter(incident=incident, review_id__in=review_ids).values_list(
            "review_id", flat=True
        )
    )
    new = [rid for rid in dict.fromkeys(review_ids) if rid not in known]
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review_id=rid, added_at=now) for rid in new],
        ignore_conflicts=True,
    )
    return len(new)


def _claims_link_all(
    active: dict[tuple[str, str], Incident],
    linked: dict[tuple[str, str], set[int]],
    resolved_since: dict[tuple[str, str], datetime],
    now: datetime,
    thresholds: Thresholds,
    keys: set[tuple[str, str]] | None = None,
) -> None:
    for key, incident in active.items():
        if keys is None or key in keys:
            # the incident's window: what the text-reading detectors saw when it opened
            since = incident.opened_at - thresholds.recent
            not_before = max(filter(None, (resolved_since.get(key), since)))
            linked[key] |= _claims_link(incident, linked[key], not_before, now)


def _holds_claims(incident: Incident) -> bool:
    if incident.kind in CLAIM_KINDS:
        return True
    return incident.events.filter(
        kind=EventKind.ALSO_DETECTED, data__kind__in=list(CLAIM_KINDS)
    ).exists()


def _claims_link(
    incident: Incident, linked: set[int], not_before: datetime | None, now: datetime
) -> set[int]:
    """The incident's false claims are the misinformation claim clusters that hold one of its
    mentions (`false_claims_of`, as the room and the post-crisis review read them); every
    live mention of them is linked to it too (`linked`: those it holds): those published after
    it opened, those that joined the claim later, those in the claim that were not flagged
    themselves. One "Mentions linked" line on the timeline when any is. Left out, as the
    detectors leave them out (`History.is_new`): mentions held by a resolved incident, and
    those published before `not_before`: the last incident of this kind and key was resolved,
    or the incident's window began (the detectors' look-back before it opened: a claim's
    months-old mentions are not this crisis). For misinformation and viral incidents, and any
    incident one of those findings joined; nothing is ever unlinked. Returns the review ids
    linked."""
    if not linked or not _holds_claims(incident):
        return set()
    claims = false_claims_of(IncidentMention.objects.filter(incident=incident).values("review_id"))
    members = set().union(*claims.values()) - linked
    members -= mentions_held_by_resolved(members)
    if not_before is not None and members:
        members = set(
            Review.objects.filter(pk__in=members, published_at__gte=not_before).values_list(
                "pk", flat=True
            )
        )
    ids = sorted(members)
    added = _link(incident, ids, now)
    if added:
        total = IncidentMention.objects.filter(incident=incident).count()
        held = sorted(pk for pk, claim in claims.items() if claim & members)
        event_add(
            incident=incident,
            kind=EventKind.MENTIONS_ADDED,
            message=f"{added} more mention{pluralize(added)} of its false claim"
            f"{'s' if len(held) > 1 else ''} linked ({total} in all).",
            actor=DETECTOR,
            data={"review_ids": ids[-200:], "added": added, "claim_ids": held},
            at=now,
        )
    return members


def _incident_open(finding: Finding, now: datetime, new_wave_hours: int = 0) -> Incident:
    previous, wave = None, ""
    if new_wave_hours:
        since = now - timedelta(hours=new_wave_hours)
        previous = incident_resolved_of_claims(finding.review_ids, since=since, until=now)
        wave = WAVE_CLAIM if previous is not None else ""
        if previous is None:
            # the same crisis back after its incident was resolved (a surge resolved anyway
            # while the detector still fired): a follow-up too, never swallowed
            previous = incident_resolved_of_kind(finding.kind, finding.key, since=since, until=now)
            wave = WAVE_AGAIN if previous is not None else ""
    incident = Incident.objects.create(
        continues=previous,
        kind=finding.kind,
        key=finding.key,
        title=finding.title[:300],
        severity=finding.severity,
        trigger=finding.trigger(),
        last_evaluation=_evaluation(finding, now),
        opened_at=now,
        last_detected_at=now,
    )
    linked = _link(incident, finding.review_ids, now)
    said = ""
    if previous is not None:
        what = (
            "a new wave of a false claim it held"
            if wave == WAVE_CLAIM
            else f"the {IncidentKind(finding.kind).label.lower()} came back after it was resolved"
        )
        said = (
            f" Follow-up of incident #{previous.pk}, resolved "
            f"{duration(now - previous.resolved_at)} before: {what}."
        )
    event_add(
        incident=incident,
        kind=EventKind.OPENED,
        message=f"Opened ({finding.severity}): {finding.explanation} {linked} "
        f"mention{pluralize(linked)} linked.{said}",
        actor=DETECTOR,
        data={
            **finding.trigger(),
            **({"continues": previous.pk, "wave": wave} if previous else {}),
        },
        at=now,
    )
    figures_changed()
    return incident


def _evaluation(finding: Finding, now: datetime) -> dict:
    """The detector's last word on an incident: its trigger, whether it fired, and when."""
    return {**finding.trigger(), "fired": finding.fired, "evaluated_at": now.isoformat()}


def _quiet(incident: Incident, now: datetime) -> None:
    last = incident.last_evaluation or incident.trigger or {}
    incident.last_evaluation = {**last, "fired": False, "evaluated_at": now.isoformat()}
    incident.save(update_fields=["last_evaluation", "updated_at"])


def _incident_update(incident: Incident, finding: Finding, now: datetime) -> None:
    added = _link(incident, finding.review_ids, now)
    if added:
        total = IncidentMention.objects.filter(incident=incident).count()
        event_add(
            incident=incident,
            kind=EventKind.MENTIONS_ADDED,
            message=f"{added} more related mention{pluralize(added)} linked ({total} in all).",
            actor=DETECTOR,
            data={"review_ids": finding.review_ids[-200:], "added": added},
            at=now,
        )
    if not finding.fired:
        return
    fields = ["last_detected_at", "last_evaluation", "updated_at"]
    incident.last_detected_at = now
    incident.last_evaluation = _evaluation(finding, now)
    if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity]:
        event_add(
            incident=incident,
            kind=EventKind.SEVERITY_RAISED,
            message=f"Severity raised from {incident.severity} to {finding.severity}: "
            f"{finding.explanation}",
            actor=DETECTOR,
            data={
                **finding.trigger(),
                "severity_from": incident.severity,
                "severity_to": finding.severity,
            },
            at=now,
        )
        incident.severity = finding.severity
        fields.append("severity")
    incident.save(update_fields=fields)


def _incident_merge(incident: Incident, finding: Finding, now: datetime) -> None:
    """Another detector sees the same crisis: its mentions join the incident, and the first
    time it says so on the timeline."""
    _link(incident, finding.review_ids, now)
    said = incident.events.filter(
        kind=EventKind.ALSO_DETECTED, data__kind=finding.kind, data__key=finding.key
    ).exists()
    if not said:
        event_add(
            incident=incident,
            kind=EventKind.ALSO_DETECTED,
            message=f"Also detected ({finding.kind.replace('_', ' ')}): {finding.explanation}",
            actor=DETECTOR,
            data={**finding.trigger(), "key": finding.key},
            at=now,
        )
    if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity]:
        event_add(
            incident=incident,
            kind=EventKind.SEVERITY_RAISED,
            message=f"Severity raised from {incident.severity} to {finding.severity}.",
            actor=DETECTOR,
            data={"severity_from": incident.severity, "severity_to": finding.severity},
            at=now,
        )
        incident.severity = finding.severity
        incident.save(update_fields=["severity", "updated_at"])


def _engagement_sample(history: History, now: datetime, t: Thresholds, *, prune: bool) -> None:
    """Remember the engagement of recent posts whose count changed, to measure growth."""
    candidates = [
        i
        for i in history.between(now - timedelta(hours=t.viral_max_age_hours), now)
        if i.engagement
    ]
    new = []
    for item in candidates:
        samples = history.samples.get(item.id)
        if not samples or samples[-1][1] != item.engagement:
            new.append(EngagementSample(review_id=item.id, engagement=item.engagement, at=now))
    EngagementSample.objects.bulk_create(new)
    if prune:
        EngagementSample.objects.filter(at__lt=now - SAMPLE_KEEP).delete()
