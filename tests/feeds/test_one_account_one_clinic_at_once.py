"""Finding (race): "this location, page or business is read by another clinic already" was
checked, then the source saved, each clinic in its own schema: two clinics claiming the same
platform account at the same moment both passed the check and both read it. The claim now
takes a lock on the account (its kind and id, whichever clinic asks) before the check and
holds it until the source is saved and committed: the second clinic waits, then gets the
refusal it would get a moment later, and nothing of its claim is stored. Each path that gives a
source an account is raced: adding one (the API, the Sources page), changing its settings,
and connecting it with OAuth."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import User
from core.crypto import encrypt_json
from feeds.models import AttemptStatus, ConnectAttempt, Source
from feeds.services import connections, sources
from feeds.services.connections import connect_choose
from feeds.services.sources import (
    AccountElsewhere,
    account_elsewhere_words,
    source_account_claim,
    source_create,
    source_update,
)
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.fixtures.threads import race

SESSION = "race-session"


@pytest.fixture(scope="module")
def two(django_db_setup, django_db_blocker):
    """Two committed clinics of one agency (each thread reads the other's committed rows) and
    a person of their own to connect with; dropped after the module."""
    tag = uuid.uuid4().hex[:8]
    with django_db_blocker.unblock():
        first = clinic_committed_create(
            slug=f"race-a-{tag}", name="Race Clinic A", agency_slug=f"race-{tag}"
        )
        second = clinic_committed_create(
            slug=f"race-b-{tag}", name="Race Clinic B", agency=first.agency
        )
        person = User.objects.create_user(f"race-{tag}@race.test", None, full_name="Rae Race")
        try:
            yield first.clinic, second.clinic, person
        finally:
            clinic_drop(first.clinic)
            clinic_drop(second.clinic)
            User.objects.filter(pk=person.pk).delete()


@pytest.fixture
def held_open(monkeypatch):
    """The first claim to save its source keeps its transaction open a moment after saving
    (while it writes the settings history): without the lock, the other claim's check runs
    then, sees nothing committed, and passes too."""
    first = threading.Event()

    def slowly(writer):
        def write(**kwargs):
            writer(**kwargs)
            if not first.is_set():
                first.set()
                time.sleep(0.5)

        return write

    monkeypatch.setattr(sources, "settings_changed", slowly(sources.settings_changed))
    monkeypatch.setattr(connections, "settings_changed", slowly(connections.settings_changed))


def _in(clinic, call):
    """`call` run in `clinic`'s schema (by a thread, on its own connection)."""

    def run():
        with schema_context(clinic.schema_name):
            return call()

    return run


def _yelp_add(business: str):
    return lambda: source_create(
        kind="yelp", name="Yelp", settings={"business_id": business},
        credentials={"api_key": "k-1"}, refuse_same=True,
    )  # fmt: skip


def _google_add(location: str):
    return lambda: source_create(
        kind="google", name="Google", settings={"account_id": "1", "location_id": location},
        credentials={"access_token": "ya29.x"}, refuse_same=True,
    )  # fmt: skip


def _google_move(clinic, location: str):
    """A Google source of `clinic` on another location, with credentials; the call moves it
    onto `location` (PATCH sources/<id>/ settings)."""
    with schema_context(clinic.schema_name):
        source = Source.objects.create(
            kind="google", name="Google", settings={"account_id": "1", "location_id": "555"},
            credentials_encrypted=encrypt_json({"access_token": "ya29.y"}),
        )  # fmt: skip

    def move():
        return source_update(
            source=Source.objects.get(pk=source.pk),
            actor=Actor.of_system("test", "Test"),
            settings={"account_id": "1", "location_id": location},
        )

    return move


def _google_connect(clinic, person, location: str):
    """An OAuth attempt of `clinic` waiting for the choice of `location`; the call chooses it
    (the Connect button's last step)."""
    with schema_context(clinic.schema_name):
        attempt = ConnectAttempt.objects.create(
            platform="google", user_id=person.pk, session_hash=connections._hash(SESSION),
            state_hash=uuid.uuid4().hex, redirect_uri="https://carewatch.test/oauth/google/",
            status=AttemptStatus.CHOOSING, expires_at=timezone.now() + timedelta(minutes=10),
            secrets_encrypted=encrypt_json({"grant": {
                "access_token": "ya29.c", "refresh_token": "1//r", "user_id": "g-1",
                "user_name": "rae@race.test",
            }}),
            choices=[{"id": f"accounts/1/locations/{location}", "name": "Google",
                      "settings": {"account_id": "1", "location_id": location}}],
        )  # fmt: skip

    def connect():
        return connect_choose(
            attempt_id=attempt.pk, choice_id=f"accounts/1/locations/{location}", user=person,
            session_key=SESSION, actor=Actor(user=person, via_session=True),
            backlog_as_history=True,
        )  # fmt: skip

    return connect


def _reading(clinic, kind: str, key: str, account: str) -> list[Source]:
    with schema_context(clinic.schema_name):
        return [
            s for s in Source.objects.filter(kind=kind)
            if str(s.settings.get(key, "")).endswith(account) and s.credentials_encrypted
        ]  # fmt: skip


CLAIMS = {
    # (kind, setting, the first clinic's claim, the second clinic's claim)
    "add-and-add": ("yelp", "business_id", "add_yelp", "add_yelp"),
    "move-and-add": ("google", "location_id", "move", "add_google"),
    "connect-and-add": ("google", "location_id", "connect", "add_google"),
    "connect-and-connect": ("google", "location_id", "connect", "connect"),
}


def _claim(how: str, clinic, person, account: str):
    return {
        "add_yelp": lambda: _yelp_add(account),
        "add_google": lambda: _google_add(account),
        "move": lambda: _google_move(clinic, account),
        "connect": lambda: _google_connect(clinic, person, account),
    }[how]()


@pytest.mark.parametrize("case", CLAIMS, ids=list(CLAIMS))
def test_two_clinics_claiming_one_account_at_once_one_wins_and_the_other_is_refused(
    two, django_db_blocker, held_open, case
):
    kind, key, how_a, how_b = CLAIMS[case]
    clinic_a, clinic_b, person = two
    account = f"race-{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        # given each clinic about to claim the same account
        calls = {
            clinic_a: _in(clinic_a, _claim(how_a, clinic_a, person, account)),
            clinic_b: _in(clinic_b, _claim(how_b, clinic_b, person, account)),
        }

        # when both claim it at the same moment
        results = dict(zip(calls, race(*calls.values()), strict=True))

        # then exactly one clinic reads it
        refused = {c: r for c, r in results.items() if isinstance(r, AccountElsewhere)}
        assert len(refused) == 1, results
        [(loser, refusal)] = refused.items()
        [winner] = [c for c in results if c is not loser]
        assert not isinstance(results[winner], Exception), results[winner]
        assert len(_reading(winner, kind, key, account)) == 1
        assert _reading(loser, kind, key, account) == []
        # and the other is told so, as a claim made a moment later is
        name = "Yelp" if kind == "yelp" else "Google"
        words = account_elsewhere_words(name, winner, loser)
        assert refusal.text() == words
        assert f"is read by “{winner.name}” already" in words
        assert refusal.fields == {"settings": [words]}
        with schema_context(loser.schema_name):
            later = (_yelp_add if kind == "yelp" else _google_add)(account)
            with pytest.raises(AccountElsewhere) as again:
                later()
        assert again.value.text() == words
        assert _reading(loser, kind, key, account) == []
        if (how_a if loser is clinic_a else how_b) == "connect":
            with schema_context(loser.schema_name):  # the choice stays open, as when refused
                assert ConnectAttempt.objects.filter(status=AttemptStatus.CHOOSING).count() == 1
        for clinic in (clinic_a, clinic_b):
            with schema_context(clinic.schema_name):
                ConnectAttempt.objects.all().delete()


def test_the_claim_is_refused_outside_a_transaction(two, django_db_blocker):
    """The lock lasts as long as the transaction: outside one it would end at once."""
    clinic_a, _, _ = two
    with django_db_blocker.unblock(), schema_context(clinic_a.schema_name):
        with pytest.raises(RuntimeError, match="until the transaction ends"):
            source_account_claim(kind="yelp", settings={"business_id": "b"}, name="Yelp")
        with transaction.atomic():
            source_account_claim(kind="yelp", settings={"business_id": "b"}, name="Yelp")
