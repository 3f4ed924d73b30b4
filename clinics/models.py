import re
import zoneinfo
from functools import cache
from importlib.resources import files

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin

from core.models import BaseModel, HeardQuerySet
from core.settings_history import AREA_WORDS
from core.text import address_problem


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # walks the tz database: slow, so once


# The zones most clinics are in, first in the pickers (US and Canada, then a few others).
COMMON_TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
    "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Halifax",
    "America/St_Johns", "Europe/London", "UTC",
)  # fmt: skip


@cache
def _canonical_time_zones() -> tuple[str, ...]:
    """The tz database's Area/Location zones as its own zone.tab lists them for pickers (one
    name per place: no "US/Pacific", "Etc/GMT+0", "Factory", "localtime", "Zulu" or other
    backward-compatible links), plus UTC."""
    table = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    names = {
        line.split("\t")[2].strip()
        for line in table.splitlines()
        if line and not line.startswith("#")
    }
    return tuple(sorted((names & _time_zones()) | {"UTC"}))


def time_zone_choices(current: str | None = None) -> list:
    """(group, [(zone, zone)]) for a select: the common zones, then every other canonical one.
    `current`, a clinic's stored zone under an older name (e.g. "US/Pacific"), stays on the
    list for that clinic, so its settings still show and save it."""
    canonical = _canonical_time_zones()
    common = [z for z in COMMON_TIME_ZONES if z in canonical]
    rest = [z for z in canonical if z not in common]
    groups = [
        ("Common", [(z, z.replace("_", " ")) for z in common]),
        ("All time zones", [(z, z.replace("_", " ")) for z in rest]),
    ]
    if current and current not in canonical and current in _time_zones():
        groups.insert(0, ("Saved", [(current, f"{current.replace('_', ' ')} (older name)")]))
    return groups


# Shown when a phone is refused; every example must pass `validate_phone` (a test runs them).
PHONE_EXAMPLES = ("+1 212 555 0142", "(303) 555-0117 ext. 12")
PHONE_HELP = f"Write a phone number, e.g. {PHONE_EXAMPLES[0]} or {PHONE_EXAMPLES[1]}."

# An extension as people write it after the number: "ext. 12", "ext 12", "extension 12", "x12",
# optionally after a comma (the reply guard drops the same forms when it matches numbers).
_PHONE_EXTENSION = re.compile(r"[\s,;]*(?:ext\.?|extension|x)\s*\d{1,5}$", re.I | re.A)
# An area code in brackets, "(303)" or "(0)", stands for its digits in the shape check.
_PHONE_BRACKETS = re.compile(r"\(\d{1,5}\)", re.A)
# Groups of digits separated by one space, dot or dash each ("(303) 555" is checked as "9 555").
_PHONE_SHAPE = re.compile(r"^\+?\s?\d+(?:[ .\-]\d+)*$", re.A)


def validate_phone(value: str) -> None:
    """A public phone number as people write it: 7 to 15 digits in groups separated by a
    space, dot or dash, an optional leading +, an area code optionally in brackets
    ("(303) 555-0142", "+1 (303) 555-0142", "303.555.0142"), an optional extension
    ("ext. 12", "x12")."""
    if not value:
        return
    number = _PHONE_EXTENSION.sub("", value.strip())
    shape = _PHONE_BRACKETS.sub("9", number)
    digits = sum(c in "0123456789" for c in number)
    if not _PHONE_SHAPE.match(shape) or not 7 <= digits <= 15:
        raise ValidationError(PHONE_HELP)


# A clinic's web address, /clinics/<slug>/ (its schema is named after it).
CLINIC_SLUG_EXAMPLE = "harbor-dental"
# Path segments and schema names kept for the product itself ("template": clinic_template).
RESERVED_CLINIC_SLUGS = frozenset({"public", "api", "static", "admin", "template"})
# A badly shaped web address is told the rule (never "not available", which reads as taken).
CLINIC_SLUG_FORMAT = (
    "Use 3–50 lowercase letters, digits and hyphens, a letter or digit first and last, "
    f"e.g. {CLINIC_SLUG_EXAMPLE}."
)
# One answer for a well-shaped web address a clinic cannot have: reserved, or another agency's
# clinic's (whether a clinic exists elsewhere is not this agency's business: no existence
# oracle, security finding 11). The agency's own clinic's is "taken" (`clinics.views`).
CLINIC_SLUG_UNAVAILABLE = "Not available: choose another web address."
# A name of fewer than 3 Latin letters or digits ("診所") gives no web address by itself.
CLINIC_SLUG_NOT_MADE = (
    f"No web address can be made from this name: type one, e.g. {CLINIC_SLUG_EXAMPLE}."
)


def validate_clinic_slug(value: str) -> None:
    """A clinic's web address as the clinic gets it (trimmed, lowercased): 3-50 lowercase
    letters, digits and hyphens (`core.text.address_problem`), not a reserved word. The one
    rule of the clinic form, the clinics API and `clinics.services.clinic_create`, which
    answers a slug another agency's clinic has in the same words."""
    if address_problem(value, example=CLINIC_SLUG_EXAMPLE, least=3, most=50):
        raise ValidationError(CLINIC_SLUG_FORMAT)
    if value.strip().lower() in RESERVED_CLINIC_SLUGS:
        raise ValidationError(CLINIC_SLUG_UNAVAILABLE)


def validate_timezone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"{value!r} is not a time zone name (for example Europe/London).")


def clinic_zone(clinic) -> zoneinfo.ZoneInfo:
    """The clinic's time zone (anything with a `timezone` name); a zone that cannot be loaded
    (a bad stored value) reads as UTC rather than failing the page."""
    try:
        return zoneinfo.ZoneInfo(clinic.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo("UTC")


class ClinicQuerySet(HeardQuerySet):
    def active(self):
        """Clinics the agency serves now: not deactivated (`clinics.lifecycle`)."""
        return self.filter(deactivated_at__isnull=True)

    def deactivated(self):
        return self.filter(deactivated_at__isnull=False)


class Clinic(TenantMixin, BaseModel):
    """A clinic: the tenant. Its reviews, replies and incidents live in its own schema
    (`schema_name`); this row, in the public schema, is the registry entry."""

    agency = models.ForeignKey("agency.Agency", on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    specialties = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    # Public channels for taking a conversation private. Never a patient's details.
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    contact_url = models.URLField(blank=True)
    reply_target_minutes = models.PositiveIntegerField(
        default=24 * 60, validators=[MinValueValidator(5)]
    )

    # Set by `clinics.lifecycle.clinic_deactivate` (a client that left): read-only for staff,
    # closed to its people and keys, skipped by every sweep over clinics; cleared on reactivation.
    deactivated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deactivated_by_label = models.CharField(max_length=100, blank=True, default="")
    deactivated_by_name = models.CharField(max_length=200, blank=True, default="")

    objects = ClinicQuerySet.as_manager()

    # The row, its schema and its domain are created in one transaction by
    # `clinics.services.clinic_create`, never as a save() side effect.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deactivated(self) -> bool:
        return self.deactivated_at is not None


class Domain(DomainMixin):
    """How requests find the clinic. With path routing the "domain" is the path segment after
    /clinics/ (the slug); a clinic may also have real host names for a future host router."""

    objects = HeardQuerySet.as_manager()  # an update() is heard by `clinics.routes`


class ClinicRole(models.TextChoices):
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


class CrisisRole(models.TextChoices):
    COMMS = "comms", "Comms / PR"
    LEGAL = "legal", "Legal / compliance"
    CLINICIAN = "clinician", "Clinician"
    SOCIAL = "social", "Social media manager"


# What each role may do: the people page says it beside its pickers, and the e-mails about a
# person's roles say the same ("Your role: - Approver: approves replies ...").
CLINIC_ROLE_HELP = {
    ClinicRole.APPROVER: "approves replies and public statements in the client portal before "
    "they are published (the clinic's own approval step).",
    ClinicRole.VIEWER: "sees the clinic's reviews, replies and incidents in the client portal.",
}
CRISIS_TEAM_HELP = "alerted by e-mail as soon as a crisis incident opens"
CRISIS_ROLE_HELP = {
    CrisisRole.COMMS: "helps prepare the clinic's public statements during a crisis.",
    CrisisRole.LEGAL: "checks replies the compliance guard flags, and may publish past a block "
    "with a written reason.",
    CrisisRole.CLINICIAN: "checks replies that state health details (a condition, a treatment, "
    "a medicine) before they are published.",
    CrisisRole.SOCIAL: "follows the clinic's social media while a crisis lasts.",
}


def clinic_roles_explained() -> list[tuple[str, str, str]]:
    """Every portal role as (value, label, what it may do), in the pickers' order."""
    return [(value, label, CLINIC_ROLE_HELP[value]) for value, label in ClinicRole.choices]


def crisis_roles_explained() -> list[tuple[str, str, str]]:
    """Every crisis-team role as (value, label, what it may do), in the pickers' order."""
    return [(value, label, CRISIS_ROLE_HELP[value]) for value, label in CrisisRole.choices]


def crisis_role_labels(codes) -> list[str]:
    """Crisis roles in words, in the form's order: ["Comms / PR", "Legal / compliance"]."""
    held = set(codes or ())
    return [label for value, label in CrisisRole.choices if value in held]


class ClinicMembership(BaseModel):
    """One of the clinic's people: an approver or viewer in the portal, and any number of
    crisis-team roles."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="clinic_memberships"
    )
    role = models.CharField(max_length=16, choices=ClinicRole.choices)
    crisis_roles = ArrayField(
        models.CharField(max_length=16, choices=CrisisRole.choices), default=list, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="clinic_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.clinic} · {self.role}"

    @property
    def crisis_role_labels(self) -> list[str]:
        return crisis_role_labels(self.crisis_roles)


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class ChatWebhook(BaseModel):
    """An incoming-webhook URL of a Slack or Teams channel that incident alerts go to: the
    agency's (clinic None: every clinic of the agency) or one clinic's. The URL is a secret
    (whoever holds it can post to the channel), so it is stored encrypted (core.crypto)."""

    agency = models.ForeignKey("agency.Agency", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_webhooks"
    )
    kind = models.CharField(max_length=8, choices=ChatKind.choices)
    url_encrypted = models.TextField()
    url_hint = models.CharField(max_length=80, blank=True, default="")  # host + last characters
    # The last "Send test message" (`clinics.alerting.chat_webhook_test`): when, by whom, whether
    # it arrived (None while it is being sent) and the result in words. Cleared with a new URL.
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_by_name = models.CharField(max_length=200, blank=True, default="")
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_result = models.CharField(max_length=600, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "clinic", "kind"],
                nulls_distinct=False,
                name="chat_webhook_one_per_scope_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.url_hint}"


class OnCall(BaseModel):
    """The simplest rota: the agency people responsible for one clinic, in order. A clinic
    without any falls back to the agency's owners and managers."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="on_call")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="on_call_unique"),
        ]


class Digest(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    HOURLY = "hourly", "Hourly digest"


class NotificationPreference(BaseModel):
    """How one person wants to be told. Incident alerts are always sent at once; the digest
    setting batches the e-mails about work that waits for them (approvals, legal, assignments).
    Their choices per group of notices for information: `accounts.NotificationEmailChoice`;
    the rule that reads both: `clinics.preferences.email_when`."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_preference"
    )
    # The old "e-mail me" switch: read only as the default of the groups of notices the person
    # has not chosen since (`clinics.preferences`); what waits for them is e-mailed anyway.
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)
    digest = models.CharField(max_length=12, choices=Digest.choices, default=Digest.IMMEDIATE)


class Notification(BaseModel):
    """One in-app message to one person (public schema, so a page of any clinic or the agency
    dashboard can show it). `ref` names what it is about ("incident:<id>"); incident alerts stay
    `open` (the banner) until the incident is acknowledged."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24)  # incident, approval, legal, assigned
    ref = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=8, blank=True, default="")
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    open = models.BooleanField(default=True)
    # False: for the person's information only (a failure notice to a clinic's approver):
    # never open, never in the banner or the digest; kept so their history lists it
    waits = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # E-mail owed to a person: on the hourly digest (`waits`), or (not `waits`) in one e-mail
    # with the others of a burst (`notifications_owed_send`); `emailed_at` is set when it went.
    email_pending = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # the deadline the title names ("— reply due …", `clinics.notifications.deadline_words`):
    # the pages say it as it reads when they are shown (`notice_title`), not as it was sent
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "open"], name="notification_user_open"),
            models.Index(
                fields=["email_pending"],
                condition=models.Q(email_pending=True),
                name="notification_email_pending",
            ),
        ]


class NoticeTold(models.Model):
    """A person was told that something waits for them (`people_notify`, `ref`), by whichever
    channels they keep (the banner, an e-mail now, the hourly digest, or the caller's own
    e-mail): the same thing is not told to them again until it is done for them
    (`notifications_close`, `_withdraw`, `_replace`, `notification_read`, a leaver's notices),
    which removes the row. The one record `people_notify` de-duplicates by, whatever the
    person's channels: one who turned the banner off has no open message to go by. So also
    what counts what waits for a person (`notices_waiting_counted`), by `kind`."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=64)
    # the notice's kind (approval, draft, …), as `Notification.kind`
    kind = models.CharField(max_length=24, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "ref", "user"], name="notice_told_once")
        ]

    def __str__(self) -> str:
        return f"{self.ref} told to user {self.user_id}"


class EmailBurst(models.Model):
    """One person is being e-mailed, one at a time, about what waits for them in one clinic:
    the e-mail that opened the burst went at once (`started_at`); what comes for them there
    until `ends_at` is held (`HeldNotice`) and goes as one e-mail then
    (`clinics.notifications.email_burst_send`), which opens the next one. Stored, so that a
    worker restart loses nothing: the minute sweeper sends what a lost task left behind."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="email_burst_once")]

    def __str__(self) -> str:
        return f"burst of user {self.user_id} at clinic {self.clinic_id} until {self.ends_at}"


class HeldNotice(models.Model):
    """A notice whose e-mail waits for its burst's e-mail (`EmailBurst`): one per `ref`, the
    latest words. Whether it still waits is read when the burst's e-mail goes (`NoticeTold`):
    one handled meanwhile is counted, not listed."""

    burst = models.ForeignKey(EmailBurst, on_delete=models.CASCADE, related_name="held")
    kind = models.CharField(max_length=24)
    ref = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["burst", "ref"], name="held_notice_once")]

    def __str__(self) -> str:
        return f"{self.ref} held for burst {self.burst_id}"

    @property
    def clinic(self) -> Clinic:  # what `title_read_at` and `notices_still_theirs` read
        return self.burst.clinic

    @property
    def clinic_id(self) -> int:
        return self.burst.clinic_id


# How the settings history names a clinic's reply target (`clinics.services.CLINIC_SETTINGS`);
# `clinics.selectors.reply_target_at` reads its changes back.
REPLY_TARGET_SETTING = "Reply target for reviews (minutes)"


class SettingVia(models.TextChoices):
    PAGE = "page", "Settings page"
    API = "api", "API"
    OTHER = "other", "Carewatch (no page or API)"


class SettingChange(models.Model):
    """One setting changed: when, by whom (an `Actor`'s stable label and shown name), where (a
    clinic, or agency-wide with `clinic` empty), what in plain words, its old and new value in
    words (a secret is never stored: only whether it was set, replaced or removed), and whether
    on a page or through the API. Written only by `clinics.history.settings_changed`, in the
    transaction of the change; never changed afterwards. A clinic's lines go with the clinic."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    agency = models.ForeignKey("agency.Agency", on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.CharField(max_length=16, choices=[(a.value, w) for a, w in AREA_WORDS.items()])
    setting = models.CharField(max_length=200)
    old_value = models.TextField(blank=True, default="")
    new_value = models.TextField(blank=True, default="")
    actor_label = models.CharField(max_length=100)
    actor_name = models.CharField(max_length=200, blank=True, default="")
    via = models.CharField(max_length=8, choices=SettingVia.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-created_at", "-id"], name="setting_change_agency"),
            models.Index(fields=["clinic", "-created_at", "-id"], name="setting_change_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.setting}: {self.old_value} → {self.new_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("The settings history is append-only.")
        super().save(*args, **kwargs)

    @property
    def where(self) -> str:
        """`clinic` (this clinic's setting) or `agency` (the agency's own), stable."""
        return "clinic" if self.clinic_id else "agency"

    @property
    def by_words(self) -> str:
        """Who changed it, as the page names them (their name; their label if none)."""
        return self.actor_name or self.actor_label
