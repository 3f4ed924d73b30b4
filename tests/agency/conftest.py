"""Fixtures for the agency's tests: the agency whose clinics' people read a brand of its own
(its white label)."""

from __future__ import annotations

import pytest

from agency.models import Agency

BRAND = "Brightside Care Reviews"
NAME = "Brightside Health Marketing"


@pytest.fixture
def branded(world, db):
    """Agency alpha (clinic A's) named NAME, branded BRAND for its clinics' people; named and
    branded as before afterwards."""
    # saved (not updated): a save clears the clinics' route cache, which holds the agency
    agency = Agency.objects.get(pk=world.agencies["alpha"].pk)
    before = (agency.name, agency.display_name)
    agency.name, agency.display_name = NAME, BRAND
    agency.save(update_fields=["name", "display_name"])
    world.clinics["a"].agency = agency
    yield agency
    agency.name, agency.display_name = before
    agency.save(update_fields=["name", "display_name"])
    world.clinics["a"].agency = Agency.objects.get(pk=agency.pk)
