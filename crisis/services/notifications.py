"""Telling people: the agency people responsible and the crisis team when an incident opens;
the same people and the agency's owners and managers when nobody acknowledges it in time;
integrators through outbound webhooks.

E-mails carry the clinic, the trigger in words (`crisis.room.incident_words`: counts and
"times the usual", no statistics), times in the clinic's zone and a link; never the text of a
review (it may hold a patient's health details). What could not be delivered is on the
timeline in words the people who read it understand (`mail_failure_words`,
`clinics.alerting.ChatSent.reason`: "the mail server did not answer"); the exception's name
and details go to the log, for the engineers."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from agency.brand_links import brand_link
from agency.branding import brand_reply_to, brand_sender
from clinics.alerting import chat_send, chat_webhooks_for
from clinics.models import Clinic, clinic_zone
from clinics.notifications import notifications_close, people_notify
from clinics.preferences import NOW, email_when, preferences_for
from core.incidents import alert_ref, alert_title, grew_ref
from core.mail import Mail
from core.tenancy import current_clinic
from core.text import one_line
from crisis.models import AckChannel, EventKind, Incident, IncidentMention, IncidentStatus
from crisis.room import FollowUpOf, follow_up_of, local
from crisis.selectors import detector_settings_get
from crisis.services.alerting import (
    Recipient,
    ack_token_make,
    ack_url,
    escalation_contacts,
    escalation_recipients,
    growth_recipients,
    incident_recipients,
    slack_message,
    teams_message,
    trigger_said,
)
from crisis.services.common import INCIDENT_GREW, SYSTEM, event_add
from crisis.services.incidents import incidents_acknowledge_by_acting
from webhooks.services import webhook_event_emit, webhook_time

logger = logging.getLogger(__name__)


def incident_url(clinic: Clinic, incident: Incident) -> str:
    return f"{settings.PUBLIC_BASE_URL}/clinics/{clinic.slug}/incidents/{incident.pk}/"


def incident_payload(incident: Incident, clinic: Clinic) -> dict:
    """The incident as webhooks see it (no review text), with the names of the API's incident:
    `trigger` (`kind`, `explanation`, `numbers`), `mention_count` and `continues` (the id of
    the earlier incident this one continues, or None: `crisis.room.FollowUpOf`). The top-level
    `explanation`, `numbers` and `mentions` (a count) are still sent, deprecated, until the
    release after 2026-12-03 (CHANGELOG.md)."""
    numbers = incident.trigger.get("numbers", {})
    if numbers.get("since"):  # the build-up's start, kept as text: sent as every time is
        numbers = {**numbers, "since": webhook_time(numbers["since"])}
    trigger = {
        "kind": incident.trigger.get("kind", incident.kind),
        "explanation": incident.trigger.get("explanation", ""),
        "numbers": numbers,
    }
    mention_count = IncidentMention.objects.filter(incident=incident).count()
    return {
        "clinic": clinic.slug,
        "incident": {
            "id": incident.pk,
            "kind": incident.kind,
            "key": incident.key,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "trigger": trigger,
            "opened_at": incident.opened_at,
            "acknowledged_at": incident.acknowledged_at,
            "resolved_at": incident.resolved_at,
            "mention_count": mention_count,
            "continues": incident.continues_id,
            "url": incident_url(clinic, incident),
            "explanation": trigger["explanation"],  # deprecated: trigger.explanation
            "numbers": trigger["numbers"],  # deprecated: trigger.numbers
            "mentions": mention_count,  # deprecated: mention_count
        },
    }


def growth_payload(incident: Incident, grew: str) -> dict:
    """What grew at the incident's latest growth step, as `incident.grew` sends it beside the
    incident: `summary` (the alert's words), `since` (the alert before it, or the opening)
    and the incident's `severity`, `mention_count` and `detector_kinds` then (`previous`)
    and now (`current`), as the detectors recorded them on the timeline (`data.grew`)."""
    step = (
        incident.events.filter(kind=EventKind.NOTIFIED, data__has_key="grew")
        .order_by("-at", "-id")
        .first()
    )
    data = step.data["grew"] if step is not None else {}
    mentions = data.get("mentions", 0)
    return {
        "summary": grew,
        "since": webhook_time(data.get("since")),
        "previous": {
            "severity": data.get("severity_before", incident.severity),
            "mention_count": data.get("mentions_before", mentions - data.get("added", 0)),
            "detector_kinds": data.get("kinds_before", [incident.kind]),
        },
        "current": {
            "severity": data.get("severity", incident.severity),
            "mention_count": mentions,
            "detector_kinds": data.get("kinds_now", [incident.kind]),
        },
    }


def webhook_emit(
    *, event: str, incident: Incident, clinic: Clinic, extra: dict | None = None
) -> str:
    """Emit an outbound webhook event in the current clinic's schema, the incident as
    `incident_payload` has it (`extra`: what the event adds beside it, `incident.grew`'s
    `growth`); says what happened, in words for the timeline (the exception is in the log,
    for the engineers)."""
    try:
        payload = {**incident_payload(incident, clinic), **(extra or {})}
        webhook_event_emit(event=event, payload=payload)
    except Exception:  # noqa: BLE001 - a webhook problem must not stop the e-mails
        logger.exception("webhook %s for incident %s failed", event, incident.pk)
        return "not sent — Carewatch could not queue it (an error on our side, logged for support)"
    return "emitted"


def mail_failure_words(exc: BaseException) -> str:
    """Why e-mails did not go, in words a manager understands ("the mail server did not
    answer"); the exception itself goes to the log, for the engineers."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, TimeoutError) or isinstance(cause, TimeoutError):
        return "the mail server did not answer"  # smtplib says "unexpectedly closed" then
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the mail server refused Carewatch's sign-in (its mail settings need checking)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the addresses"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(exc, smtplib.SMTPException):
        return "the mail server refused them"
    if isinstance(exc, OSError):  # refused, reset, a name that does not resolve
        return "the mail server could not be reached"
    return "an error on our side stopped them (logged for support)"


@dataclass(frozen=True)
class PeopleAlert:
    """What tells people of an incident's opening apart from telling them that it grew: the
    in-app notice (`kind`, `ref`, `title`), the e-mail (`subject`, `template`), and the
    timeline's words (`nobody`: nobody to tell; `that`: what they were alerted of, after
    "Alerted N people"; `not_sent`: what could not be sent; `log`: the log's line)."""

    kind: str
    ref: str
    title: str
    subject: str
    template: str
    nobody: str
    that: str
    not_sent: str
    log: str
    data: dict = field(default_factory=dict)  # on the timeline's events, besides the people
    replaces: bool = False  # the notice replaces the open one of the same `ref`


def _people_alert(
    *,
    incident: Incident,
    clinic: Clinic,
    recipients: list[Recipient],
    mailed: set[int],
    context: Callable[[Recipient], dict],
    alert: PeopleAlert,
) -> None:
    """Tell `recipients` in-app, and e-mail those of them in `mailed` (the e-mail of each
    renders `alert.template` with `context(recipient)`, in the recipients' order); who was told
    through what, what was sent and what failed is on the incident's timeline."""
    if alert.replaces:
        notifications_close(clinic=clinic, ref=alert.ref)
    in_app = people_notify(
        users=[r.user for r in recipients],
        clinic=clinic,
        kind=alert.kind,
        ref=alert.ref,
        title=alert.title,
        url=f"/clinics/{clinic.slug}/incidents/{incident.pk}/",
        severity=incident.severity,
        email=False,
    )
    messages = [
        Mail(
            subject=alert.subject,
            body=render_to_string(alert.template, context(r)),
            from_email=brand_sender(clinic.agency),
            reply_to=brand_reply_to(clinic.agency) or None,
            to=[r.user.email],
        )
        for r in recipients
        if r.user.pk in mailed
    ]
    told = ", ".join(
        f"{r.user.full_name or r.user.email} ({'; '.join(r.why)}: "
        f"{' + '.join((['e-mail'] if r.user.pk in mailed else []) + (['in-app'] if 'in_app' in in_app.get(r.user.pk, []) else [])) or 'nothing'})"
        for r in recipients
    )  # fmt: skip
    data = {"people": [r.user.pk for r in recipients], **alert.data}
    if not recipients:
        event_add(incident=incident, kind=EventKind.NOTIFY_FAILED, message=alert.nobody)
    elif messages:
        try:
            sent = get_connection(fail_silently=False).send_messages(messages) or 0
            event_add(
                incident=incident,
                kind=EventKind.NOTIFIED,
                message=f"Alerted {len(recipients)} people{alert.that}: {told}. "
                f"E-mails sent: {sent}.",
                data={**data, "emails": sent},
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the timeline
            logger.exception(alert.log, incident.pk)
            event_add(
                incident=incident,
                kind=EventKind.NOTIFY_FAILED,
                message=f"{alert.not_sent} not sent: {mail_failure_words(exc)}. In-app: {told}.",
            )
    else:
        event_add(
            incident=incident,
            kind=EventKind.NOTIFIED,
            message=f"Alerted {len(recipients)} people{alert.that} in-app: {told}.",
            data={**data, "emails": 0},
        )


def escalation_due(incident: Incident, minutes: int) -> datetime | None:
    """When `incident` is escalated if nobody acknowledges it or acts on it
    (`incidents_escalate_due`): `minutes` after it opened; None once that no longer runs (it
    was acknowledged, acted on, escalated or resolved before its alert went). An alert says
    it as this time in the clinic's zone, its minutes counted from the opening, never from
    whenever the e-mail is read."""
    if incident.status != IncidentStatus.OPEN or incident.escalated_at is not None:
        return None
    return incident.opened_at + timedelta(minutes=minutes)


def incident_notify_opened(*, incident_id: int) -> None:
    """Route the alert (see `crisis.services.alerting`): the agency people responsible for the
    clinic and its crisis team by e-mail (each with a personal one-click acknowledge link) and
    in-app, the agency's and the clinic's Slack/Teams channels, and `incident.opened` for
    integrators. Each outcome is on the timeline, with who was told through what."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    clinic = current_clinic()
    room = incident_url(clinic, incident)
    recipients = incident_recipients(clinic)
    subject = one_line(  # a header: one line, whatever the clinic's name or the title hold
        f"[{clinic.name}] {incident.get_severity_display()} incident: {incident.title}"
    )
    escalation_minutes = detector_settings_get().escalation_minutes
    # the owners and managers are those it escalates to: their e-mail says what that means
    escalates_to = {m.user_id for m in escalation_contacts(clinic)}
    tz = clinic_zone(clinic)
    escalates_at = escalation_due(incident, escalation_minutes)
    summary = trigger_said(clinic, incident)
    opened = local(incident.opened_at, tz)
    follow = follow_up_of(incident, tz)
    # always at once, whatever else the person turned off (`email_when`): a crisis needs them
    prefs = preferences_for([r.user for r in recipients])
    mailed = {
        r.user.pk
        for r in recipients
        if email_when(prefs[r.user.pk], kind="incident", waits=True) == NOW
    }

    def context(r: Recipient) -> dict:
        token = (
            ack_token_make(
                clinic=clinic, incident=incident, channel=AckChannel.EMAIL, user_id=r.user.pk
            )
            if r.may_act
            else None
        )
        return {
            "clinic": clinic,
            "incident": incident,
            "url": room if r.side == "agency" else portal_incident_url(clinic, incident),
            "room": room,
            "ack_url": ack_url(token) if token else "",
            "escalation_minutes": escalation_minutes,
            "escalates_at": local(escalates_at, tz),
            "escalates_to_you": r.user.pk in escalates_to,
            "why": "; ".join(r.why),
            "name": r.user.full_name or r.user.email,
            "user": r.user,
            "summary": summary,
            "opened": opened,
            **_follow_up_context(clinic, incident, follow, side=r.side),
        }

    _people_alert(
        incident=incident,
        clinic=clinic,
        recipients=recipients,
        mailed=mailed,
        context=context,
        alert=PeopleAlert(
            kind="incident",
            ref=alert_ref(incident.pk),
            title=alert_title(incident.get_severity_display(), incident.title),
            subject=subject,
            template="crisis/email/incident_opened.txt",
            nobody="Nobody to tell: no agency owner, manager or on-call person and no crisis "
            "team (give people crisis roles).",
            that="",
            not_sent="Alert e-mails",
            log="e-mailing the alert of incident %s failed",
        ),
    )
    for hook in chat_webhooks_for(clinic):
        token = ack_token_make(clinic=clinic, incident=incident, channel=hook.kind)
        build = slack_message if hook.kind == "slack" else teams_message
        sent = chat_send(
            hook,
            build(
                clinic=clinic,
                incident=incident,
                ack=ack_url(token),
                room=room,
                follow_up=(follow, incident_url(clinic, incident.continues)) if follow else None,
            ),
        )
        outcome = sent.outcome
        if not sent.ok:  # the technical reason, for the engineers; the timeline says it in words
            logger.warning(
                "incident %s: %s post failed: %s", incident.pk, hook.kind,
                sent.error or f"HTTP {sent.status} {sent.body}",
            )  # fmt: skip
        scope = "clinic" if hook.clinic_id else "agency"
        event_add(
            incident=incident,
            kind=EventKind.NOTIFIED if outcome == "posted" else EventKind.NOTIFY_FAILED,
            message=f"{hook.get_kind_display()} ({scope} channel): {outcome}.",
            data={"chat": hook.kind, "scope": scope, "outcome": outcome},
        )
    outcome = webhook_emit(event="incident.opened", incident=incident, clinic=clinic)
    event_add(
        incident=incident,
        kind=EventKind.NOTIFIED if outcome == "emitted" else EventKind.NOTIFY_FAILED,
        message=f"Webhook incident.opened: {outcome}.",
        data={"webhook": "incident.opened", "outcome": outcome},
    )


def incident_notify_grew(*, incident_id: int, grew: str) -> None:
    """An open incident grew materially (`crisis.services.detection`, `grew`: what, in words):
    the people its alert goes to and its team (`growth_recipients`) are told again through
    the alert's own channels: e-mail at once (with the room's link, and a one-click
    acknowledge link while nobody has), in-app (one open message per person and incident,
    the latest step), and the agency's and the clinic's Slack/Teams channels; integrators get
    `incident.grew` (`growth_payload`). Each outcome is on the timeline, as for the opening
    alert."""
    incident = Incident.objects.select_related("continues").filter(pk=incident_id).first()
    if incident is None or not incident.is_active:
        return
    clinic = current_clinic()
    room = incident_url(clinic, incident)
    recipients = growth_recipients(clinic, incident)
    tz = clinic_zone(clinic)
    summary = trigger_said(clinic, incident)
    unacknowledged = incident.status == IncidentStatus.OPEN

    def context(r: Recipient) -> dict:
        token = (
            ack_token_make(
                clinic=clinic, incident=incident, channel=AckChannel.EMAIL, user_id=r.user.pk
            )
            if r.may_act and unacknowledged
            else None
        )
        return {
            "clinic": clinic,
            "incident": incident,
            "grew": grew,
            "url": room if r.side == "agency" else portal_incident_url(clinic, incident),
            "ack_url": ack_url(token) if token else "",
            "acknowledged": local(incident.acknowledged_at, tz),
            "acknowledged_by": incident.acknowledged_by,
            "why": "; ".join(r.why),
            "name": r.user.full_name or r.user.email,
            "summary": summary,
            "opened": local(incident.opened_at, tz),
        }

    _people_alert(
        incident=incident,
        clinic=clinic,
        recipients=recipients,
        mailed={r.user.pk for r in recipients},  # every one of them, at once
        context=context,
        alert=PeopleAlert(
            kind=INCIDENT_GREW,
            ref=grew_ref(incident.pk),
            title=f"Incident grew: {incident.title}",
            subject=one_line(f"[{clinic.name}] Incident grew: {incident.title}"),
            template="crisis/email/incident_grew.txt",
            nobody="Nobody to tell that it grew: no agency owner, manager or on-call person, "
            "no crisis team and nobody on its team.",
            that=" that it grew",
            not_sent="E-mails that it grew",
            log="e-mailing that incident %s grew failed",
            data={"growth": True},
            replaces=True,  # the latest step replaces the one before
        ),
    )
    for hook in chat_webhooks_for(clinic):
        token = ack_token_make(clinic=clinic, incident=incident, channel=hook.kind)
        build = slack_message if hook.kind == "slack" else teams_message
        sent = chat_send(
            hook,
            build(clinic=clinic, incident=incident, ack=ack_url(token), room=room, grew=grew),
        )
        if not sent.ok:
            logger.warning(
                "incident %s growth: %s post failed: %s", incident.pk, hook.kind,
                sent.error or f"HTTP {sent.status} {sent.body}",
            )  # fmt: skip
        scope = "clinic" if hook.clinic_id else "agency"
        event_add(
            incident=incident,
            kind=EventKind.NOTIFIED if sent.outcome == "posted" else EventKind.NOTIFY_FAILED,
            message=f"{hook.get_kind_display()} ({scope} channel), that it grew: {sent.outcome}.",
            data={"chat": hook.kind, "scope": scope, "outcome": sent.outcome, "growth": True},
        )
    outcome = webhook_emit(
        event="incident.grew",
        incident=incident,
        clinic=clinic,
        extra={"growth": growth_payload(incident, grew)},
    )
    event_add(
        incident=incident,
        kind=EventKind.NOTIFIED if outcome == "emitted" else EventKind.NOTIFY_FAILED,
        message=f"Webhook incident.grew: {outcome}.",
        data={"webhook": "incident.grew", "outcome": outcome, "growth": True},
    )


def portal_incident_url(clinic: Clinic, incident: Incident) -> str:
    """The incident in the clinic's portal, as its people's e-mails link it: signed with the
    clinic's brand (`agency.brand_links`), so the sign-in page it leads to, signed out, carries
    the agency's brand as the e-mail did."""
    path = f"/clinics/{clinic.slug}/portal/incidents/{incident.pk}/"
    return f"{settings.PUBLIC_BASE_URL}{brand_link(path)}"


def _follow_up_context(
    clinic: Clinic, incident: Incident, follow: FollowUpOf | None, *, side: str
) -> dict:
    """An alert e-mail's line on the incident this one continues (`crisis.room.FollowUpOf`),
    linked where its reader goes: the agency's people to the room, the clinic's to the
    portal, as the e-mail's own link."""
    if follow is None:
        return {}
    earlier = incident.continues
    url = (
        incident_url(clinic, earlier) if side == "agency" else portal_incident_url(clinic, earlier)
    )
    return {"follow_up_of": follow, "follow_up_url": url}


def incidents_escalate_due(*, now: datetime | None = None) -> list[Incident]:
    """Escalate the clinic's incidents still unacknowledged `escalation_minutes` after they
    opened (acting on one acknowledges it first: `incidents_acknowledge_by_acting`): each at
    most once (recorded on the timeline), e-mailing after commit the agency's owners and
    managers and everyone the first alert went to (`escalation_recipients`), each once, with
    a personal one-click acknowledge link for those who may act."""
    now = now or timezone.now()
    if not Incident.objects.filter(status=IncidentStatus.OPEN, opened_at__lte=now).exists():
        return []
    # a team visibly responding (a reply drafted or posted, the team assigned, a statement
    # drafted) has acknowledged it: one rule, `incident_acknowledge_by_acting`
    incidents_acknowledge_by_acting(now=now)
    minutes = detector_settings_get().escalation_minutes
    with transaction.atomic():
        due = list(
            Incident.objects.select_for_update(skip_locked=True).filter(
                status=IncidentStatus.OPEN,
                escalated_at__isnull=True,
                opened_at__lte=now - timedelta(minutes=minutes),
            )
        )
        if not due:
            return []
        clinic = current_clinic()
        contacts = escalation_contacts(clinic)
        recipients = escalation_recipients(clinic)
        names = ", ".join(f"{m.user.full_name or m.user.email} ({m.role})" for m in contacts)
        told = ", ".join(r.user.full_name or r.user.email for r in recipients)
        for incident in due:
            incident.escalated_at = now
            incident.save(update_fields=["escalated_at", "updated_at"])
            event_add(
                incident=incident,
                kind=EventKind.ESCALATED,
                message=f"Nobody acknowledged within {minutes} min: escalated to the agency's "
                f"owners and managers ({names or 'none found'}). E-mailing them and the people "
                f"first alerted: {told or 'nobody'}.",
                data={
                    "minutes": minutes,
                    "recipients": len(recipients),
                    "people": [r.user.pk for r in recipients],
                },
                at=now,
            )
        schema = connection.schema_name
        ids = [i.pk for i in due]
        transaction.on_commit(lambda: _escalation_send(schema, ids, minutes))
    return due


def _escalation_send(schema: str, incident_ids: list[int], minutes: int) -> None:
    from django_tenants.utils import schema_context

    with schema_context(schema):
        clinic = current_clinic()
        recipients = escalation_recipients(clinic)
        owners = ", ".join(m.user.full_name or m.user.email for m in escalation_contacts(clinic))
        tz = clinic_zone(clinic)
        incidents = (
            Incident.objects.select_related("continues")
            .filter(pk__in=incident_ids)
            # what "nobody acted" looked at: replies to the incident's own reviews only
            # (`incident_first_act`), so the e-mail counts those reviews
            .annotate(reviews=Count("links"))
        )
        for incident in incidents:
            summary = trigger_said(clinic, incident)
            opened = local(incident.opened_at, tz)
            follow = follow_up_of(incident, tz)
            subject = one_line(
                f"[{clinic.name}] Unacknowledged {incident.severity} incident: {incident.title}"
            )
            room = incident_url(clinic, incident)
            messages = []
            for r in recipients:
                token = (
                    ack_token_make(
                        clinic=clinic, incident=incident, channel=AckChannel.EMAIL,
                        user_id=r.user.pk,
                    )
                    if r.may_act
                    else None
                )  # fmt: skip
                context = {
                    "clinic": clinic,
                    "incident": incident,
                    "url": room if r.side == "agency" else portal_incident_url(clinic, incident),
                    "ack_url": ack_url(token) if token else "",
                    "minutes": minutes,
                    "reviews": incident.reviews,
                    "summary": summary,
                    "opened": opened,
                    "owners": owners,
                    "why": "; ".join(r.why),
                    "name": r.user.full_name or r.user.email,
                    "user": r.user,
                    **_follow_up_context(clinic, incident, follow, side=r.side),
                }
                messages.append(
                    Mail(
                        subject=subject,
                        body=render_to_string("crisis/email/incident_escalated.txt", context),
                        from_email=brand_sender(clinic.agency),
                        reply_to=brand_reply_to(clinic.agency) or None,
                        to=[r.user.email],
                    )
                )
            if not messages:
                continue
            try:
                get_connection(fail_silently=False).send_messages(messages)
            except Exception as exc:  # noqa: BLE001 - recorded on the timeline
                logger.exception("escalation e-mail for incident %s failed", incident.pk)
                event_add(
                    incident=incident,
                    kind=EventKind.NOTIFY_FAILED,
                    message=f"Escalation e-mails not sent: {mail_failure_words(exc)}.",
                    actor=SYSTEM,
                )
