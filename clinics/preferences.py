"""How each person wants to be told, and the one rule that decides whether and when a notice
is e-mailed to them (`email_when`). Every e-mail about a notice asks it: `people_notify`, the
incident alert (`crisis.services.notifications`) and the monthly report
(`reports.services.report_recipients`).

- Incident alerts (the on-call alert, the crisis team's, and their escalation) are always
  e-mailed at once: someone must act within minutes, and the escalation counts on it.
- What waits for the person (an approval, a legal check, a text sent back, facts to confirm,
  a statement to publish, a reply to post by hand, a failed delivery or a lost connection to
  fix, an incident role) is always e-mailed: at once, or in the hourly digest, as they choose.
  Nobody else gives their step, so an e-mail they turned off would stop the work silently.
- Notices for their information only come in groups (`OPTIONAL_EMAILS`), each by e-mail or
  only in their notification list, as they choose.
- "At once" is one e-mail per burst, not one per thing (`email_holds`): the first thing that
  waits for a person in a clinic is e-mailed at once; what follows for them there within
  `NOTICE_BURST_WINDOW` (5 minutes) comes in one e-mail when the window ends, listing what
  still waits. What must never wait (`NEVER_HELD`: incident alerts and their escalation, an
  incident role, an overdue follow-up; the security e-mails accounts sends itself) goes at
  once each time.

Whether waiting notices also show on the pages (banner and badge) is the person's choice too
(`in_app`). A person who never chose gets everything at once, by e-mail and on the pages.
Before the groups existed, one switch turned every e-mail off (`NotificationPreference.email`)
and the hourly digest left information-only notices out: a group nobody chose yet follows that
old choice (`OptionalEmail.follows_digest`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from accounts.models import NotificationEmailChoice, User
from accounts.selectors import user_is_agency_staff
from clinics.models import ClinicMembership, ClinicRole, Digest, NotificationPreference
from core.errors import ValidationFailed

NOW, DIGEST = "now", "digest"
# A shift handover of incidents: put on or taken off a clinic's on-call list, an incident role
# taken away (`crisis.services.incidents`); for information, but e-mailed at once like the
# alerts, so the person going home knows the crisis is no longer theirs.
ON_CALL, ROLE_ENDED = "on_call", "role_ended"
# Notices e-mailed at once to everyone they are for, whatever they chose.
ALWAYS_AT_ONCE = frozenset({"incident", ON_CALL, ROLE_ENDED})
# What waits for a person and is never held for a burst's e-mail (`email_holds`): a crisis
# needs them within minutes (an incident role given to them), or it is already late (a
# private follow-up past its due date).
NEVER_HELD = ALWAYS_AT_ONCE | {"assigned", "follow_up_overdue"}
# Who is offered a group's choice (others keep its default, and get no such notice anyway).
STAFF, APPROVERS, EVERYONE = "staff", "approvers", "everyone"


@dataclass(frozen=True)
class OptionalEmail:
    """A group of notices a person may take without an e-mail. `kinds`: the notification kinds
    it holds (empty: every information-only notice no other group holds). `follows_digest`:
    before the choice existed, people on the hourly digest got no e-mail for these.
    `staff_help`: the help as the agency's staff read it, where it differs."""

    label: str
    help: str
    off_words: str
    kinds: frozenset[str]
    audience: str
    follows_digest: bool = True
    staff_help: str = ""


OPTIONAL_EMAILS: dict[str, OptionalEmail] = {
    "replies": OptionalEmail(
        label="What happened to the replies you wrote",
        help="Published, not posted, to be posted by hand, or withdrawn because its review was "
        "settled. Nothing for you to do: the agency's owners and the people who must act are "
        "told separately.",
        off_words="No e-mail: only in my notification history",
        kinds=frozenset({"reply_published", "reply_failed", "reply_by_hand", "reply_withdrawn"}),
        audience=STAFF,
    ),
    "information": OptionalEmail(
        label="Other notices for your information",
        help="Such as a post-crisis review sent to your clinic, a client portal paused or "
        "opened again, or a reply to one of your clinic's reviews that could not be posted "
        "(the agency fixes it).",
        off_words="No e-mail: only in my notification history",
        # "review": the post-crisis review is ready to read; it asks nothing of them (a
        # question on it is theirs to ask or not), so never "waits for you" in a digest
        kinds=frozenset({"review"}),
        audience=EVERYONE,
        staff_help="Such as whether a clinic's data export you asked for is ready to download.",
    ),
    "report": OptionalEmail(
        label="The monthly report",
        help="The clinic's report with its PDF, sent to its approvers on the 1st or when the "
        "agency sends it.",
        off_words="No e-mail: I read it in the portal",
        kinds=frozenset({"report"}),
        audience=APPROVERS,
        follows_digest=False,
    ),
}
EMAIL_ON, EMAIL_OFF = "email", "no_email"
ALWAYS_WORDS = (
    "cannot be turned off: what waits for you and incident alerts are always e-mailed, "
    "because nobody else can act on them for you."
)


@dataclass(frozen=True)
class Preferences:
    """One person's choices: banner and badge (`in_app`), waiting notices at once or hourly
    (`digest`), and each optional group by e-mail or not (`emails`)."""

    in_app: bool = True
    digest: str = Digest.IMMEDIATE
    emails: Mapping[str, bool] = field(default_factory=lambda: dict.fromkeys(OPTIONAL_EMAILS, True))

    @property
    def hourly(self) -> bool:
        return self.digest == Digest.HOURLY


def email_group(kind: str, *, waits: bool) -> str | None:
    """The optional group a notice belongs to; None for one that is always e-mailed."""
    if kind in ALWAYS_AT_ONCE:
        return None
    for group, spec in OPTIONAL_EMAILS.items():
        if kind in spec.kinds:
            return group
    return None if waits else "information"


def email_when(pref: Preferences, *, kind: str, waits: bool) -> str | None:
    """The one rule: `NOW`, `DIGEST` (the hourly digest) or None (no e-mail) for a notice of
    `kind` to a person with `pref`. Incident alerts: now; what waits for them: now or in
    their digest, never None; information only: as they chose for its group."""
    if kind in ALWAYS_AT_ONCE:
        return NOW
    group = email_group(kind, waits=waits)
    if group is None:
        return DIGEST if pref.hourly else NOW
    return NOW if pref.emails.get(group, True) else None


def email_holds(kind: str, *, waits: bool) -> bool:
    """Whether a notice `email_when` sends `NOW` may be held for the e-mail of a burst
    (`clinics.notifications.people_notify`): what waits for the person, except what must
    never wait (`NEVER_HELD`), and only while bursts are on (`NOTICE_BURST_WINDOW`). A notice
    of an optional group (the post-crisis review) is for information: never in a burst's
    "what waits for you"."""
    return (
        waits
        and kind not in NEVER_HELD
        and email_group(kind, waits=waits) is None
        and settings.NOTICE_BURST_WINDOW.total_seconds() > 0
    )


def burst_words() -> str:
    """How "each one at once" works when several come close together, in words that follow
    a colon: the preference pages and the e-mail of a burst say it."""
    if settings.NOTICE_BURST_WINDOW.total_seconds() <= 0:
        return "each one is e-mailed to you as it comes."
    minutes = max(1, round(settings.NOTICE_BURST_WINDOW.total_seconds() / 60))
    within, end = (
        ("a minute", "that minute ends") if minutes == 1
        else (f"{minutes} minutes", f"those {minutes} minutes end")
    )  # fmt: skip
    return (
        "the first thing that waits for you at a clinic is e-mailed at once; whatever follows "
        f"for you there within {within} comes together in one e-mail when {end}, listing "
        "what still waits, soonest due first."
    )


def shows_on_pages(pref: Preferences) -> bool:
    """Whether what waits for the person shows on the pages: the banner, the nav badge and the
    count in the page title (`in_app`). Off: nothing shows there, incident alerts included
    (they are e-mailed at once anyway), and no message is opened for them; their history
    still lists what they were told."""
    return pref.in_app


def history_words(pref: Preferences, groups: Iterable[str]) -> list[str]:
    """What the person's notification history holds, as they chose, in sentences (for the
    top of the history pages): whether what waits for them shows on the pages and is listed
    there, and which notices for their information come only there (`groups`: those offered
    to them)."""
    words: list[str] = []
    if not shows_on_pages(pref):
        if pref.hourly:
            words.append(
                "You chose not to see what waits for you on these pages: it comes in your "
                "hourly e-mail digest, and is listed here too."
            )
        else:
            words.append(
                "You chose not to see what waits for you on these pages: each one is e-mailed "
                "to you at once, and your mailbox holds them (they are not listed here)."
            )
    quiet = [OPTIONAL_EMAILS[g].label for g in groups if not pref.emails.get(g, True)]
    mailed = [OPTIONAL_EMAILS[g].label for g in groups if pref.emails.get(g, True)]
    if quiet:
        words.append(f"You chose no e-mail for: {'; '.join(quiet)}. They are only here.")
    if mailed and not shows_on_pages(pref):
        words.append(f"Also e-mailed to you, and listed here: {'; '.join(mailed)}.")
    return words


def _defaults(legacy_email: bool | None, digest: str) -> dict[str, bool]:
    if legacy_email is None:  # never chose anything
        return dict.fromkeys(OPTIONAL_EMAILS, True)
    return {
        group: legacy_email and not (spec.follows_digest and digest == Digest.HOURLY)
        for group, spec in OPTIONAL_EMAILS.items()
    }


def preferences_for(users: Iterable[User]) -> dict[int, Preferences]:
    """Each person's choices (the defaults for those who never chose), in one query."""
    ids = [u.pk for u in users]
    if not ids:
        return {}
    rows = User.objects.filter(pk__in=ids).values_list(
        "pk",
        "notification_preference__email",
        "notification_preference__in_app",
        "notification_preference__digest",
        "notification_email_choices__group",
        "notification_email_choices__email",
    )
    found: dict[int, dict] = {}
    for pk, legacy_email, in_app, digest, group, email in rows:
        entry = found.setdefault(
            pk,
            {
                "in_app": True if in_app is None else in_app,
                "digest": digest or Digest.IMMEDIATE,
                "emails": _defaults(legacy_email, digest or Digest.IMMEDIATE),
            },
        )
        if group in OPTIONAL_EMAILS:
            entry["emails"][group] = email
    return {pk: Preferences(**found[pk]) if pk in found else Preferences() for pk in ids}


def preferences_chosen(user: User) -> bool:
    """Whether `user` ever saved how they are told (`notification_preferences_save` or
    `preference_set`), rather than living with the defaults: one query."""
    return NotificationPreference.objects.filter(user=user).exists()


def email_groups_offered(user: User) -> list[str]:
    """The groups whose choice the page offers `user`: the replies' outcomes to the agency's
    staff (they write replies), the monthly report to a clinic's approvers, the rest to all."""
    staff = user_is_agency_staff(user)
    approver = ClinicMembership.objects.filter(user=user, role=ClinicRole.APPROVER).exists()
    audience = {EVERYONE} | ({STAFF} if staff else set()) | ({APPROVERS} if approver else set())
    return [group for group, spec in OPTIONAL_EMAILS.items() if spec.audience in audience]


@transaction.atomic
def notification_preferences_save(
    *, user: User, in_app: bool, digest: str, emails: Mapping[str, bool]
) -> Preferences:
    """Store one person's choices; `emails`: group → e-mail or not, for the groups given (the
    others stay as they were). A group that is not optional (what waits for them, incident
    alerts) or a digest it does not know is refused, and nothing is stored."""
    fields: dict[str, list[str]] = {}
    if digest not in Digest.values:
        fields["digest"] = [f"Choose one of: {', '.join(str(c) for c in Digest.labels)}."]
    for group in emails:
        if group not in OPTIONAL_EMAILS:
            fields[f"email_{group}"] = [f"“{group}” {ALWAYS_WORDS}"]
    if fields:
        raise ValidationFailed("Your notification settings were not saved.", fields=fields)
    # every group is written down as it stands now, so that one not given keeps its value
    # whatever the digest becomes (a group nobody chose follows the old choices)
    before = preferences_for([user])[user.pk].emails
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"in_app": bool(in_app), "digest": digest}
    )
    for group in OPTIONAL_EMAILS:
        NotificationEmailChoice.objects.update_or_create(
            user=user, group=group, defaults={"email": bool(emails.get(group, before[group]))}
        )
    return preferences_for([user])[user.pk]
