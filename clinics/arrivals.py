"""The one e-mail to a person who can now act on what already waits in a clinic
(`core.arrivals`): what each app told them in-app, listed with its links, worded as the step
notices are (`clinics/email/notification.txt`, `grouped.txt`): never a patient's words."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string

from accounts.models import User
from agency.branding import brand_sender
from clinics.models import Clinic
from clinics.notifications import absolute_url, mails_send_quietly, notice_mail_context
from core.arrivals import Arrival, Awaiting
from core.mail import Mail
from core.text import one_line


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
    context = notice_mail_context(clinic, user)
    if len(items) == 1:
        title = items[0].title
        context |= {"detail": items[0].detail, "url": absolute_url(items[0].url)}
        template = "clinics/email/notification.txt"
    else:
        title = _title(len(items))
        context["items"] = [(item, item.detail, absolute_url(item.url)) for item in items]
        template = "clinics/email/grouped.txt"
    message = Mail(
        subject=one_line(f"[{clinic.name}] {title}")[:250],
        body=render_to_string(template, {**context, "title": title}),
        from_email=brand_sender(clinic.agency),
        to=[user.email],
    )
    transaction.on_commit(lambda: mails_send_quietly([message], what="waiting"))
    return 1
