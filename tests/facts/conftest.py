"""Callers of a clinic's API as one signed-in person (the same helper the responses tests use)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clinics.models import Clinic
from tests.responses.conftest import Api


@pytest.fixture
def as_user(login) -> Callable[[str, Clinic], Api]:
    def _as(name: str, clinic: Clinic) -> Api:
        return Api(login(name), clinic)

    return _as
