from datetime import timedelta

from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone

from accounts.models import User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class EmailBackend(ModelBackend):
    """E-mail + password, case-insensitive e-mail, with a lockout after repeated failures."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip()
        if not email or password is None:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_login_count or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
            return user
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count"])
        if user.failed_login_count >= MAX_FAILED_LOGINS:
            User.objects.filter(pk=user.pk).update(locked_until=now + LOCKOUT, failed_login_count=0)
        return None
