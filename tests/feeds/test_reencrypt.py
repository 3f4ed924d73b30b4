"""Key rotation: a new CREDENTIALS_KEY first, `reencrypt_credentials`, then the old key can go."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django_tenants.utils import schema_context

from core import crypto
from feeds.models import Source
from feeds.services import source_create, source_credentials


@pytest.fixture
def keys(settings):
    def use(*names):
        settings.CREDENTIALS_KEYS = list(names)
        crypto._fernet.cache_clear()

    yield use
    crypto._fernet.cache_clear()


def test_rotation_reencrypts_every_source_then_the_old_key_can_go(clinic_a, keys, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    with schema_context(clinic_a.schema_name):
        source = source_create(kind="yelp", name="Yelp", credentials={"api_key": "k-123456"})
        before = source.credentials_encrypted
    keys(new, old)
    call_command("reencrypt_credentials")
    assert "encrypted again with the newest key" in capsys.readouterr().out
    keys(new)
    with schema_context(clinic_a.schema_name):
        source = Source.objects.get(pk=source.pk)
        assert source.credentials_encrypted != before
        assert source_credentials(source) == {"api_key": "k-123456"}
    keys(old)  # the old key alone no longer reads it
    with schema_context(clinic_a.schema_name), pytest.raises(ValueError):
        source_credentials(Source.objects.get(pk=source.pk))
