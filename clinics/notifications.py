"""Telling a person that something needs them: an in-app message (the banner, the nav badge)
and an e-mail, now or in the hourly digest, as the person chose; whether and when a notice is
e-mailed is decided in one place, `clinics.preferences.email_when`.

Any app at or above clinics calls `people_notify`; incident alerts (crisis) send their own
e-mails, because each carries a personal one-click acknowledge link, and use this for the
in-app part only."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from agency.brand_links import brand_link
from agency.branding import brand_reply_to, brand_sender
from agency.models import CLINIC_SCOPED_ROLES, AgencyMembership, AgencyRole
from agency.selectors import clinics_out_of_reach, staff_reaching
from clinics.access import user_access
from clinics.bursts import bursts_enter, held_retitle
from clinics.models import (
    Clinic,
    ClinicMembership,
    Digest,
    EmailBurst,
    HeldNotice,
    NoticeTold,
    Notification,
    NotificationPreference,
)
from clinics.preferences import (
    DIGEST,
    NOW,
    burst_words,
    email_holds,
    email_when,
    preferences_for,
    shows_on_pages,
)
from core.mail import Mail
from core.permissions import Permission
from core.templatetags.local_time import date as local_date
from core.text import one_line

logger = logging.getLogger(__name__)

# A notice about a clinic its agency paused waits for nobody while the clinic is paused: nothing
# can be done there until it is reactivated, and then it waits again. The banner, the badge and
# the digest leave it out; the notification histories mark it (`notifications_paused_marked`).
IN_PAUSED_CLINIC = Q(clinic__deactivated_at__isnull=False)
# Notices for the person's information that stay in their banner until they open what they
# point to (the monthly report, "Your report for November 2026 is ready"; the post-crisis
# review sent to the clinic): open, yet nothing waits for them, so their history never says it
# does. Their e-mail is an optional group's (`clinics.preferences.OPTIONAL_EMAILS`).
INFORMATION_KINDS = frozenset({"report", "review"})


def preference_set(*, user: User, email: bool, in_app: bool, digest: str) -> None:
    """The choices as they were before the groups of `clinics.preferences`: `email` False is
    "no e-mail" for every optional group the person has not chosen since (what waits for them
    is e-mailed anyway). The pages save through `notification_preferences_save`."""
    if digest not in Digest.values:
        digest = Digest.IMMEDIATE
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "in_app": in_app, "digest": digest}
    )


def absolute_url(url: str) -> str:
    """A link for an e-mail: a path on this server becomes an address at PUBLIC_BASE_URL; one
    into a clinic's portal carries its brand to the sign-in page (`agency.brand_links`)."""
    return url if url.startswith("http") else f"{settings.PUBLIC_BASE_URL}{brand_link(url)}"


def settings_link(clinic: Clinic | None, *, staff: bool) -> str:
    """Where an e-mail's reader chooses how they are told, as an absolute link: the account
    page's notification settings for the agency's staff; for a clinic's people, the same
    choices in the clinic's portal (`portal.views.PortalNotificationSettingsView`), signed
    with its brand (`absolute_url`) as every portal link of an e-mail is; the account page's
    for a clinic whose portal is paused (its pages answer 403 until it is reactivated)."""
    if staff or clinic is None or clinic.deactivated_at is not None:
        return absolute_url(NOTIFICATION_SETTINGS_URL)
    return absolute_url(f"/clinics/{clinic.slug}/portal/notifications/settings/")


NOTIFICATION_SETTINGS_URL = "/account/notifications/"


def people_reaching(clinic: Clinic, users: Iterable[User | None]) -> list[User]:
    """Those of `users` who still reach `clinic`, active: its agency's staff who reach it and
    its own people (a writer removed from the staff is not told about her old drafts)."""
    users = {u.pk: u for u in users if u is not None and u.is_active}
    if not users:
        return []
    reaching = set(
        User.objects.filter(pk__in=users)
        .filter(
            Q(pk__in=staff_reaching(clinic).values("user_id"))
            | Q(pk__in=ClinicMembership.objects.filter(clinic=clinic).values("user_id"))
        )
        .values_list("pk", flat=True)
    )
    return [u for pk, u in users.items() if pk in reaching]


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
    email_later: bool = False,
    due_at: datetime | None = None,
) -> dict[int, list[str]]:
    """Tell each person (once per person and `ref`: a repeat while what they were told is
    not done for them yet is skipped, whichever channels they keep: `NoticeTold`, cleared by
    `notifications_close` and its kin; a reminder closes first): in-app if they want it, and by e-mail now or in their hourly digest, as
    `clinics.preferences.email_when` decides (`email=False`: the caller sends its own, or
    none). The e-mail goes after commit and never fails the caller. `title` is the e-mail's subject
    and the in-app line; `detail`, what the e-mail adds below it (what to do, who wrote it).
    `waits=False`: for their information only, nothing for them to do: no open in-app message
    (the banner and badge are what waits for the person) and no digest line ("these wait for
    you"), only the e-mail now to those who take these by e-mail (its group); a closed row
    (`waits=False`) keeps it in the person's notification history, whoever they are.
    E-mailed now, what waits is one e-mail per burst (`clinics.bursts`): to a person already
    e-mailed about something that waits for them in `clinic` within `NOTICE_BURST_WINDOW`,
    it is held for the burst's e-mail (`email_burst_send`; channel "email_held"), except what
    must never wait (`clinics.preferences.email_holds`).
    `email_later` (with `waits=False`): the e-mail is owed, not sent now (`email_pending` on
    the closed row): the caller sends it with the others of a burst, one e-mail for many
    (`notifications_owed_send`). `due_at`: the deadline `title` ends with (`deadline_words`),
    stored so the pages say it as it reads when shown (`notice_title`).
    Staff of the clinic's agency who do not reach the clinic (limited to other clinics), and
    people who are neither its agency's staff nor its own people (removed), are never told,
    whoever asked. Returns user id → channels."""
    users = {u.pk: u for u in people_reaching(clinic, users)}
    if not users:
        return {}
    already = set(
        NoticeTold.objects.filter(user_id__in=users, ref=ref, clinic=clinic).values_list(
            "user_id", flat=True
        )
    )
    prefs = preferences_for(users.values())
    told: dict[int, list[str]] = {}
    now_mail: list[tuple[User, Notification | None]] = []
    for uid, user in users.items():
        if uid in already:
            continue
        pref = prefs[uid]
        channels: list[str] = []
        when = email_when(pref, kind=kind, waits=waits) if email else None
        digest = when == DIGEST
        row = None
        if not waits:
            mailed = when == NOW
            owed = mailed and email_later
            Notification.objects.create(
                user=user, clinic=clinic, kind=kind, ref=ref, title=title[:300], url=url[:500],
                severity=severity, open=False, waits=False, email_pending=owed,
                emailed_at=timezone.now() if mailed and not owed else None,
            )  # fmt: skip
            if owed:
                told[uid] = ["email_later"]
            elif mailed:
                channels.append("email")
                now_mail.append((user, None))
                told[uid] = channels
            continue
        shown = shows_on_pages(pref)
        if shown or digest:
            row = Notification.objects.create(
                user=user, clinic=clinic, kind=kind, ref=ref, title=title[:300],
                url=url[:500], severity=severity, open=shown, email_pending=digest,
                due_at=due_at,
            )  # fmt: skip
            if shown:
                channels.append("in_app")
        if when is not None:
            if digest:
                channels.append("email_digest")
            else:
                channels.append("email")
                now_mail.append((user, row))
        told[uid] = channels
    if now_mail and email_holds(kind, waits=waits):
        # one e-mail per burst: those in one get this in their burst's e-mail
        held = bursts_enter(
            user_ids=[u.pk for u, _row in now_mail], clinic=clinic, kind=kind, ref=ref,
            title=title, detail=detail, url=url, due_at=due_at, now=timezone.now(),
        )  # fmt: skip
        for uid in held:
            told[uid] = ["email_held" if c == "email" else c for c in told[uid]]
        now_mail = [(u, row) for u, row in now_mail if u.pk not in held]
        burst = burst_opened_words(clinic)
    else:
        burst = ""
    if waits and told:
        NoticeTold.objects.bulk_create(
            [NoticeTold(user_id=uid, clinic=clinic, ref=ref, kind=kind) for uid in told],
            ignore_conflicts=True,  # told at the same moment by another request
        )
    if now_mail:
        subject = one_line(f"[{clinic.name}] {title}")  # a header: one line whatever is stored
        link = absolute_url(url)
        staff_roles = _staff_roles(clinic, [u for u, _row in now_mail])
        messages = [
            Mail(
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
                        "staff_role": staff_roles.get(u.pk, ""),
                        "settings_url": settings_link(clinic, staff=u.pk in staff_roles),
                        "burst": burst,
                    },
                ),
                from_email=brand_sender(clinic.agency),
                reply_to=brand_reply_to(clinic.agency) or None,
                to=[u.email],
            )
            for u, _row in now_mail
        ]
        transaction.on_commit(lambda: mails_send_quietly(messages))
    return told


# A deadline as a "waits for you" notice names it: a date and a time of day in the clinic's time
# zone, with the zone's abbreviation (`core.templatetags.local_time`, the `date` of every page).
DEADLINE_FORMAT = "D j M Y, H:i T"


def _deadline_when(due: datetime, clinic: Clinic) -> str:
    return local_date(due.astimezone(ZoneInfo(clinic.timezone or "UTC")), DEADLINE_FORMAT)


def deadline_words(due: datetime | None, clinic: Clinic, *, now: datetime | None = None) -> str:
    """ "reply due Mon 7 Dec 2026, 09:30 EST", or "reply overdue since …" once it passed (the
    reply target, not the step's), in the clinic's time zone; "" without a deadline. What a
    "waits for you" title ends with as it is sent (the e-mail's subject)."""
    if due is None:
        return ""
    when = _deadline_when(due, clinic)
    return f"reply overdue since {when}" if due <= (now or timezone.now()) else f"reply due {when}"


def deadline_words_now(due: datetime, clinic: Clinic, *, now: datetime | None = None) -> str:
    """The deadline as a page shows it when it is read: "reply due in 3 hours (Mon 7 Dec 2026,
    09:30 EST)", "reply due in 20 minutes (…)", "reply overdue since Mon 7 Dec 2026, 09:30 EST
    (2 days ago)"."""
    now = now or timezone.now()
    when = _deadline_when(due, clinic)
    if due <= now:
        return f"reply overdue since {when} ({_span(now - due)} ago)"
    return f"reply due in {_span(due - now)} ({when})"


def _span(delta: timedelta) -> str:
    """A duration in its two largest units, rounded down: "2 days 4 hours", "2 hours 58
    minutes", "3 hours", "1 minute" — as the pages' clocks count it ("2 h 58 min left"; walk
    14: an e-mail said "due in 2 hours" beside a card's "2 h 58 min left")."""
    minutes = max(1, int(delta.total_seconds() // 60))

    def said(count: int, unit: str) -> str:
        return f"{count} {unit}{'s' if count != 1 else ''}"

    if minutes >= 24 * 60:
        days, hours = divmod(minutes // 60, 24)
        return said(days, "day") + (f" {said(hours, 'hour')}" if hours else "")
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return said(hours, "hour") + (f" {said(rest, 'minute')}" if rest else "")
    return said(minutes, "minute")


def notice_title(notice: Notification, *, now: datetime | None = None) -> str:
    """A notice's line as a page shows it: a title that ends with its deadline as it read
    when sent ("— reply due …", `people_notify`'s `due_at`) says it as it reads now
    (`deadline_words_now`: due in …, overdue since …) while it is open; a notice done, or any
    other title (one that said what became of it, say), as stored."""
    if not notice.open:
        return notice.title  # a notice done keeps what it said
    return title_read_at(notice, now=now)


def title_read_at(notice: Notification, *, now: datetime | None = None) -> str:
    """`notice`'s title with the deadline it ends with ("— reply due …") said as it reads at
    `now` (`deadline_words_now`), whether or not it shows in-app: what the hourly digest
    lists when it is sent, not the words of when the notice was written; any other title as
    stored."""
    if notice.due_at is None:
        return notice.title
    when = _deadline_when(notice.due_at, notice.clinic)
    for sent in (f" — reply due {when}", f" — reply overdue since {when}"):
        if notice.title.endswith(sent):
            fresh = deadline_words_now(notice.due_at, notice.clinic, now=now)
            return f"{notice.title[: -len(sent)]} — {fresh}"
    return notice.title


def _staff_roles(clinic: Clinic, users: Iterable[User]) -> dict[int, str]:
    """user id → their agency role in words ("writer"), for the agency's staff among them."""
    return {
        user_id: AgencyRole(role).label.lower()
        for user_id, role in AgencyMembership.objects.filter(
            agency_id=clinic.agency_id, user_id__in=[u.pk for u in users]
        ).values_list("user_id", "role")
    }


def notifications_owed_due(
    *, clinic: Clinic, kind: str, quiet: timedelta, longest: timedelta, now: datetime | None = None
) -> list[int]:
    """The people of `clinic` whose owed e-mails about `kind` (`people_notify(email_later=True)`)
    are due: nothing new for `quiet`, or the first waited `longest`. For a sweeper, which sends
    what a lost task left behind."""
    now = now or timezone.now()
    rows = (
        Notification.objects.filter(clinic=clinic, kind=kind, waits=False, email_pending=True)
        .values("user_id")
        .annotate(first=Min("created_at"), last=Max("created_at"))
        .order_by("user_id")
    )
    return [r["user_id"] for r in rows if now - r["last"] >= quiet or now - r["first"] >= longest]


def notifications_owed_send(
    *,
    clinic: Clinic,
    user_id: int,
    kind: str,
    quiet: timedelta,
    longest: timedelta,
    title_many: Callable[[int], str],
    details: Callable[[list[Notification]], dict[int, str]] | None = None,
    now: datetime | None = None,
) -> int:
    """The e-mails owed to one person about `kind` in `clinic`
    (`people_notify(email_later=True)`) go as one, once their burst is over: nothing new came
    for `quiet`, or the first has waited `longest` (a burst that goes on is told in parts).
    One owed: the e-mail it would have been (its title as the subject, its detail, its link).
    Several: one e-mail, `title_many(n)` its subject, listing each with its detail and link;
    none is left out. `details(rows)`: row id → what the e-mail says below its title. Sent
    after commit, never failing the caller. Returns the e-mails sent (0 or 1)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(clinic=clinic, user_id=user_id, kind=kind, waits=False, email_pending=True)
            .select_related("user", "clinic__agency")
            .order_by("created_at", "pk")
        )
        if not rows:
            return 0
        if now - rows[-1].created_at < quiet and now - rows[0].created_at < longest:
            return 0  # the burst goes on: its last task (or the sweeper) sends it
        user = rows[0].user
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            email_pending=False, emailed_at=now if user.is_active else None, updated_at=now
        )
        if not user.is_active:
            return 0
        said = details(rows) if details else {}
        message = notices_mail(
            clinic=clinic,
            user=user,
            notices=[(r, said.get(r.pk, "")) for r in rows],
            title_many=title_many,
        )
        transaction.on_commit(lambda: mails_send_quietly([message]))
    return 1


def notices_mail(*, clinic: Clinic, user, notices: list[tuple], title_many) -> Mail:
    """One e-mail to `user` about `notices` ((notice, detail) pairs; a notice has a `title`
    and a `url`): one notice is the e-mail it would have been (its title the subject, its
    detail, its link); several, one e-mail with `title_many(n)` as its subject, listing each
    with its detail and link (`clinics/email/notification.txt`, `grouped.txt`). The burst
    above and the arrivals e-mail (`clinics.arrivals`) build theirs here."""
    context = notice_mail_context(clinic, user)
    if len(notices) == 1:
        [(notice, detail)] = notices
        title = notice.title
        context |= {"detail": detail, "url": absolute_url(notice.url)}
        template = "clinics/email/notification.txt"
    else:
        title = title_many(len(notices))
        context["items"] = [(n, detail, absolute_url(n.url)) for n, detail in notices]
        template = "clinics/email/grouped.txt"
    return Mail(
        subject=one_line(f"[{clinic.name}] {title}")[:250],
        body=render_to_string(template, {**context, "title": title}),
        from_email=brand_sender(clinic.agency),
        reply_to=brand_reply_to(clinic.agency) or None,
        to=[user.email],
    )


def mails_send_quietly(messages: list[EmailMessage], *, what: str = "notification") -> None:
    """Send these e-mails (after commit, where callers queue it); a failure is logged, never
    raised: what was told in-app, or recorded, stays."""
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except Exception:  # noqa: BLE001 - the in-app message is there; the next digest retries nothing
        logger.exception("sending %s %s e-mail(s) failed", len(messages), what)


def notifications_close(
    *,
    clinic: Clinic,
    ref: str | Iterable[str],
    keep: Iterable[User] = (),
    users: Iterable[User] | None = None,
) -> int:
    """The thing is done (the incident acknowledged, the approval given): its messages leave
    the banner and the badge, and the next hourly digest no longer owes them ("waits for
    you" about something done is not mailed) — except those of the people in `keep`, for
    whom it is still the same thing to do. `users`: only theirs (it is no longer theirs to
    do: an on-call list took them off); everyone else's stay. An e-mail owed for
    information only (`people_notify(email_later=True)`) is still sent: it says what
    happened. `ref`: one ref, or several closed alike in the same two statements."""
    refs = [ref] if isinstance(ref, str) else list(ref)
    rows = Notification.objects.filter(clinic=clinic, ref__in=refs)
    told = NoticeTold.objects.filter(clinic=clinic, ref__in=refs)
    if users is not None:
        rows = rows.filter(user__in=[u.pk for u in users])
        told = told.filter(user__in=[u.pk for u in users])
    told.exclude(user__in=[u.pk for u in keep]).delete()
    return (
        rows.filter(Q(open=True) | Q(waits=True, email_pending=True))
        .exclude(user__in=[u.pk for u in keep])
        .update(
            open=False,
            email_pending=Case(When(waits=True, then=False), default=F("email_pending")),
            updated_at=timezone.now(),
        )
    )


def notifications_retitle(*, clinic: Clinic, ref: str, title: str, url: str = "") -> int:
    """The thing changed while its messages are still open (a channel's count of waiting
    replies): they say so now, without telling anyone again. `url`: where they lead now, when
    that changed too."""
    fields = {"title": title[:300], "updated_at": timezone.now()}
    if url:
        fields["url"] = url[:500]
    held_retitle(clinic=clinic, ref=ref, title=title, url=url)
    return Notification.objects.filter(clinic=clinic, ref=ref, open=True).update(**fields)


def notifications_withdraw(*, clinic: Clinic, ref: str, title: str) -> int:
    """What waited for people was withdrawn (a text nobody is to approve any more): its
    messages leave the banner and the badge, the next hourly digest leaves them out (a
    closed one still owed to it too), and each says what happened (`title`) in the person's
    history. Returns how many messages changed."""
    NoticeTold.objects.filter(clinic=clinic, ref=ref).delete()
    return (
        Notification.objects.filter(clinic=clinic, ref=ref, waits=True)
        .filter(Q(open=True) | Q(email_pending=True))
        .update(open=False, email_pending=False, title=title[:300], updated_at=timezone.now())
    )


def notifications_replace(*, clinic: Clinic, ref: str, users: Iterable[User]) -> int:
    """What waits for `users` under `ref` is replaced by the notice the caller sends next
    under the same ref (saying what became of it): their rows still open or still owed to
    the digest (those `notifications_withdraw` would retitle) go, so their history lists it
    once, not as a closed request beside the news. What they handled before under the same
    ref (an earlier request, closed) stays in their history. Returns how many went."""
    users = [u.pk for u in users]
    NoticeTold.objects.filter(clinic=clinic, ref=ref, user__in=users).delete()
    return (
        Notification.objects.filter(clinic=clinic, ref=ref, waits=True, user__in=users)
        .filter(Q(open=True) | Q(email_pending=True))
        .delete()[1]
        .get(Notification._meta.label, 0)
    )


def notification_read(*, user: User, clinic: Clinic, ref: str) -> int:
    """The person opened what it was about (a post-crisis review sent to them): their message
    leaves their banner; everyone else's stays."""
    NoticeTold.objects.filter(user=user, clinic=clinic, ref=ref).delete()
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
            # what waits in a paused clinic is not mailed while it is paused
            .filter(email_pending=True, waits=True)
            .exclude(IN_PAUSED_CLINIC)
            .select_related("user", "clinic")
            .order_by("user_id", "created_at")
        )
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for row in rows:
            by_user[row.user_id].append(row)
        limited = AgencyMembership.objects.filter(
            user_id__in=list(by_user), all_clinics=False, role__in=CLINIC_SCOPED_ROLES
        )
        for user_id in set(limited.values_list("user_id", flat=True)):
            # what waited about a clinic the person no longer reaches is not mailed to them
            elsewhere = set(
                Clinic.objects.filter(
                    clinics_out_of_reach(by_user[user_id][0].user),
                    pk__in={n.clinic_id for n in by_user[user_id]},
                ).values_list("pk", flat=True)
            )
            by_user[user_id] = [n for n in by_user[user_id] if n.clinic_id not in elsewhere]
            if not by_user[user_id]:
                del by_user[user_id]
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
            # an answer reaches the one agency's support address; of several, none is the one
            reply_to = brand_reply_to(items[0].clinic.agency) if len(agencies) == 1 else []
            staff = AgencyMembership.objects.filter(user_id=user.pk).exists()
            messages.append(
                Mail(
                    subject=f"{len(items)} thing(s) wait for you",
                    body=render_to_string(
                        "clinics/email/digest.txt",
                        {
                            "name": user.full_name or user.email,
                            "user": user,
                            # the deadlines as they read now, not when each was written
                            "items": [
                                (n, title_read_at(n, now=now), absolute_url(n.url)) for n in items
                            ],
                            "settings_url": settings_link(items[0].clinic, staff=staff),
                        },
                    ),
                    from_email=sender,
                    reply_to=reply_to or None,
                    to=[user.email],
                )
            )
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            email_pending=False, emailed_at=now
        )
        if messages:
            transaction.on_commit(lambda: mails_send_quietly(messages))
    return len(messages)


def burst_opened_words(clinic: Clinic) -> str:
    """What the e-mail that opens a burst says about the next minutes (`people_notify`): ""
    while bursts are off."""
    window = settings.NOTICE_BURST_WINDOW
    if window <= timedelta(0):
        return ""
    minutes = max(1, round(window.total_seconds() / 60))
    within, end = (
        ("the next minute", "that minute ends") if minutes == 1
        else (f"the next {minutes} minutes", f"those {minutes} minutes end")
    )  # fmt: skip
    return (
        f"If more waits for you at {clinic.name} within {within}, it comes together in one "
        f"e-mail when {end}."
    )


# What the subject of a burst's e-mail counts, by what a notice's ref names
# (`responses.services.workflow._ref`, a statement to publish): (one, many).
BURST_NOUNS = {
    "reply": ("reply", "replies"),
    "statement": ("statement", "statements"),
    "reply_batch": ("answer to many mentions", "answers to many mentions"),
    "fact": ("fact", "facts"),
}
# What the subject says they wait for, when every one waits for the same step.
BURST_STEPS = {"approval": "for your approval", "legal": "for your legal review"}


def burst_subject(items: list, clinic: Clinic) -> str:
    """ "5 replies and 1 statement wait for your approval — Riverside Family Dental": how
    many things of each sort wait, and for what when they all wait for the same step."""
    return one_line(f"{burst_what(items)} — {clinic.name}")


def burst_what(items: list) -> str:
    """ "5 replies and 1 statement wait for your approval", "1 reply, 2 statements and 3
    other things wait for you" (`burst_subject`)."""
    counts = Counter(
        noun if (noun := item.ref.split(":", 1)[0]) in BURST_NOUNS else "" for item in items
    )
    parts = [
        f"{n} {BURST_NOUNS[noun][0] if n == 1 else BURST_NOUNS[noun][1]}"
        for noun, n in sorted(counts.items(), key=lambda c: (c[0] == "", -c[1], c[0]))
        if noun
    ]
    others = counts.get("", 0)
    if others:
        what = "other thing" if parts else "thing"
        parts.append(f"{others} {what}{'s' if others != 1 else ''}")
    said = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    steps = {item.kind for item in items}
    step = BURST_STEPS.get(steps.pop(), "for you") if len(steps) == 1 else "for you"
    verb = "waits" if len(items) == 1 else "wait"
    return f"{said} {verb} {step}"


def email_burst_send(*, burst_id: int, now: datetime | None = None) -> int:
    """The e-mail of one burst (`clinics.bursts`), once it ended: one e-mail listing what it
    held that still waits for its person (told and not done since: `NoticeTold`; still theirs
    to do: `notices_still_theirs`), soonest due first, each with its clinic, its deadline as
    it reads now and its link; those handled meanwhile are counted, not listed. Nothing
    left: no e-mail. A paused clinic's burst waits until it is reactivated; a person who no
    longer reaches the clinic gets none. The e-mail opens the person's next burst (what
    follows within the window comes in the next one). The burst's row is locked: of two
    sends at the same moment, one sends and the other finds nothing. Sent after commit,
    never failing the caller. Returns the e-mails sent (0 or 1)."""
    now = now or timezone.now()
    with transaction.atomic():
        burst = (
            EmailBurst.objects.select_for_update(of=("self",))
            .select_related("user", "clinic__agency")
            .filter(pk=burst_id)
            .first()
        )
        if burst is None or burst.ends_at > now or burst.clinic.deactivated_at is not None:
            return 0
        items = list(burst.held.select_related("burst__clinic").order_by("created_at", "pk"))
        if not items:
            return 0
        HeldNotice.objects.filter(burst=burst).delete()
        user, clinic = burst.user, burst.clinic
        waiting = set(
            NoticeTold.objects.filter(
                user=user, clinic=clinic, ref__in=[i.ref for i in items]
            ).values_list("ref", flat=True)
        )
        still = [i for i in items if i.ref in waiting]
        if still and people_reaching(clinic, [user]):
            still = notices_still_theirs(user, still)
        else:
            still = []
        if not still:
            burst.delete()  # nothing sent: the next one goes at once
            return 0
        still.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at, i.pk))
        EmailBurst.objects.filter(pk=burst.pk).update(started_at=now, ends_at=now + (
            settings.NOTICE_BURST_WINDOW))  # fmt: skip
        message = burst_mail(burst=burst, items=still, handled=len(items) - len(still), now=now)
        transaction.on_commit(lambda: mails_send_quietly([message], what="burst"))
    return 1


def burst_mail(*, burst: EmailBurst, items: list[HeldNotice], handled: int, now: datetime) -> Mail:
    """The e-mail of a burst: `items` (what still waits, in order) and how many others were
    handled meanwhile."""
    clinic, user = burst.clinic, burst.user
    context = notice_mail_context(clinic, user)
    since = local_date(burst.started_at.astimezone(ZoneInfo(clinic.timezone or "UTC")), "H:i T")
    subject = burst_subject(items, clinic)
    context |= {
        "heading": one_line(f"{burst_what(items)} at {clinic.name}"),
        "items": [(i, title_read_at(i, now=now), absolute_url(i.url)) for i in items],
        "handled": (
            ""
            if not handled
            else f"{handled} other{'s were' if handled != 1 else ' was'} handled meanwhile."
        ),  # fmt: skip
        "why": (
            f"These came after the e-mail you were sent at {since}: {burst_words()} "
            "Incident alerts always come at once, each on its own."
        ),
    }
    return Mail(
        subject=subject[:250],
        body=render_to_string("clinics/email/burst.txt", context),
        from_email=brand_sender(clinic.agency),
        reply_to=brand_reply_to(clinic.agency) or None,
        to=[user.email],
    )


def email_bursts_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """The bursts whose e-mail is due (ended, holding something, in a clinic not paused), as
    (burst id, clinic schema): for the sweeper, which sends what a lost task left behind
    (a worker restarted, Redis away). Bursts ended long ago with nothing held are cleared."""
    now = now or timezone.now()
    EmailBurst.objects.filter(ends_at__lt=now - timedelta(hours=1)).exclude(
        Exists(HeldNotice.objects.filter(burst=OuterRef("pk")))
    ).delete()
    return list(
        EmailBurst.objects.filter(ends_at__lte=now, clinic__deactivated_at__isnull=True)
        .filter(Exists(HeldNotice.objects.filter(burst=OuterRef("pk"))))
        .order_by("ends_at", "pk")
        .values_list("pk", "clinic__schema_name")
    )


def email_bursts_send_due(*, now: datetime | None = None) -> int:
    """Every burst whose e-mail is due and was not sent (`email_bursts_due`), each in its
    clinic's schema; one that fails is logged and leaves the others to go. Returns the
    e-mails sent."""
    now = now or timezone.now()
    sent = 0
    for burst_id, schema in email_bursts_due(now=now):
        try:
            with schema_context(schema):
                sent += email_burst_send(burst_id=burst_id, now=now)
        except Exception:  # noqa: BLE001 - the next sweep tries it again
            logger.exception("sending the e-mail of burst %s failed", burst_id)
    return sent


# What a waiting notice of these kinds asks of its person, as a permission: it waits for
# them only while their role allows it now (a writer made an analyst posts nothing by hand
# and submits no draft), by the one rule of who may do what (`clinics.access`); given it back,
# the notice waits again.
KIND_NEEDS: dict[str, Permission] = {
    "post_by_hand": Permission.WRITE,
    "draft": Permission.WRITE,
    "sent_back": Permission.WRITE,
}


def notices_still_theirs(user: User, rows: Iterable[Notification]) -> list[Notification]:
    """`rows` (one person's notices) less those of a kind their role no longer allows them
    to act on in its clinic (`KIND_NEEDS`, `clinics.access.user_access`): what waits for
    them now. One access check per clinic concerned."""
    allowed: dict[int, frozenset] = {}
    kept = []
    for row in rows:
        needs = KIND_NEEDS.get(row.kind)
        if needs is not None:
            if row.clinic_id not in allowed:
                access = user_access(user, row.clinic)
                allowed[row.clinic_id] = access.permissions if access else frozenset()
            if needs not in allowed[row.clinic_id]:
                continue
        kept.append(row)
    return kept


def notifications_open_for(
    user: User, *, clinic: Clinic | None = None, kind: str = ""
) -> list[Notification]:
    """What the banner and badge show: the person's open messages, incidents first (none
    about a clinic they no longer reach, nor about one its agency paused: nothing can be done
    there until it is reactivated, and then they show again; none their role no longer allows
    them to act on, `notices_still_theirs`). `kind`: only those of it."""
    if not user.is_authenticated:
        return []
    qs = (
        Notification.objects.filter(user=user, open=True)
        .exclude(IN_PAUSED_CLINIC)
        .exclude(clinics_out_of_reach(user, prefix="clinic__"))
        .select_related("clinic")
    )
    if clinic is not None:
        qs = qs.filter(clinic=clinic)
    if kind:
        qs = qs.filter(kind=kind)
    rows = notices_still_theirs(user, qs[:50])
    rows.sort(key=lambda n: (n.kind != "incident", -n.created_at.timestamp()))
    return rows


def notices_waiting_counted(user: User, *, kinds: Iterable[str]) -> list[dict]:
    """How many things of `kinds` wait for the person in each clinic, whichever channels they
    keep (`NoticeTold`: the banner, an e-mail now or the hourly digest; one who turned the
    banner off has no open message, yet the same things wait for them), in one query whatever
    the number of clinics: [{"kind", "clinic_id", "clinic__name", "clinic__slug", "n", "url"
    (the oldest open message's, None without one)}], the most first. Not about a paused clinic
    or one they no longer reach (`notifications_open_for`'s rule); without the per-clinic role
    check (`notices_still_theirs`): for agency staff, whose role grants the same in every
    clinic they reach, the caller asks the role once instead."""
    if not user.is_authenticated:
        return []
    oldest = Notification.objects.filter(
        user=user, open=True, kind=OuterRef("kind"), clinic_id=OuterRef("clinic_id")
    ).order_by("created_at", "pk")
    return list(
        NoticeTold.objects.filter(user=user, kind__in=list(kinds))
        .exclude(IN_PAUSED_CLINIC)
        .exclude(clinics_out_of_reach(user, prefix="clinic__"))
        .values("kind", "clinic_id", "clinic__name", "clinic__slug")
        .annotate(n=Count("pk"), url=Subquery(oldest.values("url")[:1]))
        .order_by("-n", "clinic__name", "clinic_id")
    )


def notifications_paused_marked(qs):
    """`qs` (notices) with `in_paused_clinic`: its clinic is paused, so an open one waits for
    nobody now (`IN_PAUSED_CLINIC`, the banner's rule). The histories read it."""
    return qs.annotate(
        in_paused_clinic=ExpressionWrapper(IN_PAUSED_CLINIC, output_field=BooleanField())
    )


def notice_mail_context(clinic: Clinic, user) -> dict:
    """What every e-mail of a person's notices in one clinic names: the person, the clinic, its
    agency and the person's staff role there (the notice digest, `clinics.arrivals`)."""
    staff_role = _staff_roles(clinic, [user]).get(user.pk, "")
    return {
        "name": user.full_name or user.email,
        "user": user,
        "clinic": clinic,
        "agency": clinic.agency,
        "staff_role": staff_role,
        "settings_url": settings_link(clinic, staff=bool(staff_role)),
    }
