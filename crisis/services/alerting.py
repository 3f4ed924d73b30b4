"""Who hears of an incident, and how they acknowledge it from where the alert reached them.

Routing: the agency people responsible for the clinic (its on-call list, or the agency's
owners and managers when the list is empty) and the clinic's crisis team, each by e-mail and
in-app as they chose; plus the Slack and Teams channels configured for the agency and the
clinic.

One-click acknowledge: each e-mail and chat message carries a signed link
(`django.core.signing`, timestamped, so it expires after `ACK_MAX_AGE`) naming the clinic, the
incident, the person (e-mail) or the channel (chat) and a nonce; `AckTokenUse` makes it
single-use. Opening the link shows one button: the acknowledgement is a POST, so a mail
scanner or Slack's link preview fetching the URL acknowledges nothing."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import User
from agency.models import AgencyMembership, AgencyRole
from agency.selectors import staff_reaching
from clinics.access import user_access
from clinics.alerting import chat_webhooks_set, slack_link, slack_text, teams_card, teams_text
from clinics.models import Clinic, CrisisRole, OnCall, clinic_zone
from crisis.models import AckChannel, AckTokenUse, Incident, IncidentStatus
from crisis.room import FollowUpOf, incident_words
from crisis.selectors import crisis_team

logger = logging.getLogger(__name__)

ACK_SALT = "crisis.incident-ack"
ACK_MAX_AGE = timedelta(hours=24)
_ROLE_LABELS = dict(CrisisRole.choices)


@dataclass
class Recipient:
    user: User
    side: str  # "agency" or "clinic"
    why: list[str] = field(default_factory=list)
    may_act: bool = True  # `ClinicAccess.acts_on_incidents`: only then an acknowledge link


def agency_responsible(clinic: Clinic) -> tuple[list[User], str]:
    """The clinic's on-call list in order, or (fallback) the agency's owners and managers.
    Someone on the list who no longer reaches the clinic (limited to other clinics) is
    skipped: an alert never goes to a person who cannot open the incident."""
    reaching = staff_reaching(clinic).values("user_id")
    rota = [
        o.user
        for o in OnCall.objects.filter(clinic=clinic, user__is_active=True, user_id__in=reaching)
        .select_related("user")
        .order_by("position", "pk")
    ]
    if rota:
        return rota, "on call"
    return [m.user for m in escalation_contacts(clinic)], "agency owner/manager"


def incident_recipients(clinic: Clinic) -> list[Recipient]:
    """Everyone an opened incident is routed to, each once, agency people first."""
    people: dict[int, Recipient] = {}
    agency_people, why = agency_responsible(clinic)
    for user in agency_people:
        people.setdefault(user.pk, Recipient(user, "agency")).why.append(why)
    for m in crisis_team(clinic):
        roles = ", ".join(_ROLE_LABELS.get(r, r) for r in m.crisis_roles)
        people.setdefault(m.user_id, Recipient(m.user, "clinic")).why.append(
            f"crisis team: {roles}"
        )
    for r in people.values():
        r.may_act = may_act(r.user, clinic)
    return list(people.values())


def growth_recipients(clinic: Clinic, incident: Incident) -> list[Recipient]:
    """Whom an open incident's growth alert tells: everyone its alert goes to
    (`incident_recipients`) and the people assigned to its team who may still act on the
    clinic's incidents, each once."""
    people = {r.user.pk: r for r in incident_recipients(clinic)}
    assigned = {a.user_id: a.role for a in incident.assignments.all()}
    users = User.objects.filter(pk__in=list(assigned), is_active=True)
    staff = set(
        staff_reaching(clinic).filter(user_id__in=list(assigned)).values_list("user_id", flat=True)
    )
    for user in users:
        if not may_act(user, clinic):
            continue
        side = "agency" if user.pk in staff else "clinic"
        r = people.setdefault(user.pk, Recipient(user, side))
        r.why.append(f"the incident's {_ROLE_LABELS.get(assigned[user.pk], assigned[user.pk])}")
    return list(people.values())


def escalation_recipients(clinic: Clinic) -> list[Recipient]:
    """Whom an escalation tells: everyone the incident's first alert goes to (the agency
    people responsible and the crisis team, `incident_recipients`) and the agency's owners
    and managers, each once."""
    people = {r.user.pk: r for r in incident_recipients(clinic)}
    for m in escalation_contacts(clinic):
        r = people.setdefault(m.user_id, Recipient(m.user, "agency"))
        if "agency owner/manager" not in r.why:
            r.why.append("agency owner/manager")
    for r in people.values():
        r.may_act = may_act(r.user, clinic)
    return list(people.values())


def incidents_alerted(clinic: Clinic, incident_ids: list[int]) -> dict[int, set[int]]:
    """{incident id: user ids} of the people each of the clinic's incidents `incident_ids`
    alerts now: its alert and its growth alert (`growth_recipients`: the agency people
    responsible, the crisis team, the people on its team) and its escalation
    (`escalation_recipients`: the agency's owners and managers). Someone an on-call list
    takes off who is none of these no longer keeps the incident's alert notice
    (`clinics.alerting`, through `core.incidents.incidents_alerted`)."""
    escalated = {r.user.pk for r in escalation_recipients(clinic)}
    return {
        incident.pk: escalated | {r.user.pk for r in growth_recipients(clinic, incident)}
        for incident in Incident.objects.filter(pk__in=incident_ids).prefetch_related("assignments")
    }


def escalation_contacts(clinic: Clinic) -> list[AgencyMembership]:
    """The agency's active owners and managers: whom an unacknowledged incident escalates to."""
    return list(
        staff_reaching(clinic)
        .filter(role__in=[AgencyRole.OWNER, AgencyRole.MANAGER], user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def may_act(user: User | None, clinic: Clinic) -> bool:
    """Whether `user` may act on the clinic's incidents (`ClinicAccess.acts_on_incidents`)."""
    access = user_access(user, clinic) if user is not None else None
    return access is not None and access.acts_on_incidents


# --- chat ----------------------------------------------------------------------------------


def chat_webhook_set(
    *, agency_id: int, clinic: Clinic | None, kind: str, url: str, actor: Actor
) -> None:
    """Store (or with an empty `url`, remove) the agency's or a clinic's Slack/Teams incoming
    webhook, encrypted (checked by clinics.alerting: https and the chat's own host); the
    settings history records it as `actor`'s."""
    url = (url or "").strip()
    chat_webhooks_set(agency_id=agency_id, clinic=clinic, changes={kind: url or None}, actor=actor)


def trigger_said(clinic: Clinic, incident: Incident) -> str:
    """The trigger in words, as the clinic's people read it in chat and e-mail
    (`crisis.room.incident_words`: no statistics, no review text)."""
    return incident_words(incident, clinic_zone(clinic), clinic_name=clinic.name)


def slack_message(
    *,
    clinic: Clinic,
    incident: Incident,
    ack: str,
    room: str,
    follow_up: tuple[FollowUpOf, str] | None = None,
    grew: str = "",
) -> dict:
    """`follow_up`: the incident this one continues and its room's address, said under the
    trigger with a link (`crisis.room.FollowUpOf`). `grew`: what an open incident's growth
    alert says grew (`crisis.services.notifications.incident_notify_grew`), first. Names,
    titles and the trigger (watch words, a claim's words) are literal text
    (`clinics.alerting.slack_text`)."""
    severity = incident.get_severity_display()
    line = slack_text(trigger_said(clinic, incident))
    if grew:
        line = slack_text(f"Grew since the last alert: {grew}.") + "\n" + line
    if follow_up is not None:
        follow, url = follow_up
        line += "\n" + follow.sentence(slack_link(url, follow.link_words), escape=slack_text)
    icon = ":rotating_light:" if incident.severity == "critical" else ":warning:"
    title = slack_text(incident.title)
    said = "incident grew" if grew else "incident"
    return {
        "text": slack_text(f"{severity} {said} at {clinic.name}: {incident.title}"),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f"{severity} · {clinic.name}"[:150]},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{icon} *{title}*\n{line}"},
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "url": ack,
                        "action_id": "acknowledge",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open incident room"},
                        "url": room,
                        "action_id": "open_room",
                    },
                ],
            },
        ],
    }


def teams_message(
    *,
    clinic: Clinic,
    incident: Incident,
    ack: str,
    room: str,
    follow_up: tuple[FollowUpOf, str] | None = None,
    grew: str = "",
) -> dict:
    """An Adaptive Card as Teams incoming webhooks (and Workflows) take it; `follow_up` and
    `grew` as in `slack_message` (a TextBlock's Markdown link); the rest is literal text
    (`clinics.alerting.teams_text`)."""
    severity = incident.get_severity_display()
    grew_line = []
    if grew:
        text = teams_text(f"Grew since the last alert: {grew}.")
        grew_line = [{"type": "TextBlock", "text": text, "wrap": True, "weight": "Bolder"}]
    follow_line = []
    if follow_up is not None:
        follow, url = follow_up
        text = follow.sentence(f"[{follow.link_words}]({url})", escape=teams_text)
        follow_line = [{"type": "TextBlock", "text": text, "wrap": True}]
    return teams_card(
        body=[
            {
                "type": "TextBlock",
                "text": f"{severity} · {teams_text(clinic.name)}",
                "weight": "Bolder",
                "size": "Large",
                "color": "Attention",
            },
            {"type": "TextBlock", "text": teams_text(incident.title), "wrap": True},
            *grew_line,
            {
                "type": "TextBlock",
                "text": teams_text(trigger_said(clinic, incident)),
                "wrap": True,
            },
            *follow_line,
        ],
        links=[("Acknowledge", ack), ("Open incident room", room)],
    )


# --- one-click acknowledge -----------------------------------------------------------------


def ack_token_make(
    *, clinic: Clinic, incident: Incident, channel: str, user_id: int | None = None
) -> str:
    payload = {
        "c": clinic.pk,
        "i": incident.pk,
        "u": user_id,
        "ch": channel,
        "n": secrets.token_hex(8),
    }
    return signing.dumps(payload, salt=ACK_SALT, compress=True)


def ack_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/alerts/ack/{token}/"


class AckLinkRefused(Exception):
    """`reason`: unknown (tampered or not ours), expired, used, gone (no such incident),
    not_allowed (the person may not act on the clinic's incidents), paused (its clinic is
    deactivated)."""

    def __init__(self, reason: str, *, clinic: Clinic | None = None, detail: str = ""):
        super().__init__(reason)
        self.reason, self.clinic, self.detail = reason, clinic, detail


@dataclass
class AckLink:
    clinic: Clinic
    incident: Incident
    channel: str
    user: User | None  # the person an e-mail link was sent to; None for a chat link
    nonce: str
    who: User | None = None  # who acknowledges: `user`, else the signed-in person, else unknown


def ack_link_read(
    token: str, *, signed_in: User | None = None, now: datetime | None = None
) -> AckLink:
    """What a link names, or AckLinkRefused. Reads only; the caller is in no schema.

    The link acknowledges as its person (e-mail), else as `signed_in` (chat), else as
    "someone"; a person who may not act on the clinic's incidents
    (`ClinicAccess.acts_on_incidents`, the rule of the API and the pages), or is no longer
    active, is refused with reason `not_allowed`."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    except signing.SignatureExpired:
        raise AckLinkRefused("expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise AckLinkRefused("unknown") from None
    if not isinstance(data, dict) or not {"c", "i", "ch", "n"} <= data.keys():
        raise AckLinkRefused("unknown")
    clinic = Clinic.objects.select_related("agency").filter(pk=data["c"]).first()
    if clinic is None or data["ch"] not in AckChannel.values:
        raise AckLinkRefused("unknown")
    if clinic.deactivated_at is not None:
        raise AckLinkRefused("paused", clinic=clinic)  # a whole link: say why, not "changed"
    with schema_context(clinic.schema_name):
        incident = Incident.objects.filter(pk=data["i"]).first()
        if incident is None:
            raise AckLinkRefused("gone", clinic=clinic)
        if AckTokenUse.objects.filter(nonce=str(data["n"])).exists():
            raise AckLinkRefused("used", clinic=clinic)
    user = User.objects.filter(pk=data["u"]).first() if data.get("u") else None
    if data.get("u") and user is None:
        raise AckLinkRefused("not_allowed", clinic=clinic)
    signed_in = signed_in if signed_in is not None and signed_in.is_authenticated else None
    who = user or signed_in
    if who is not None and not may_act(who, clinic):
        raise AckLinkRefused("not_allowed", clinic=clinic)
    return AckLink(clinic, incident, data["ch"], user, str(data["n"]), who)


def incident_acknowledge_by_link(
    *, token: str, signed_in: User | None = None, now: datetime | None = None
) -> tuple[AckLink, bool]:
    """Use a one-click link: (the link, True) when it acknowledged the incident, (the link,
    False) when somebody had already acknowledged it (the link stays unused). Refused links
    (unknown, tampered, expired, already used, or for a person who may not act on the
    clinic's incidents) raise AckLinkRefused and change nothing."""
    from crisis.services.incidents import incident_status_set

    now = now or timezone.now()
    link = ack_link_read(token, signed_in=signed_in, now=now)
    who = link.who
    label = AckChannel(link.channel).label
    actor = (
        Actor(user=who) if who is not None else Actor.of_system("ack-link", f"Someone via {label}")
    )
    with schema_context(link.clinic.schema_name), transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=link.incident.pk)
        if incident.status != IncidentStatus.OPEN:
            link.incident = incident
            return link, False
        try:
            with transaction.atomic():
                AckTokenUse.objects.create(
                    nonce=link.nonce, incident=incident, channel=link.channel,
                    user_id=who.pk if who else None, used_at=now,
                )  # fmt: skip
        except IntegrityError:
            raise AckLinkRefused("used", clinic=link.clinic) from None
        link.incident = incident_status_set(
            incident_id=incident.pk,
            status=IncidentStatus.ACKNOWLEDGED,
            actor=actor,
            channel=link.channel,
            now=now,
        )
    return link, True
