"""API keys are cached in Redis by prefix; revoking or rotating one must end it at once.

These run outside the test transaction (committed rows), as the web process does: inside a
transaction the cache is bypassed on purpose (a rolled-back key must never be cached)."""

import pytest
from django.test import Client

from accounts.credentials import _api_key_cache_key, api_key_create
from accounts.models import ApiKey
from core import fastcache
from tests.fixtures.tenants import otp_verify_session


@pytest.fixture
def committed_key(world, django_db_blocker):
    with django_db_blocker.unblock():
        key, issued = api_key_create(
            agency=world.agencies["alpha"],
            clinic=world.clinics["a"],
            name="cache test",
            scopes=["read", "write"],
        )
    fastcache.delete(_api_key_cache_key(key.prefix))
    yield key, issued.secret
    with django_db_blocker.unblock():
        ApiKey.objects.filter(pk=key.pk).delete()
    fastcache.delete(_api_key_cache_key(key.prefix))


def _me(secret):
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/clinics/clinic-a/api/v1/me/")


def test_a_key_is_cached_after_its_first_use_and_revoking_ends_it_at_once(
    committed_key, django_db_blocker, world
):
    key, secret = committed_key
    with django_db_blocker.unblock():
        assert _me(secret).status_code == 200
        assert fastcache.get_object(_api_key_cache_key(key.prefix)).pk == key.pk
        owner = Client()
        owner.force_login(world.users["alpha_owner"])
        otp_verify_session(owner, world.users["alpha_owner"])
        revoked = owner.post(
            f"/clinics/clinic-a/api/v1/api-keys/{key.pk}/revoke/",
            content_type="application/json",
        )
        assert revoked.status_code == 200, revoked.content
        assert fastcache.get_object(_api_key_cache_key(key.prefix)) is None
        response = _me(secret)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_cached_key_still_needs_the_whole_secret(committed_key, django_db_blocker):
    key, secret = committed_key
    with django_db_blocker.unblock():
        assert _me(secret).status_code == 200  # now cached
        forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
        assert _me(forged).status_code == 401


def test_deleting_a_key_drops_it_from_the_cache(committed_key, django_db_blocker):
    key, secret = committed_key
    with django_db_blocker.unblock():
        assert _me(secret).status_code == 200
        ApiKey.objects.filter(pk=key.pk).delete()
        assert _me(secret).status_code == 401
