"""Pages outside any clinic for incident alerts: the one-click acknowledge link of e-mails and
chat messages, and the live banner every staff and portal page polls.

The banner is polled (htmx, every 5 s) rather than pushed with server-sent events: an SSE
stream holds a web worker per open tab for as long as the tab is open, which a sync gunicorn
pool (and runserver) cannot afford at an agency's scale; one indexed query per tab every 5 s
is cheap, and it works through every proxy."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.views import View

from accounts.selectors import user_half_signed_in, user_is_agency_staff
from agency.brand_links import brand_link
from agency.models import AgencyMembership
from clinics.models import Clinic, ClinicMembership, clinic_zone
from clinics.notifications import notice_title, notifications_open_for
from clinics.preferences import preferences_for, shows_on_pages
from clinics.selectors import STAFF_NOTIFICATION_HISTORY_URL
from crisis.room import local
from crisis.services.alerting import (
    ACK_SALT,
    AckLinkRefused,
    ack_link_read,
    incident_acknowledge_by_link,
)
from crisis.services.common import INCIDENT_GREW

REFUSALS = {
    "unknown": (
        "This acknowledge link is not valid",
        "The link is incomplete or was changed. Copy the whole link from the message, or "
        "sign in and open the incident.",
    ),
    "expired": (
        "This acknowledge link has expired",
        "Acknowledge links work for 24 hours. Sign in and open the incident instead.",
    ),
    "used": (
        "This acknowledge link was already used",
        "Each link acknowledges once. The incident's timeline shows who acknowledged it.",
    ),
    "gone": ("This incident no longer exists", "Nothing was changed."),
    "paused": (
        "This clinic is paused",
        "The link is whole, but the agency has paused this clinic: its incidents cannot be "
        "acknowledged until it is reactivated. Nothing was changed.",
    ),
    "not_allowed": (
        "You cannot acknowledge this incident",
        "Acknowledging is for the people who act on the clinic's incidents (the agency's "
        "owners, managers and writers, and the clinic's crisis team); you can read it only. "
        "Tell someone on the on-call list or the crisis team.",
    ),
}


def notification_url(n, *, staff: bool) -> str:
    """Where a message leads this person: an incident alert opens the room for the agency's
    staff and the clinic's incident page in the portal for the clinic's people."""
    if n.kind in ("incident", INCIDENT_GREW) and not staff:
        return n.url.replace("/incidents/", "/portal/incidents/", 1)
    return n.url


def banner_items(user) -> tuple[list[dict], bool]:
    """What the banner shows this person, and whether they are the agency's staff (asked
    only when something shows). Nothing for someone who chose not to see what waits for them
    on the pages (`clinics.preferences.shows_on_pages`)."""
    rows = notifications_open_for(user)
    if not rows or not shows_on_pages(preferences_for([user])[user.pk]):
        return [], False
    staff = user_is_agency_staff(user)
    # the staff's pages span clinics, so each line starts with its clinic ("Clinic A: …", which
    # reads right whether the title is a phrase or ends a sentence); a clinic's person reads it
    # in their clinic's portal, unless they are one of several clinics' people
    named = staff or ClinicMembership.objects.filter(user=user).count() > 1
    return [
        {
            "n": n,
            "url": notification_url(n, staff=staff),
            # a deadline it names said as it reads now ("reply due in 3 hours …")
            "line": f"{n.clinic.name}: {notice_title(n)}" if named else notice_title(n),
        }
        for n in rows
    ], staff


# What waits is named in the banner a few at a time, the most urgent first: 45 lines on top of
# every page had pushed a phone's page 4,500 px down (walk 1 of the clinic, finding 1).
BANNER_SHOWN = 5


def _urgency(item: dict) -> tuple:
    """Overdue and due soonest first, then what has no deadline, the newest first."""
    n = item["n"]
    return (n.due_at is None, n.due_at.timestamp() if n.due_at else 0, -n.created_at.timestamp())


def _more_links(waiting: list[dict], *, staff: bool) -> list[dict]:
    """Where the rest of what waits is listed: the staff's notification history; for the
    clinic's people, the portal's notifications page of each clinic concerned."""
    if staff:
        label = f"See all {len(waiting)} waiting for you"
        return [{"url": STAFF_NOTIFICATION_HISTORY_URL, "label": label}]
    clinics: dict[int, list] = {}
    for item in waiting:
        clinics.setdefault(item["n"].clinic_id, []).append(item["n"].clinic)
    if len(clinics) == 1:
        [(_, [clinic, *_])] = clinics.items()
        label = f"See all {len(waiting)} waiting for you"
        return [{"url": f"/clinics/{clinic.slug}/portal/notifications/", "label": label}]
    return [
        {
            "url": f"/clinics/{of[0].slug}/portal/notifications/",
            "label": f"See all {len(of)} waiting for you at {of[0].name}",
        }
        for of in sorted(clinics.values(), key=lambda of: (-len(of), of[0].name))
    ]


def banner_context(user) -> dict:
    """The banner, the nav badge and the page title's count; the staff's banner leads to
    their notification history (the clinic's people have it in the portal's nav). The
    banner names at most `BANNER_SHOWN` of the things that wait, the most urgent first, and
    links to the list of all of them."""
    items, staff = banner_items(user) if user.is_authenticated else ([], False)
    incidents = [i for i in items if i["n"].kind == "incident"]
    waiting = sorted((i for i in items if i["n"].kind != "incident"), key=_urgency)
    more = _more_links(waiting, staff=staff) if len(waiting) > BANNER_SHOWN else []
    return {
        "alert_items": items, "alert_incidents": incidents, "alert_count": len(items),
        "alert_waiting": waiting[:BANNER_SHOWN], "alert_more": more,
        "alert_history_url": STAFF_NOTIFICATION_HISTORY_URL if staff and not more else "",
    }  # fmt: skip


class AlertBannerView(View):
    """The banner's contents for the signed-in person (an HTML fragment; empty when nothing
    waits). Polled by a page drawn for a signed-in person: once their session has ended, the
    poll sends the page to the sign-in page (`accounts.middleware.BackgroundSignInMiddleware`
    turns this redirect into a whole-page one); half signed in (the code step), nothing."""

    def get(self, request):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if user_half_signed_in(request.user):
            return HttpResponse("", status=204)
        response = render(request, "crisis/_alert_banner.html", banner_context(request.user))
        response["Cache-Control"] = "no-store"
        return response


def _brand(clinic: Clinic | None) -> dict:
    """The page carries the brand of the link's clinic's agency, as the e-mail that brought
    the person here did: most open it signed out (a clinic person on a phone), so the context
    processor knows no one to brand it for."""
    return {"brand": clinic.agency} if clinic is not None else {}


def _incident_path(link) -> str:
    """Where the page's "Open the incident" leads the link's person: one of the clinic's
    people to the incident in the portal, signed with the clinic's brand (`agency.brand_links`:
    signed out, the sign-in page it leads to carries the brand this page carries); the agency's
    staff (and a link for nobody in particular) to the incident room."""
    room = f"/clinics/{link.clinic.slug}/incidents/{link.incident.pk}/"
    user = getattr(link, "user", None)
    if (
        user is None
        or AgencyMembership.objects.filter(agency_id=link.clinic.agency_id, user=user).exists()
    ):
        return room
    return brand_link(f"/clinics/{link.clinic.slug}/portal/incidents/{link.incident.pk}/")


def _clinic_of_expired(token: str) -> Clinic | None:
    """The clinic an expired link names (its signature is good, only its age is past): its
    page still carries the clinic's brand. Reads nothing else of the link."""
    try:
        data = signing.loads(token, salt=ACK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return Clinic.objects.active().select_related("agency").filter(pk=data["c"]).first()


class AckLinkView(View):
    """GET shows what the link acknowledges and one button; POST acknowledges. Refused links
    (unknown or tampered, expired, used) answer a page that says so, with status 400/410.
    Every answer is branded with the clinic's agency when the link names a clinic."""

    template_name = "crisis/ack.html"

    def _refused(self, request, exc: AckLinkRefused, token: str):
        title, text = REFUSALS.get(exc.reason, REFUSALS["unknown"])
        status = {"expired": 410, "used": 410, "gone": 404, "not_allowed": 403, "paused": 409}.get(
            exc.reason, 400
        )
        clinic = exc.clinic or (_clinic_of_expired(token) if exc.reason == "expired" else None)
        return render(
            request, self.template_name,
            {"refused": True, "title": title, "text": text, **_brand(clinic)},
            status=status,
        )  # fmt: skip

    def get(self, request, token: str):
        try:
            link = ack_link_read(token, signed_in=_signed_in(request))
        except AckLinkRefused as exc:
            return self._refused(request, exc, token)
        return render(
            request, self.template_name,
            {"link": link, "token": token, "incident_path": _incident_path(link),
             **_brand(link.clinic)},
        )  # fmt: skip

    def post(self, request, token: str):
        try:
            link, acknowledged = incident_acknowledge_by_link(
                token=token, signed_in=_signed_in(request)
            )
        except AckLinkRefused as exc:
            return self._refused(request, exc, token)
        escalated = link.incident.escalated_at
        return render(
            request, self.template_name,
            {
                "link": link, "done": True, "acknowledged": acknowledged,
                "incident_path": _incident_path(link),
                "escalated": local(escalated, clinic_zone(link.clinic)) if escalated else "",
                **_brand(link.clinic),
            },
        )  # fmt: skip


def _signed_in(request):
    return request.user if request.user.is_authenticated else None
