"""The session engine (`SESSION_ENGINE`): Django's database sessions, except that a session
key that Django never makes cannot be looked up. A cookie may carry any text, and a quoted
one an escaped NUL (`sessionid="abcdefgh\\000"`), which PostgreSQL refuses to compare (a
DataError, a 500 on every page): such a cookie is no session, as an unknown key is."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        # Django's keys are 32 lowercase letters and digits (`get_random_string`)
        return bool(super()._validate_session_key(key)) and key.isascii() and key.isalnum()
