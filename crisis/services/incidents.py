"""Running an incident: status changes (only the allowed ones), notes, assignees."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import User
from accounts.selectors import user_is_agency_staff
from clinics.access import ClinicAccess, user_access
from clinics.models import Clinic, CrisisRole
from clinics.notifications import notifications_close, people_notify
from clinics.preferences import ROLE_ENDED
from core.errors import Conflict, NotFound, ValidationFailed
from core.incidents import alert_ref, grew_ref
from core.rollup import figures_changed
from core.tenancy import current_clinic
from core.text import reason_problem
from crisis.models import (
    AckChannel,
    EventKind,
    Incident,
    IncidentAssignment,
    IncidentEvent,
    IncidentMention,
    IncidentStatement,
    IncidentStatus,
)
from crisis.room import role_assigned_words
from crisis.selectors import (
    crisis_team,
    people_eligible,
    resolve_checklist,
    response_plan_current,
)
from crisis.services.common import DETECTOR, SYSTEM, event_add
from crisis.services.detection import title_ended
from responses.models import ReplyDraft, Statement
from responses.services.statements import statement_create

logger = logging.getLogger(__name__)

S = IncidentStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.OPEN: (S.ACKNOWLEDGED, S.RESPONDING, S.RESOLVED),
    S.ACKNOWLEDGED: (S.RESPONDING, S.RESOLVED),
    S.RESPONDING: (S.RESOLVED,),
    S.RESOLVED: (S.REVIEWED,),
    S.REVIEWED: (),
}
MAX_NOTE = 5000


def _locked(incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("No such incident.")
    return incident


def incident_status_set(
    *,
    incident_id: int,
    status: str,
    actor: Actor,
    message: str = "",
    channel: str = "web",
    override_reason: str = "",
    responding: str = "",
    now: datetime | None = None,
) -> Incident:
    """Move an incident along open → acknowledged → responding → resolved → reviewed (steps
    may be skipped forward, never back; see `TRANSITIONS`). Anything else is refused with
    code `invalid_transition` and changes nothing. Moving past `open` counts as acknowledging;
    resolving drafts the post-crisis review and emits `incident.resolved` after commit;
    marking reviewed freezes the review's metrics. The first step past `open` is the
    acknowledgement: the timeline names who and through which `channel` (an AckChannel), and
    the incident leaves everyone's banner.

    Resolving needs the resolve checklist (`crisis.selectors.resolve_checklist`) all clear, or
    an `override_reason` ("resolve anyway"): otherwise 409 `checklist_open` with the open
    items, and nothing changes. The reason and the items open at that moment are kept on the
    status-change event's `data` (`override_reason`, `open_items`), which the post-crisis
    review shows. Resolving an incident already resolved (or reviewed) is a 409
    `already_resolved`; acknowledging an acknowledged one a 409 `already_acknowledged` naming
    who and when.

    `responding` (with status acknowledged): what the actor did that acknowledges it (see
    `incident_acknowledge_by_acting`); the timeline says "(by responding: ...)". Resolving
    closes everyone's "You are <role> for the incident" message: nothing waits for them."""
    from crisis.services.reviews import review_draft, review_freeze

    now = now or timezone.now()
    if status not in S.values:
        raise ValidationFailed(
            "Unknown status.", code="invalid", fields={"status": [f"Choose {S.values}."]}
        )
    message = (message or "").strip()[:MAX_NOTE]
    override_reason = (override_reason or "").strip()
    if override_reason and status != S.RESOLVED:
        raise ValidationFailed(
            "Only resolving takes a reason to go ahead.",
            fields={"override_reason": ["Leave it empty unless you resolve."]},
        )
    if override_reason and (problem := reason_problem(override_reason)):
        raise ValidationFailed("Say why you resolve anyway.", fields={"override_reason": [problem]})
    if len(override_reason) > MAX_NOTE:
        raise ValidationFailed(
            "Reason too long.", fields={"override_reason": [f"At most {MAX_NOTE} characters."]}
        )
    with transaction.atomic():
        incident = _locked(incident_id)
        if status == S.RESOLVED and incident.status in (S.RESOLVED, S.REVIEWED):
            raise Conflict(
                f"The incident is already {incident.status}: nothing changed.",
                code="already_resolved",
            )
        if status == S.ACKNOWLEDGED and incident.status == S.ACKNOWLEDGED:
            # two people clicking at once, or a pager retrying: no "bad request" it did not make
            when = incident.acknowledged_at.isoformat() if incident.acknowledged_at else ""
            raise Conflict(
                f"The incident is already acknowledged by {incident.acknowledged_by or 'someone'}"
                f"{' at ' + when if when else ''}: nothing changed.",
                code="already_acknowledged",
            )
        allowed = TRANSITIONS[incident.status]
        if status not in allowed:
            raise ValidationFailed(
                f"An incident that is {incident.status} cannot become {status}.",
                code="invalid_transition",
                fields={"status": [f"Allowed now: {', '.join(allowed) or 'nothing'}."]},
            )
        resolve_data = {}
        if status == S.RESOLVED:
            checklist = resolve_checklist(incident)
            if not checklist["clear"] and not override_reason:
                raise Conflict(
                    "Not all clear: resolve anyway with a reason, or finish these first.",
                    code="checklist_open",
                    fields={
                        "open_items": checklist["open"],
                        "override_reason": ["Give a reason to resolve anyway."],
                    },
                )
            if not checklist["clear"]:
                resolve_data = {
                    "override_reason": override_reason,
                    "open_items": checklist["open"],
                }
        previous = incident.status
        incident.status = status
        fields = ["status", "updated_at"]
        first_ack = incident.acknowledged_at is None
        if first_ack:
            incident.acknowledged_at, incident.acknowledged_by = now, actor.name[:200]
            fields += ["acknowledged_at", "acknowledged_by"]
        stamps = {
            S.RESPONDING: "responding_at",
            S.RESOLVED: "resolved_at",
            S.REVIEWED: "reviewed_at",
        }
        if status in stamps:
            setattr(incident, stamps[status], now)
            fields.append(stamps[status])
        if status == S.RESOLVED and (ended := title_ended(incident.title)) != incident.title:
            incident.title = ended  # the e-mails, the review and the portal say "in all"
            fields.append("title")
        incident.save(update_fields=fields)
        via = AckChannel(channel).label if channel in AckChannel.values else channel
        if status != S.ACKNOWLEDGED:
            text = f"Status {S(previous).label.lower()} → {S(status).label.lower()}."
        elif responding:
            text = f"Acknowledged by {actor.name} (by responding: {responding})."
        else:
            text = f"Acknowledged by {actor.name} via {via}."
        if first_ack and status == S.RESOLVED:
            # resolving acknowledges it (the alerts leave the banners); the timeline and the
            # post-crisis review say nobody had
            text += " Nobody had acknowledged it before."
        if resolve_data:
            text += (
                f" Resolved anyway, with {len(resolve_data['open_items'])} item(s) open; "
                f"reason: {override_reason}"
            )
        event_add(
            incident=incident,
            kind=EventKind.ACKNOWLEDGED if status == S.ACKNOWLEDGED else EventKind.STATUS_CHANGED,
            message=f"{text} {message}".strip(),
            actor=actor,
            data={
                "from": previous,
                "to": status,
                "channel": channel,
                **({"responding": responding} if responding else {}),
                **resolve_data,
            },
            at=now,
        )
        if first_ack:
            notifications_close(clinic=current_clinic(), ref=alert_ref(incident.pk))
        if status == S.RESOLVED:
            for role in CrisisRole.values:
                notifications_close(clinic=current_clinic(), ref=_assigned_ref(incident.pk, role))
            notifications_close(clinic=current_clinic(), ref=grew_ref(incident.pk))
            review_draft(incident=incident, now=now)
            schema = connection.schema_name
            transaction.on_commit(lambda: _resolved_webhook(schema, incident.pk))
        elif status == S.REVIEWED:
            review_freeze(incident=incident, now=now)
        figures_changed()
    return incident


def _resolved_webhook(schema: str, incident_id: int) -> None:
    from django_tenants.utils import schema_context

    from crisis.services.notifications import webhook_emit

    with schema_context(schema):
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is None:
            return
        outcome = webhook_emit(
            event="incident.resolved", incident=incident, clinic=current_clinic()
        )
        event_add(
            incident=incident,
            kind=EventKind.NOTIFIED if outcome == "emitted" else EventKind.NOTIFY_FAILED,
            message=f"Webhook incident.resolved: {outcome}.",
            data={"webhook": "incident.resolved", "outcome": outcome},
        )


def incident_resolve(
    *,
    incident_id: int,
    actor: Actor,
    override_reason: str = "",
    channel: str = "web",
    now: datetime | None = None,
) -> Incident:
    """Resolve: all clear on the checklist, or anyway with a written reason (see
    `incident_status_set`)."""
    return incident_status_set(
        incident_id=incident_id,
        status=S.RESOLVED,
        actor=actor,
        override_reason=override_reason,
        channel=channel,
        now=now,
    )


def incident_acknowledge(
    *, incident_id: int, actor: Actor, channel: str = "web", now: datetime | None = None
) -> Incident:
    return incident_status_set(
        incident_id=incident_id, status=S.ACKNOWLEDGED, actor=actor, channel=channel, now=now
    )


def incident_note_add(
    *, incident_id: int, message: str, actor: Actor, shared_with_clinic: bool = False
) -> IncidentEvent:
    """Add a note to the timeline and return it. A note is the agency's own (its room only)
    unless `shared_with_clinic`: then the clinic reads it too, in its portal and in the
    post-crisis review sent to it."""
    message = (message or "").strip()
    if not message:
        raise ValidationFailed("Write a note.", fields={"message": ["This field is required."]})
    if len(message) > MAX_NOTE:
        raise ValidationFailed(
            "Note too long.", fields={"message": [f"At most {MAX_NOTE} characters."]}
        )
    with transaction.atomic():
        incident = _locked(incident_id)
        note = event_add(
            incident=incident,
            kind=EventKind.NOTE,
            message=message,
            actor=actor,
            shared_with_clinic=shared_with_clinic,
        )
        incident_acknowledge_by_acting(incident_id=incident.pk)
    return note


def incident_statement_draft(
    *, incident_id: int, access: ClinicAccess, title: str, body: str
) -> Statement:
    """Draft an official statement from the incident: the statement (guard-checked, approved
    and published by responses) belongs to the incident, and the timeline says so."""
    with transaction.atomic():
        incident = _locked(incident_id)
        statement = statement_create(access=access, title=title, body=body)
        IncidentStatement.objects.create(
            incident=incident, statement=statement, added_at=timezone.now()
        )
        event_add(
            incident=incident,
            kind=EventKind.STATEMENT_DRAFTED,
            message=f"Statement drafted: {statement.title}",
            actor=access.actor,
            data={"statement_id": statement.pk},
        )
        incident_acknowledge_by_acting(incident_id=incident.pk)
    return statement


# --- acting on an incident acknowledges it ------------------------------------------------

# What a person does on the incident's timeline that shows someone owns it.
_ACTS = {
    EventKind.ASSIGNED: "assigned the team",
    EventKind.NOTE: "added a note",
    EventKind.STATEMENT_DRAFTED: "drafted a statement",
}
_CARRYING = "responding"  # Actor.of_system part: the ack is carried for the person who acted


def incident_first_act(incident: Incident, *, now: datetime | None = None) -> dict | None:
    """The first thing a person (or an API key) did on the incident after it opened, up to
    `now`: {"at", "who", "what"}, or None while nobody acted. Acting is assigning its team,
    adding a note, drafting a statement from it (each on its timeline), or drafting or
    publishing a reply to one of its mentions. Carewatch's own steps (detectors, alerts,
    publishing) are not acts."""
    now = now or timezone.now()
    start = incident.opened_at
    found = []
    event = (
        IncidentEvent.objects.filter(
            incident=incident, kind__in=list(_ACTS), at__gte=start, at__lte=now
        )
        .exclude(actor__in=[SYSTEM.name, DETECTOR.name, "system"])
        # a person's incident role ended because they left the agency (crisis.leavers) is
        # bookkeeping of the removal, not somebody responding
        .exclude(kind=EventKind.ASSIGNED, data__has_key="left")
        .order_by("at", "id")
        .first()
    )
    if event is not None:
        found.append({"at": event.at, "who": event.actor, "what": _ACTS[event.kind]})
    mentions = IncidentMention.objects.filter(incident=incident).values("review_id")
    replies = ReplyDraft.objects.filter(review_id__in=mentions).exclude(
        author_label__startswith="system:"
    )
    drafted = replies.filter(created_at__gte=start, created_at__lte=now).order_by("created_at")
    if (reply := drafted.first()) is not None:
        found.append(
            {
                "at": reply.created_at,
                "who": reply.author_name or "someone",
                "what": "drafted a reply to one of its mentions",
            }
        )
    posted = replies.filter(published_at__gte=start, published_at__lte=now)
    if (reply := posted.order_by("published_at").first()) is not None:
        found.append(
            {
                "at": reply.published_at,
                "who": reply.author_name or "someone",
                "what": "a reply to one of its mentions was published",
            }
        )
    return min(found, key=lambda act: act["at"], default=None)


def incident_acknowledge_by_acting(
    *, incident_id: int, now: datetime | None = None
) -> Incident | None:
    """The one rule: acting on an open incident acknowledges it, as of when and by whom the
    first act was (`incident_first_act`); the timeline says "Acknowledged by <who> (by
    responding: <what>)", the alerts leave the banners, and it will not escalate. Returns the
    incident when this acknowledged it; None when it was not open or nobody acted yet."""
    with transaction.atomic():
        incident = _locked(incident_id)
        if incident.status != S.OPEN:
            return None
        act = incident_first_act(incident, now=now)
        if act is None:
            return None
        return incident_status_set(
            incident_id=incident.pk,
            status=S.ACKNOWLEDGED,
            actor=Actor.of_system(_CARRYING, act["who"]),
            channel=_CARRYING,
            responding=act["what"],
            now=act["at"],
        )


def incidents_acknowledge_by_acting(*, now: datetime | None = None) -> list[Incident]:
    """Every open incident of the current clinic that somebody acted on, acknowledged (the
    escalation check runs it first: a team that is visibly responding is not escalated)."""
    acknowledged = []
    for incident in Incident.objects.filter(status=S.OPEN):
        # read without a lock first: the sweep runs every minute over every open incident,
        # and the locked rule (which reads again) only where somebody did act
        if incident_first_act(incident, now=now) is None:
            continue
        if (done := incident_acknowledge_by_acting(incident_id=incident.pk, now=now)) is not None:
            acknowledged.append(done)
    return acknowledged


def incident_assign(
    *, incident_id: int, clinic: Clinic, role: str, user_id: int | None, actor: Actor
) -> Incident:
    """Give one crisis role of the incident to a person of the clinic or of its agency
    (`user_id` None clears it)."""
    if role not in CrisisRole.values:
        raise ValidationFailed("Unknown role.", fields={"role": [f"Choose {CrisisRole.values}."]})
    label = _eligible_label(clinic=clinic, role=role, user_id=user_id, field="user_id")
    role_label = CrisisRole(role).label
    with transaction.atomic():
        incident = _locked(incident_id)
        previous = IncidentAssignment.objects.filter(incident=incident, role=role).first()
        if user_id is None:
            IncidentAssignment.objects.filter(incident=incident, role=role).delete()
            message = f"{role_label}: unassigned."
        else:
            IncidentAssignment.objects.update_or_create(
                incident=incident, role=role, defaults={"user_id": user_id, "user_label": label}
            )
            message = f"{role_label}: {label}."
        event_add(
            incident=incident,
            kind=EventKind.ASSIGNED,
            message=message,
            actor=actor,
            data={"role": role, "user_id": user_id},
        )
        if previous is not None and previous.user_id != user_id:
            _role_ended(incident=incident, clinic=clinic, role=role, previous=previous, label=label)
        if user_id is not None and (previous is None or previous.user_id != user_id):
            people_notify(
                users=User.objects.filter(pk=user_id),
                clinic=clinic,
                kind="assigned",
                ref=_assigned_ref(incident.pk, role),
                title=f"You are {role_label} for the incident “{incident.title}”",
                url=_incident_url_for(clinic, incident, user_id),
                detail=role_assigned_words(
                    incident,
                    clinic,
                    role=role,
                    plan_text=_plan_text(),
                    by="" if actor.user is not None and actor.user.pk == user_id else actor.name,
                ),
            )
        incident = incident_acknowledge_by_acting(incident_id=incident.pk) or incident
    return incident


def _plan_text() -> str | None:
    plan = response_plan_current()
    return plan.text if plan else None


def _role_ended(
    *, incident: Incident, clinic: Clinic, role: str, previous: IncidentAssignment, label
) -> None:
    """The role left `previous.user_id`: "You are <role> for the incident" leaves the banner of
    whoever still had it open (the person it goes to is told anew), and the person it left is
    told once, in-app and by e-mail, who holds it now (`label`, None: nobody assigned, so
    the clinic's own crisis team for that role holds it, where it has one)."""
    notifications_close(clinic=clinic, ref=_assigned_ref(incident.pk, role))
    if label is not None:
        now = f"{label} took it over"
    else:
        team = [
            m.user.full_name or m.user.email for m in crisis_team(clinic) if role in m.crisis_roles
        ]
        now = (
            f"it is unassigned, so the clinic's crisis team holds it ({', '.join(team)})"
            if team
            else "it is unassigned"
        )
    role_label = CrisisRole(role).label
    people_notify(
        users=User.objects.filter(pk=previous.user_id),
        clinic=clinic,
        kind=ROLE_ENDED,
        ref=f"{_assigned_ref(incident.pk, role)}:ended",
        title=f"You are no longer {role_label} for the incident “{incident.title}” at "
        f"{clinic.name}; {now}",
        url=_incident_url_for(clinic, incident, previous.user_id),
        waits=False,
    )


def _incident_url_for(clinic: Clinic, incident: Incident, user_id: int) -> str:
    """Where a message about the incident leads this person: the room for the agency's staff,
    the clinic's incident page in its portal (and its branded sign-in) for the clinic's
    people, as the alerts lead them (`crisis.views_alerts.notification_url`)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None and user_is_agency_staff(user):
        return f"/clinics/{clinic.slug}/incidents/{incident.pk}/"
    return f"/clinics/{clinic.slug}/portal/incidents/{incident.pk}/"


def _eligible_label(*, clinic: Clinic, role: str, user_id: int | None, field: str) -> str | None:
    """How the team names `user_id` in `role` (None: nobody); someone who may not take the
    role is refused, the reason under `field`."""
    if user_id is None:
        return None
    label = dict(people_eligible(clinic, role)).get(user_id)
    if label is None:
        raise ValidationFailed(
            "This person cannot take this role.",
            fields={field: [_not_eligible_why(clinic=clinic, role=role, user_id=user_id)]},
        )
    return label


def _assigned_ref(incident_id: int, role: str) -> str:
    """The ref of the "You are <role> for the incident" message."""
    return f"incident:{incident_id}:role:{role}"


def _not_eligible_why(*, clinic: Clinic, role: str, user_id: int) -> str:
    """Why a person cannot take `role` (see `people_eligible`); "Unknown person." for someone
    who cannot reach the clinic at all, so that nobody learns who exists elsewhere."""
    user = User.objects.filter(pk=user_id).first()
    access = user_access(user, clinic) if user is not None else None
    if access is None:
        return "Unknown person."
    name = user.full_name or user.email
    if role == CrisisRole.LEGAL and access.is_agency_staff:
        return (
            f"{name} is the agency's staff: Legal / compliance is the clinic's own role, for "
            "its people who hold the legal crisis role."
        )
    if role == CrisisRole.CLINICIAN and access.is_agency_staff:
        return (
            f"{name} is the agency's staff: Clinician is the clinic's own role, for its people "
            "who hold the clinician crisis role (they check replies that state health details)."
        )
    if not access.acts_on_incidents:
        return f"{name} cannot act on incidents in this clinic ({access.role_label})."
    return f"{name} does not hold the {CrisisRole(role).label} crisis role in this clinic."


def incident_team_set(
    *, incident_id: int, clinic: Clinic, roles: dict[str, int | None], actor: Actor
) -> list[str]:
    """Assign several roles at once (one form), all or nothing: only the roles whose person
    changed are written and notified, after every one of them was checked (a role refused is
    a ValidationFailed under its field, `role_<role>`, and nothing is written or sent); the
    notices and e-mails go once the whole team is saved. The incident is locked before the
    team is read (as `incident_assign` does): two saves at once go one after the other, the
    second changing only what still differs from the first's team. Returns the roles
    changed."""
    with transaction.atomic():
        _locked(incident_id)
        current = {
            a.role: a.user_id for a in IncidentAssignment.objects.filter(incident_id=incident_id)
        }
        changed = [r for r, uid in roles.items() if current.get(r) != uid]
        problems: dict[str, list[str]] = {}
        for role in changed:
            field = f"role_{role}"
            if role not in CrisisRole.values:
                problems[field] = ["Unknown role."]
                continue
            try:
                _eligible_label(clinic=clinic, role=role, user_id=roles[role], field=field)
            except ValidationFailed as exc:
                problems.update(exc.fields)
        if problems:
            raise ValidationFailed(
                "The team cannot be saved: nothing was changed.", fields=problems
            )
        for role in changed:
            incident_assign(
                incident_id=incident_id, clinic=clinic, role=role, user_id=roles[role], actor=actor
            )
    return changed
