"""Finding 6: the lockout failed under concurrency (20 simultaneous sign-ins, 19 wrong and 1
right: the right one got in after far more than 5 guesses). Each attempt is now counted by one
atomic UPDATE before the password is looked at, so at most MAX_FAILED_LOGINS guesses are
evaluated per lockout whatever the concurrency; a per-address limit caps sign-ins (web 429
with a message, API 429 with Retry-After); unknown, locked and wrong answer alike, with the
same work (one password hash each)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.db import connection, connections
from django.test import Client

from accounts.models import SecurityEvent, User
from accounts.services import MAX_FAILED_LOGINS, SIGN_IN_FAILED, SIGNIN_PER_IP
from tests.fixtures.tenants import PASSWORD

HASHER = "tests.security.test_f6_lockout_under_concurrency.CountingHasher"


class CountingHasher(MD5PasswordHasher):
    """The test suite's MD5 hasher, recording every hash it checks, and as slow as a real one
    (so concurrent attempts overlap while they are evaluated)."""

    verified: list[str] = []
    lock = threading.Lock()

    def verify(self, password, encoded):
        with self.lock:
            self.verified.append(encoded)
        time.sleep(0.05)
        return super().verify(password, encoded)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [HASHER]
    CountingHasher.verified = []
    return CountingHasher


@pytest.fixture
def committed_user(world, django_db_blocker):
    """A user whose row is committed: every thread has its own connection."""
    with django_db_blocker.unblock():
        email = f"race-{uuid.uuid4().hex[:8]}@clinics.test"
        user = User.objects.create(email=email, full_name="Race", password=make_password(PASSWORD))
        try:
            yield user
        finally:
            for alias in connections:
                connections[alias].close()
            connection.close()
            User.objects.filter(pk=user.pk).delete()


def _burst(email: str, passwords: list[str]) -> list[int]:
    """One sign-in per password, all released at once, each from its own address (the
    per-address limit is not what this tests); returns the status codes, in order."""
    barrier = threading.Barrier(len(passwords))
    results: list[tuple[int, bool]] = [None] * len(passwords)

    def attempt(i: int, password: str) -> None:
        client = Client(REMOTE_ADDR=f"10.1.0.{i + 1}")
        try:
            barrier.wait()
            response = client.post("/login/", {"username": email, "password": password})
            results[i] = (response.status_code, "_auth_user_id" in client.session)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(passwords)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_20_concurrent_sign_ins_evaluate_at_most_5_guesses(committed_user, counting_hasher):
    # given 19 wrong passwords and the right one, all at once
    passwords = ["wrong"] * 19 + [PASSWORD]
    results = _burst(committed_user.email, passwords)
    # then at most MAX_FAILED_LOGINS of them were checked against the real hash
    real = [h for h in counting_hasher.verified if h == committed_user.password]
    assert len(real) <= MAX_FAILED_LOGINS
    # (every attempt did hash once: the others against the dummy hash)
    assert len(counting_hasher.verified) == 20
    signed_in = [i for i, (_, ok) in enumerate(results) if ok]
    assert signed_in in ([], [19])
    # and once locked, the right password is refused
    user = User.objects.get(pk=committed_user.pk)
    if not signed_in:
        assert user.locked_until is not None
        client = Client(REMOTE_ADDR="10.2.0.1")
        response = client.post("/login/", {"username": committed_user.email, "password": PASSWORD})
        assert response.status_code == 400 and "_auth_user_id" not in client.session
        assert SIGN_IN_FAILED in response.content.decode()


def test_20_concurrent_wrong_guesses_then_the_right_password_is_refused(
    committed_user, counting_hasher
):
    results = _burst(committed_user.email, ["wrong"] * 20)
    assert all(status == 400 and not ok for status, ok in results)
    real = [h for h in counting_hasher.verified if h == committed_user.password]
    assert len(real) == MAX_FAILED_LOGINS
    assert User.objects.get(pk=committed_user.pk).locked_until is not None
    client = Client(REMOTE_ADDR="10.3.0.1")
    client.post("/login/", {"username": committed_user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(event="login.locked", actor_id=committed_user.pk).count()


def test_unknown_locked_and_wrong_answer_alike_and_hash_once(world, db, counting_hasher):
    User.objects.filter(pk=world.users["a_viewer"].pk).update(locked_until="2999-01-01T00:00Z")
    answers = []
    for email, password in [
        ("nobody@clinics.test", "whatever"),  # unknown account
        ("a_viewer@clinics.test", PASSWORD),  # locked (right password)
        ("a_legal@clinics.test", "wrong"),  # wrong password
    ]:
        counting_hasher.verified = []
        response = Client().post("/login/", {"username": email, "password": password})
        assert len(counting_hasher.verified) == 1, email
        answers.append((response.status_code, SIGN_IN_FAILED in response.content.decode()))
    assert answers == [(400, True)] * 3
    for email in ("nobody@clinics.test", "a_viewer@clinics.test", "a_legal@clinics.test"):
        counting_hasher.verified = []
        response = Client().post(
            "/api/v1/auth/token/",
            {"email": email, "password": "wrong"},
            content_type="application/json",
        )
        assert response.status_code == 401 and len(counting_hasher.verified) == 1
        assert response.json()["code"] == "authentication_failed"


def test_per_address_limit_on_the_web_sign_in(world, db):
    client = Client(REMOTE_ADDR="10.9.0.1")
    for i in range(SIGNIN_PER_IP):
        response = client.post("/login/", {"username": f"x{i}@clinics.test", "password": "x"})
        assert response.status_code == 400
    refused = client.post("/login/", {"username": "a_legal@clinics.test", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many sign-in attempts from your network" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # another address is not concerned
    other = Client(REMOTE_ADDR="10.9.0.2")
    other.post("/login/", {"username": "a_legal@clinics.test", "password": PASSWORD})
    assert "_auth_user_id" in other.session


def test_per_address_limit_on_the_token_endpoint(world, db):
    client = Client(REMOTE_ADDR="10.9.1.1")
    body = {"email": "b_approver@clinics.test", "password": "wrong"}
    for _ in range(SIGNIN_PER_IP):
        client.post("/api/v1/auth/token/", body, content_type="application/json")
    body["password"] = PASSWORD
    refused = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts from your network" in refused.json()["detail"]


def test_successful_sign_ins_do_not_use_up_the_address_budget(world, db):
    client = Client(REMOTE_ADDR="10.9.2.1")
    for _ in range(SIGNIN_PER_IP + 5):
        client.post("/login/", {"username": "b_approver@clinics.test", "password": PASSWORD})
        assert "_auth_user_id" in client.session
        client.post("/logout/")
