"""A person who can now give a step (`core.arrivals`): the replies, reply batches and
statements that already wait at it are told to them once, in-app under each text's own notice
(closed as everyone's when someone acts on it), and listed in the one e-mail they get."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from clinics.models import Clinic
from core.arrivals import Arrival, Awaiting
from responses.models import ReplyBatch, ReplyDraft, Statement
from responses.services.approvals import FLOWS
from responses.services.workflow import PENDING, tell_newcomer


def texts_waiting_tell(arrival: Arrival) -> list[Awaiting]:
    """Each text of the clinic waiting at a step the person may give now (and that the
    separation of duties does not bar them from), oldest first per kind."""
    user = User.objects.filter(pk=arrival.user_id, is_active=True).first()
    clinic = Clinic.objects.select_related("agency").filter(pk=arrival.clinic_id).first()
    if user is None or clinic is None:
        return []
    told: list[tuple[str, str, str]] = []
    with schema_context(clinic.schema_name):
        drafts = ReplyDraft.objects.filter(status__in=PENDING, batch__isnull=True)
        told += tell_newcomer(FLOWS["reply"], list(drafts.order_by("pk")), user)
        batches = ReplyBatch.objects.filter(status__in=PENDING)
        told += tell_newcomer(FLOWS["batch"], list(batches.order_by("pk")), user)
        statements = Statement.objects.filter(status__in=PENDING)
        told += tell_newcomer(FLOWS["statement"], list(statements.order_by("pk")), user)
    return [Awaiting(title=title, detail=detail, url=url) for title, detail, url in told]
