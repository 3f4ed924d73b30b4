"""Reading what a clinic leaves open before it is deactivated: the confirmation page lists it
(counts with links, and what deactivating does to each) so that nothing in progress, such as
a crisis escalated minutes ago, is orphaned without the owner knowing."""

from __future__ import annotations

from dataclasses import dataclass

from django_tenants.utils import schema_context

from accounts.models import ApiKey, User
from agency.models import StaffClinic
from clinics.alerting import on_call_of
from clinics.models import Clinic
from crisis.selectors import incident_counts
from facts.selectors import facts_waiting_for_clinic
from feeds.models import Source
from reports.selectors import report_settings_get
from responses.selectors import approvals_waiting_counts
from webhooks.models import WebhookSubscription


@dataclass(frozen=True)
class OpenWork:
    """One kind of work the clinic leaves open: what, where to see it, and what deactivating
    does to it."""

    key: str
    what: str
    url: str
    then: str


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def clinic_open_work(clinic: Clinic) -> list[OpenWork]:
    """What `clinic` has open now, each with a link and what deactivating does to it (empty
    when nothing is open)."""
    base = f"/clinics/{clinic.slug}/"
    out: list[OpenWork] = []
    with schema_context(clinic.schema_name):
        incidents = incident_counts()
        waiting = approvals_waiting_counts()
        facts = facts_waiting_for_clinic().count()
    if incidents["active"]:
        unack = incidents["unacknowledged"]
        what = _n(incidents["active"], "open incident", "open incidents")
        if unack:
            what += f" ({unack} not acknowledged)"
        out.append(
            OpenWork(
                "incidents",
                what,
                f"{base}incidents/",
                "They stay open but leave the dashboard; alerts and escalations stop, and "
                "their one-click acknowledge links stop working. Resolve or hand them over "
                "first.",
            )
        )
    approvals = [
        _n(waiting["replies"], "reply", "replies"),
        _n(waiting["batches"], "batch of replies", "batches of replies"),
        _n(waiting["statements"], "statement", "statements"),
    ]
    if any(waiting.values()):
        shown = [words for words, count in zip(approvals, waiting.values(), strict=True) if count]
        out.append(
            OpenWork(
                "approvals",
                f"{', '.join(shown)} waiting for approval",
                f"{base}replies/",
                "They stay where they are: nobody can approve them and nothing is posted.",
            )
        )
    if facts:
        out.append(
            OpenWork(
                "facts",
                f"{_n(facts, 'fact waits', 'facts wait')} for the clinic's confirmation",
                f"{base}facts/",
                "The clinic cannot confirm them: its people can no longer open the portal.",
            )
        )
    settings = report_settings_get(clinic)
    if settings.send_monthly:
        extra = len(settings.extra_recipients)
        to = "the clinic's approvers" + (
            f" and {_n(extra, 'other address', 'other addresses')}" if extra else ""
        )
        out.append(
            OpenWork(
                "report",
                f"The monthly report is sent automatically (to {to})",
                f"{base}settings/report/",
                "The schedule is suspended: no report is sent while the clinic is deactivated.",
            )
        )
    if on_call := on_call_of(clinic):
        names = ", ".join(u.full_name or u.email for u in on_call[:3])
        more = f" and {len(on_call) - 3} more" if len(on_call) > 3 else ""
        out.append(
            OpenWork(
                "on_call",
                f"On-call list: {names}{more}",
                f"{base}settings/alerts/",
                "They are no longer alerted about this clinic; the list is kept for a "
                "reactivation.",
            )
        )
    return out


def clinic_connections(clinic: Clinic) -> list[OpenWork]:
    """What other systems reach `clinic` through now (its API keys, outbound webhooks and the
    sources polled with their credentials), each with what deactivating does to it: the
    integrators behind them are not told by Carewatch, so the owner tells them."""
    base = f"/clinics/{clinic.slug}/"
    keys = ApiKey.objects.working().filter(clinic=clinic).count()
    with schema_context(clinic.schema_name):
        hooks = WebhookSubscription.objects.filter(is_active=True).count()
        polled = Source.objects.filter(enabled=True).exclude(credentials_encrypted="").count()
    out: list[OpenWork] = []
    if keys:
        out.append(
            OpenWork(
                "api_keys",
                _n(keys, "API key works", "API keys work"),
                f"{base}settings/api-keys/",
                "Each call with them is refused (403 clinic_deactivated) until a "
                "reactivation: tell whoever uses them.",
            )
        )
    if hooks:
        out.append(
            OpenWork(
                "webhooks",
                _n(hooks, "webhook subscription", "webhook subscriptions"),
                f"{base}webhooks/",
                "Nothing is sent to them; deliveries already due wait for a reactivation.",
            )
        )
    if polled:
        out.append(
            OpenWork(
                "sources",
                _n(
                    polled,
                    "source polled with its credentials",
                    "sources polled with their credentials",
                ),
                f"{base}sources/",
                "They are no longer polled; their credentials are kept for a reactivation.",
            )
        )
    return out


def staff_reaching_only(clinic: Clinic) -> list[User]:
    """The agency's staff limited to chosen clinics whose only one is `clinic`: deleting it
    leaves them with no clinic (the delete page names them; they are e-mailed)."""
    only = (
        StaffClinic.objects.filter(clinic=clinic, membership__all_clinics=False)
        .exclude(membership__in=StaffClinic.objects.exclude(clinic=clinic).values("membership_id"))
        .select_related("membership__user")
        .order_by("membership__user__full_name")
    )
    return [row.membership.user for row in only]
