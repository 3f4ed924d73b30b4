from django.core.exceptions import ValidationError
from django.core.validators import validate_email

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
