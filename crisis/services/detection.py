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
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from core.rollup import figures_changed
from core.tenancy import current_clinic
from crisis.detectors import (
    MISINFORMATION,
    VIRAL,
    Finding,
    History,
    Thresholds,
    duration,
    evaluate,
    merge_target,
)
from crisis.models import (
    SEVERITY_RANK,
    EngagementSample,
    EventKind,
    Incident,
    IncidentMention,
)
from crisis.selectors import (
    detector_settings_get,
    false_claims_of,
    history_load,
    incident_resolved_of_claims,
    incidents_active,
    incidents_resolved_since,
    mentions_handled,
    mentions_held_by_resolved,
)
from crisis.services.common import DETECTOR, LOCK_DETECTORS, event_add, schema_lock
from feeds.models import Review

logger = logging.getLogger(__name__)
SAMPLE_KEEP = timedelta(days=8)
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
        for key, incident in before.items():
            # the resolve checklist reads whether the crisis is still detected
            if key not in firing:
                _quiet(incident, now)
            elif firing[key].kind != incident.kind:
                incident.last_evaluation = _evaluation(firing[key], now)
                incident.save(update_fields=["last_evaluation", "updated_at"])
        if thresholds.viral_enabled:
            _engagement_sample(history, now, thresholds, prune=review_ids is None)
        if notify and opened:
            schema = connection.schema_name
            ids = [incident.pk for incident in opened]
            transaction.on_commit(lambda: _notify_opened(schema, ids))
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
            message=f"{added} more mention(s) of its false claim"
            f"{'s' if len(held) > 1 else ''} linked ({total} in all).",
            actor=DETECTOR,
            data={"review_ids": ids[-200:], "added": added, "claim_ids": held},
            at=now,
        )
    return members


def _incident_open(finding: Finding, now: datetime, new_wave_hours: int = 0) -> Incident:
    previous = (
        incident_resolved_of_claims(
            finding.review_ids, since=now - timedelta(hours=new_wave_hours), until=now
        )
        if new_wave_hours
        else None
    )
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
    wave = ""
    if previous is not None:
        wave = (
            f" Follow-up of incident #{previous.pk}, resolved "
            f"{duration(now - previous.resolved_at)} before: a new wave of a false claim it held."
        )
    event_add(
        incident=incident,
        kind=EventKind.OPENED,
        message=f"Opened ({finding.severity}): {finding.explanation} {linked} mention(s) "
        f"linked.{wave}",
        actor=DETECTOR,
        data={**finding.trigger(), **({"continues": previous.pk} if previous else {})},
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
            message=f"{added} more related mention(s) linked ({total} in all).",
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
            data=finding.trigger(),
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
