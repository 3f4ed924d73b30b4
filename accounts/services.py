from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User
from core.errors import ValidationFailed


def user_get_or_create(*, email: str, full_name: str, password: str | None = None) -> User:
    """The user with this e-mail (case-insensitive), created if missing. An existing user's
    password is never changed here."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            "Invalid e-mail.", fields={"email": ["Enter a valid e-mail."]}
        ) from None
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    return User.objects.create_user(email, password, full_name=(full_name or "").strip())


# --- two-factor sign-in (django-otp) ---------------------------------------------------------

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODES = 10


def totp_device_pending(*, user: User):
    """The user's unconfirmed TOTP device (the one being enrolled), created if missing: its
    key is what the QR code carries until the user proves they stored it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, token: str):
    """Confirm the pending device with a code from the app; replaces any earlier TOTP
    device. Returns the device, or raises ValidationFailed (nothing changes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    token = (token or "").strip().replace(" ", "")
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise ValidationFailed(
            "Start the set-up again.", fields={"otp_token": ["The set-up expired; reload."]}
        )
    allowed, _ = device.verify_is_allowed()
    if not token.isdigit() or not allowed or not device.verify_token(token):
        raise ValidationFailed(
            "Wrong code.",
            fields={"otp_token": ["That code is not right. Enter the current 6-digit code."]},
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


@transaction.atomic
def otp_verify(*, user: User, token: str):
    """The confirmed device (TOTP, or a single-use backup code) that accepts `token`, or None.
    Each device throttles its own failures (django-otp's exponential back-off)."""
    from django_otp import devices_for_user

    token = (token or "").strip().replace(" ", "")
    if not token:
        return None
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


@transaction.atomic
def backup_codes_create(*, user: User) -> list[str]:
    """New single-use backup codes (the old ones stop working). Shown once."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Remove the user's devices. Refused for agency staff, who must keep two-factor on."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.selectors import user_is_agency_staff

    if user_is_agency_staff(user):
        raise ValidationFailed("Agency staff must keep two-factor sign-in on.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- password reset --------------------------------------------------------------------------

RESET_PER_ADDRESS_PER_HOUR = 3
RESET_PER_IP_PER_HOUR = 10


def _hit(key: str) -> int:
    from django.core.cache import cache

    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1


def password_reset_throttle(*, ip: str, email: str) -> str | None:
    """Count a reset request. Returns None when it may go ahead, "ip" when this address asked
    too often (the page says so), "email" when this e-mail address had its share this hour
    (the mail is silently not sent, so nobody learns whether the address exists)."""
    import hashlib

    if _hit(f"pwreset:ip:{ip}") > RESET_PER_IP_PER_HOUR:
        return "ip"
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    if _hit(f"pwreset:email:{digest}") > RESET_PER_ADDRESS_PER_HOUR:
        return "email"
    return None


def user_unlock(*, user: User) -> None:
    """Clear the failed-login lockout (after a password reset proved the mailbox)."""
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
