from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import BaseModel
from core.text import NAME_TITLES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: agency staff or a clinic's people. Lives in the public schema; what a user
    may reach is decided by memberships (`agency.AgencyMembership`, `clinics.ClinicMembership`).
    `is_staff` only opens Django's admin (superusers); it grants nothing in the product."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # raised by "sign out everywhere else": part of the session hash, so every other session
    # of this person stops at its next request (as a changed password does)
    session_epoch = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password (for the current and the fallback secret keys), with
        the session epoch mixed in once raised (see `session_epoch`): the same value as
        Django's while the epoch is 0."""
        base = super()._get_session_auth_hash(secret=secret)
        if not self.session_epoch:
            return base
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "accounts.User.session_epoch", f"{base}:{self.session_epoch}", secret=secret,
            algorithm="sha256",
        ).hexdigest()  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        """The first name to greet: "Cam" for "Dr Cam Clinician" (a title is not a name); the
        full name when it is only titles, the e-mail address when there is none."""
        words = self.full_name.split()
        name = next((w for w in words if w.rstrip(".").casefold() not in NAME_TITLES), None)
        return name or self.full_name.strip() or self.email


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    APPROVE = "approve", "Approve"


class RotationGrace(models.TextChoices):
    """How long the old secret of a rotated API key keeps working (`api_key_rotate`)."""

    NONE = "none", "no time: it stops now"
    HOUR = "1h", "1 hour"
    DAY = "24h", "24 hours"
    WEEK = "7d", "7 days"


class ApiKeyQuerySet(models.QuerySet):
    def working(self, now=None):
        """Keys whose secret works now: not revoked, and not past `expires_at` (the end of a
        rotation's grace period, checked at every authentication; no job ends it)."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(BaseModel):
    """A credential for integrators: bound to one clinic, or to a whole agency (clinic empty).
    Only a SHA-256 digest of the secret is stored; the secret is shown once, at creation."""

    agency = models.ForeignKey("agency.Agency", on_delete=models.CASCADE, related_name="api_keys")
    clinic = models.ForeignKey(
        "clinics.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices), default=list)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The key that rotating this one issued. The rotation revokes this one at once, or lets
    # its (old) secret work until `expires_at`, the grace period chosen (`RotationGrace`).
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def works(self, now=None) -> bool:
        """Whether the secret works now (`ApiKeyQuerySet.working`, for one key)."""
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_active(self) -> bool:
        return self.works()

    @property
    def retiring(self) -> bool:
        """The old secret of a rotation, still working in its grace period."""
        return self.replaced_by_id is not None and self.works()

    @property
    def ended_at(self):
        """When the secret stopped working (revoked, or its grace period over), else None."""
        if self.works():
            return None
        return self.revoked_at if self.revoked_at is not None else self.expires_at


class PersonalToken(BaseModel):
    """A user's API token: acts with exactly that user's memberships. Stored hashed."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class NotificationEmailChoice(BaseModel):
    """One person's choice for one group of notices that may come without an e-mail (the
    groups and what they hold: `clinics.preferences.OPTIONAL_EMAILS`). What waits for a person
    and incident alerts have no such choice: they are always e-mailed, whatever rows say. Kept
    here, with the person, so it goes with them."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_email_choices"
    )
    group = models.CharField(max_length=32)
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"], name="notification_email_choice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.group}: {'e-mail' if self.email else 'no e-mail'}"


class SecurityEventCode(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", "Signed in"
    LOGIN_PASSWORD_OK = "login.password", "Password accepted, two-factor code to follow"
    LOGIN_FAILED = "login.failed", "Sign-in failed"
    LOGIN_LOCKED = "login.locked", "Account locked"
    LOGIN_THROTTLED = "login.throttled", "Too many sign-ins from one address"
    LOGIN_UNLOCKED = "login.unlocked", "Account unlocked by an owner"
    OTP_FAILED = "otp.failed", "Wrong two-factor code"
    OTP_ENROLLED = "otp.enrolled", "Two-factor turned on"
    OTP_RESET = "otp.reset", "Two-factor moved to another app"
    OTP_DISABLED = "otp.disabled", "Two-factor turned off"
    OTP_RESET_FOR = "otp.reset_for", "Two-factor reset for someone (to set up again)"
    BACKUP_CODES_CREATED = "otp.backup_codes", "Backup codes created"
    PASSWORD_RESET = "password.reset", "Password reset"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted: password set"
    INVITATION_RESENT = "invitation.resent", "Invitation sent again"
    PASSWORD_CHANGED = "password.changed", "Password changed"
    SESSIONS_ENDED = "sessions.ended", "Signed out everywhere else"
    TOKEN_ISSUED = "token.issued", "Personal token issued"
    TOKEN_REVOKED = "token.revoked", "Personal token revoked"
    API_KEY_ISSUED = "api_key.issued", "API key issued"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    API_KEY_ROTATED = "api_key.rotated", "API key rotated"
    API_KEY_OLD_ENDED = "api_key.old_ended", "Old secret of a rotated API key stopped early"
    MEMBER_ADDED = "member.added", "Person added"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Role changed"
    MEMBER_CLINICS_CHANGED = "member.clinics_changed", "Clinics changed"
    MEMBER_REMOVED = "member.removed", "Person removed"
    CRISIS_ROLES_CHANGED = "member.crisis_roles", "Crisis roles changed"
    USER_DEACTIVATED = "user.deactivated", "Account deactivated"
    WEBHOOK_SECRET_CHANGED = "webhook.secret", "Webhook secret issued"
    SOURCE_SECRET_CHANGED = "source.secret", "Source secret or credentials changed"
    CLINIC_DEACTIVATED = "clinic.deactivated", "Clinic deactivated"
    CLINIC_REACTIVATED = "clinic.reactivated", "Clinic reactivated"
    CLINIC_DELETED = "clinic.deleted", "Clinic deleted permanently"
    CLINIC_EXPORT_REQUESTED = "clinic.export", "Clinic data export requested"
    CLINIC_EXPORT_DOWNLOADED = "clinic.export_download", "Clinic data export downloaded"


class AppendOnlyError(Exception):
    pass


class SecurityEvent(models.Model):
    """One line of the security audit log: who did what, when, from where. Append-only (a
    database trigger refuses UPDATE and DELETE). People and places are kept as plain ids and
    e-mails, not foreign keys: deleting a user or a clinic must neither fail nor rewrite the
    log. Written only by `accounts.services.security_event_record`."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.CharField(max_length=32, choices=SecurityEventCode.choices, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_key_prefix = models.CharField(max_length=16, blank=True)
    target_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_email = models.CharField(max_length=254, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    clinic_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # the clinic's name when the line was written, so the line names it after a rename or
    # the clinic's deletion ("" on lines written before it was kept)
    clinic_name = models.CharField(max_length=200, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event} {self.actor_email}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("The security log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The security log is append-only.")


class WithdrawnInvitation(BaseModel):
    """An invitation nobody accepted, withdrawn because the clinic it was for was deleted: its
    link stops working (the person gets a new unusable password), but the page it opens still
    says why, in the agency's brand, and whom to ask. `marker`: the password field the link
    was signed with, so only a link Carewatch made for the person before the withdrawal is
    recognised (`accounts.selectors.invitation_withdrawn_for`); it is an unusable-password
    marker, never a password. The agency is kept as a plain id (accounts is below agency)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="withdrawn_invitations"
    )
    agency_id = models.BigIntegerField()
    place = models.CharField(max_length=200)  # the clinic, by the name it had
    marker = models.CharField(max_length=128)

    def __str__(self) -> str:
        return f"{self.user_id} · {self.place} (withdrawn {self.created_at:%Y-%m-%d})"
