"""The one e-mail to a person who can now act on what already waits in a clinic
(`core.arrivals`): what each app told them in-app, listed with its links, worded as the step
notices are (`clinics/email/notification.txt`, `grouped.txt`): never a patient's words."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from clinics.models import Clinic
from clinics.notifications import mails_send_quietly, notices_mail
from core.arrivals import Arrival, Awaiting


def _title(count: int) -> str:
    return (
        f"{count} thing{'s' if count != 1 else ''} already wait{'' if count != 1 else 's'} for you"
    )


def waiting_mail(arrival: Arrival, items: list[Awaiting]) -> int:
    """One e-mail to the person listing `items` (one item: the e-mail its notice would have
    been), at once whatever their digest choice (it is told once, not as things arrive). Sent
    after commit, never failing the caller. Returns the e-mails queued (0 or 1)."""
    user = User.objects.filter(pk=arrival.user_id, is_active=True).first()
    clinic = Clinic.objects.select_related("agency").filter(pk=arrival.clinic_id).first()
    if user is None or clinic is None or not items:
        return 0
    message = notices_mail(
        clinic=clinic, user=user, notices=[(i, i.detail) for i in items], title_many=_title
    )
    transaction.on_commit(lambda: mails_send_quietly([message], what="waiting"))
    return 1
