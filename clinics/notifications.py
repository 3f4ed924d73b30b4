"""Telling a person that something needs them: an in-app message (the banner, the nav badge)
and an e-mail, now or in the hourly digest, as the person chose (`NotificationPreference`).

Any app at or above clinics calls `people_notify`; incident alerts (crisis) send their own
e-mails, because each carries a personal one-click acknowledge link, and use this for the
in-app part only."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from agency.branding import brand_sender
from agency.models import AgencyMembership, AgencyRole
from clinics.models import Clinic, Digest, Notification, NotificationPreference

logger = logging.getLogger(__name__)
_DEFAULT = NotificationPreference(email=True, in_app=True, digest=Digest.IMMEDIATE)


def preferences_for(users: Iterable[User]) -> dict[int, NotificationPreference]:
    """Each person's preference (the defaults for those who never chose)."""
    ids = [u.pk for u in users]
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    return {i: found.get(i, _DEFAULT) for i in ids}


def preference_set(*, user: User, email: bool, in_app: bool, digest: str) -> None:
    if digest not in Digest.values:
        digest = Digest.IMMEDIATE
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "in_app": in_app, "digest": digest}
    )


def absolute_url(url: str) -> str:
    """A link for an e-mail: a path on this server becomes an address at PUBLIC_BASE_URL."""
    return url if url.startswith("http") else f"{settings.PUBLIC_BASE_URL}{url}"


def people_notify(
    *,
    users: Iterable[User],
    clinic: Clinic,
    kind: str,
    ref: str,
    title: str,
    url: str,
    severity: str = "",
    email: bool = True,
    detail: str = "",
    waits: bool = True,
) -> dict[int, list[str]]:
    """Tell each person (once per person and `ref`: a repeat while the earlier one is still
    open is skipped): in-app if they want it, and by e-mail now or in their hourly digest.
    The e-mail goes after commit and never fails the caller. `title` is the e-mail's subject
    and the in-app line; `detail`, what the e-mail adds below it (what to do, who wrote it).
    `waits=False`: for their information only, nothing for them to do: no open in-app message
    (the banner and badge are what waits for the person) and no digest line ("these wait for
    you"), only the e-mail now to those who take e-mails as they come; a closed row
    (`waits=False`) keeps it in the person's notification history, whoever they are.
    Returns user id → channels."""
    users = {u.pk: u for u in users if u is not None and u.is_active}
    if not users:
        return {}
    already = set(
        Notification.objects.filter(
            user_id__in=users, ref=ref, clinic=clinic, open=True
        ).values_list("user_id", flat=True)
    )
    prefs = preferences_for(users.values())
    told: dict[int, list[str]] = {}
    now_mail: list[tuple[User, Notification | None]] = []
    for uid, user in users.items():
        if uid in already:
            continue
        pref = prefs[uid]
        channels: list[str] = []
        digest = email and pref.email and pref.digest == Digest.HOURLY
        row = None
        if not waits:
            mailed = email and pref.email and not digest
            Notification.objects.create(
                user=user, clinic=clinic, kind=kind, ref=ref, title=title[:300], url=url[:500],
                severity=severity, open=False, waits=False,
                emailed_at=timezone.now() if mailed else None,
            )  # fmt: skip
            if mailed:
                channels.append("email")
                now_mail.append((user, None))
                told[uid] = channels
            continue
        if pref.in_app or digest:
            row = Notification.objects.create(
                user=user, clinic=clinic, kind=kind, ref=ref, title=title[:300],
                url=url[:500], severity=severity, open=pref.in_app, email_pending=digest,
            )  # fmt: skip
            if pref.in_app:
                channels.append("in_app")
        if email and pref.email:
            if digest:
                channels.append("email_digest")
            else:
                channels.append("email")
                now_mail.append((user, row))
        told[uid] = channels
    if now_mail:
        subject = f"[{clinic.name}] {title}"
        link = absolute_url(url)
        staff_roles = dict(
            AgencyMembership.objects.filter(
                agency_id=clinic.agency_id, user_id__in=[u.pk for u, _row in now_mail]
            ).values_list("user_id", "role")
        )
        messages = [
            EmailMessage(
                subject=subject[:250],
                body=render_to_string(
                    "clinics/email/notification.txt",
                    {
                        "name": u.full_name or u.email,
                        "user": u,
                        "clinic": clinic,
                        "title": title,
                        "detail": detail,
                        "url": link,
                        "agency": clinic.agency,
                        "staff_role": AgencyRole(staff_roles[u.pk]).label.lower()
                        if u.pk in staff_roles
                        else "",
                    },  # fmt: skip
                ),
                from_email=brand_sender(clinic.agency),
                to=[u.email],
            )
            for u, _row in now_mail
        ]
        transaction.on_commit(lambda: mails_send_quietly(messages))
    return told


def mails_send_quietly(messages: list[EmailMessage], *, what: str = "notification") -> None:
    """Send these e-mails (after commit, where callers queue it); a failure is logged, never
    raised: what was told in-app, or recorded, stays."""
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except Exception:  # noqa: BLE001 - the in-app message is there; the next digest retries nothing
        logger.exception("sending %s %s e-mail(s) failed", len(messages), what)


def notifications_close(*, clinic: Clinic, ref: str, keep: Iterable[User] = ()) -> int:
    """The thing is done (the incident acknowledged, the approval given): its messages leave
    the banner and the badge — except those of the people in `keep`, for whom it is still the
    same thing to do."""
    return (
        Notification.objects.filter(clinic=clinic, ref=ref, open=True)
        .exclude(user__in=[u.pk for u in keep])
        .update(open=False, updated_at=timezone.now())
    )


def notifications_retitle(*, clinic: Clinic, ref: str, title: str, url: str = "") -> int:
    """The thing changed while its messages are still open (a channel's count of waiting
    replies): they say so now, without telling anyone again. `url`: where they lead now, when
    that changed too."""
    fields = {"title": title[:300], "updated_at": timezone.now()}
    if url:
        fields["url"] = url[:500]
    return Notification.objects.filter(clinic=clinic, ref=ref, open=True).update(**fields)


def notification_read(*, user: User, clinic: Clinic, ref: str) -> int:
    """The person opened what it was about (a post-crisis review sent to them): their message
    leaves their banner; everyone else's stays."""
    now = timezone.now()
    return Notification.objects.filter(user=user, clinic=clinic, ref=ref, open=True).update(
        open=False, read_at=now, updated_at=now
    )


def notification_digests_send(*, now: datetime | None = None) -> int:
    """The hourly digest: one e-mail per person listing what waited for them since the last
    one. Returns the number of e-mails sent."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(email_pending=True)
            .select_related("user", "clinic")
            .order_by("user_id", "created_at")
        )
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for row in rows:
            by_user[row.user_id].append(row)
        messages = []
        for items in by_user.values():
            user = items[0].user
            agencies = {n.clinic.agency_id for n in items}
            # one agency's clinics (the usual case): from its brand, like its other mails;
            # clinics of several agencies: the bare address, no one brand and no vendor name
            sender = (
                brand_sender(items[0].clinic.agency)
                if len(agencies) == 1
                else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
            )
            messages.append(
                EmailMessage(
                    subject=f"{len(items)} thing(s) wait for you",
                    body=render_to_string(
                        "clinics/email/digest.txt",
                        {
                            "name": user.full_name or user.email,
                            "user": user,
                            "items": [(n, absolute_url(n.url)) for n in items],
                        },
                    ),
                    from_email=sender,
                    to=[user.email],
                )
            )
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            email_pending=False, emailed_at=now
        )
        if messages:
            transaction.on_commit(lambda: mails_send_quietly(messages))
    return len(messages)


def notifications_open_for(user: User, *, clinic: Clinic | None = None) -> list[Notification]:
    """What the banner and badge show: the person's open messages, incidents first."""
    if not user.is_authenticated:
        return []
    qs = Notification.objects.filter(user=user, open=True).select_related("clinic")
    if clinic is not None:
        qs = qs.filter(clinic=clinic)
    rows = list(qs[:50])
    rows.sort(key=lambda n: (n.kind != "incident", -n.created_at.timestamp()))
    return rows
