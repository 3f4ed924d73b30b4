"""The staff layout's navigation: who is staff, the clinics of the switcher, and which of a
clinic's tabs the caller may open."""

from __future__ import annotations

from collections import Counter

from django import template
from django.db.models import Q

from accounts.actors import Actor
from accounts.selectors import user_half_signed_in
from agency.selectors import agency_memberships_for_user
from clinics.selectors import clinics_for_actor
from clinics.views import ClinicApiKeysView, ClinicSettingsHistoryView, SettingsView

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_nav(context) -> dict:
    """What the top navigation needs: whether the user is agency staff (and of which agency),
    and the clinics for the switcher: those the person may open (a clinic its agency paused
    is left out for its own people, as "Your clinics" gives it no link; its agency's staff
    still open it, read-only, and reactivate it, so they read it marked "(deactivated)", the
    word of its banner and its Leaving tab). One query each,
    once per page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"staff": False, "clinics": []}
    memberships = list(agency_memberships_for_user(user).order_by("agency__name", "pk"))
    membership = memberships[0] if memberships else None
    if user_half_signed_in(user):
        # half signed in: only the two-factor step is open; the bar still names the agency
        # as every staff page does (its name, not the clients' brand)
        return {"staff": membership is not None, "clinics": [], "pending": True}
    actor = getattr(request, "actor", None) or Actor(user=user, via_session=True)
    staff_of = {m.agency_id for m in memberships}
    rows = list(
        clinics_for_actor(actor)
        .filter(Q(deactivated_at__isnull=True) | Q(agency_id__in=staff_of))
        .order_by("name")
        .values_list(
            "pk",
            "slug",
            "name",
            "deactivated_at",
            "agency_id",
            "agency__name",
            "agency__display_name",
        )
    )
    names = Counter(row[2] for row in rows)
    clinics = []
    for pk, slug, name, deactivated_at, agency_id, agency_name, display_name in rows:
        if names[name] > 1:
            # one person of two agencies whose clinics share a name: each says whose it is
            # (the agency's own name to its staff, its brand to its clinics' people)
            name = (
                f"{name} ({agency_name if agency_id in staff_of else display_name or agency_name})"
            )
        clinics.append(
            {"pk": pk, "slug": slug, "name": f"{name} (deactivated)" if deactivated_at else name}
        )
    current = getattr(request, "clinic", None)
    return {
        "staff": membership is not None,
        "role": membership.role if membership else None,
        "manages": membership is not None and membership.role in ("owner", "manager"),
        "clinics": clinics,
        "current": current,
    }


@register.simple_tag(takes_context=True)
def clinic_tabs(context) -> dict:
    """Which of a clinic's tabs lead somewhere the caller may go, as the pages decide it:
    "settings" (General, People, Alerts, Reply templates, Detector thresholds: agency staff)
    and "api_keys" and "history" (staff who manage). Sources and Webhooks need only VIEW, like
    the rest."""
    access = getattr(context.get("request"), "clinic_access", None)
    if access is None:
        return {"settings": False, "api_keys": False, "history": False}
    return {
        "settings": SettingsView.opens_for(access),
        "api_keys": ClinicApiKeysView.opens_for(access),
        "history": ClinicSettingsHistoryView.opens_for(access),
    }
