"""accounts.services.user_get_or_create: what cannot be stored is refused with its field, before
the insert (a value past the column's length was a DataError, an HTTP 500)."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services import user_get_or_create
from core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "full_name", "field"),
    [
        ("x" * 250 + "@example.com", "Zed", "email"),
        ("zed@example.com", "Z" * 201, "full_name"),
        ("not an address", "Zed", "email"),
    ],
)
def test_what_cannot_be_stored_is_refused_with_its_field(email, full_name, field):
    with pytest.raises(ValidationFailed) as refused:
        user_get_or_create(email=email, full_name=full_name)
    assert list(refused.value.fields) == [field]
    assert not User.objects.filter(full_name__startswith="Z").exists()


def test_the_same_address_in_another_case_is_the_same_user():
    first = user_get_or_create(email="Zed@Example.com", full_name=" Zed ")
    assert first.email == "zed@example.com" and first.full_name == "Zed"
    assert user_get_or_create(email="ZED@example.com", full_name="Other") == first
