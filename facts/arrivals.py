"""A person who can now confirm the clinic's facts (`core.arrivals`): the facts the agency
asked the clinic to confirm, which already wait, are told to them once, in-app under the
clinic's one facts notice (it says how many and closes once none waits), and listed in the one
e-mail they get."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from clinics.models import Clinic
from clinics.notifications import people_notify
from core.arrivals import Arrival, Awaiting
from facts.selectors import facts_waiting_for_clinic
from facts.services import CLINIC_REF, _waiting_title, clinic_attesters

DETAIL = (
    "Your agency asks you to confirm what the clinic states as true before replies cite it. "
    "Confirm each fact, or say what needs a change."
)


def facts_waiting_tell(arrival: Arrival) -> list[Awaiting]:
    """The facts waiting for the clinic's confirmation, when the person may confirm them
    (`clinic_attesters`) and has no open notice of them yet."""
    user = User.objects.filter(pk=arrival.user_id, is_active=True).first()
    clinic = Clinic.objects.select_related("agency").filter(pk=arrival.clinic_id).first()
    if user is None or clinic is None:
        return []
    with schema_context(clinic.schema_name):
        waiting = facts_waiting_for_clinic().count()
        if not waiting or user.pk not in {u.pk for u in clinic_attesters(clinic)}:
            return []
        title, url = _waiting_title(waiting), f"/clinics/{clinic.slug}/portal/facts/"
        told = people_notify(
            users=[user], clinic=clinic, kind="facts", ref=CLINIC_REF, title=title,
            detail=DETAIL, url=url, email=False,
        )  # fmt: skip
    return [Awaiting(title=title, detail=DETAIL, url=url)] if user.pk in told else []
