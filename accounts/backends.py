from django.contrib.auth.backends import ModelBackend

from accounts.services import SignInFailed, client_ip, user_authenticate


class EmailBackend(ModelBackend):
    """E-mail + password, case-insensitive e-mail, with the lockout and the per-address limit
    of `accounts.services.user_authenticate` (SignInThrottled goes up to the sign-in form)."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip()
        if not email or password is None:
            return None
        try:
            return user_authenticate(email=email, password=password, ip=client_ip(request))
        except SignInFailed:
            return None
