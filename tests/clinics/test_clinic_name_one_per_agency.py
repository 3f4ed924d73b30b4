"""Hostile-input walk 3: two clinics of one agency could still share a name: created at the
same moment (two clicks, two people), named with other spacing ("Clinic  A", a no-break
space, full-width letters) or renamed on the clinic's settings page. The one name rule
(`clinics.services.clinic_name_key`) now holds on every path, under a lock."""

from __future__ import annotations

import threading
import time

import pytest

from clinics import services as clinic_services
from clinics.models import Clinic
from clinics.services import clinic_create
from core.errors import ValidationFailed
from tests.fixtures.tenants import clinic_drop
from tests.fixtures.threads import race

TAKEN = (
    "Your agency has a clinic named “Clinic A” already (/clinics/clinic-a/): give this one a "
    "name that tells them apart, e.g. with its town or street."
)


@pytest.mark.parametrize(
    "name",
    ["Clinic  A", "Clinic\u00a0A", "\u2003Clinic\u2009A", "ＣＬＩＮＩＣ Ａ"],
    ids=["two-spaces", "no-break-space", "em-and-thin-space", "full-width"],
)
def test_a_name_spaced_or_written_otherwise_is_the_same_name(login, world, name):
    before = Clinic.objects.count()

    api = login("alpha_owner").post(
        "/api/v1/clinics/", {"name": name, "slug": "clinic-a-spaced"},
        content_type="application/json",
    )  # fmt: skip

    assert api.status_code == 400, api.json()
    assert api.json()["fields"] == {"name": [TAKEN]}
    assert Clinic.objects.count() == before


def _settings(client, clinic, name):
    return client.post(
        f"/clinics/{clinic.slug}/settings/",
        {"name": name, "timezone": clinic.timezone, "phone": clinic.phone, "email": clinic.email,
         "contact_url": clinic.contact_url, "reply_target_minutes": clinic.reply_target_minutes},
    )  # fmt: skip


def test_renaming_a_clinic_to_another_clinics_name_is_refused(login, world):
    clinic_b = world.clinics["b"]
    client = login("alpha_owner")

    for name in ("Clinic A", "clinic  a"):
        response = _settings(client, clinic_b, name)

        assert response.status_code == 400
        assert response.context["form"].errors["name"] == [TAKEN]
        assert Clinic.objects.get(pk=clinic_b.pk).name == "Clinic B"

    # its own name is still its own: saving the page as it is passes
    assert _settings(client, clinic_b, "Clinic B").status_code == 302
    assert Clinic.objects.get(pk=clinic_b.pk).name == "Clinic B"


def test_two_clinics_of_one_name_created_at_the_same_moment_make_one(
    world, django_db_blocker, monkeypatch
):
    agency = world.agencies["alpha"]
    name = f"Twin Clinic {time.time_ns()}"
    stamp = time.time_ns() % 10**8
    slugs = (f"twin-a-{stamp}", f"twin-b-{stamp}")
    clone = clinic_services.schema_clone_from_template
    first = threading.Event()

    def slow_clone(schema_name):
        # the first create holds its transaction open while the other one checks the name
        clone(schema_name)
        if not first.is_set():
            first.set()
            time.sleep(1)

    monkeypatch.setattr(clinic_services, "schema_clone_from_template", slow_clone)
    with django_db_blocker.unblock():
        try:
            results = race(
                lambda: clinic_create(agency=agency, name=name, slug=slugs[0]),
                lambda: clinic_create(agency=agency, name=name, slug=slugs[1]),
            )
            made = list(Clinic.objects.filter(agency=agency, name=name))
        finally:
            for clinic in Clinic.objects.filter(slug__in=slugs):
                clinic_drop(clinic)

    assert len(made) == 1, made
    [refused] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(refused, ValidationFailed)
    assert list(refused.fields) == ["name"]


def test_the_same_clinic_created_twice_at_once_is_one_clinic_for_both(
    world, django_db_blocker, monkeypatch
):
    # a double click: one name, one slug; the second is answered with the first's clinic
    agency = world.agencies["alpha"]
    stamp = time.time_ns() % 10**8
    name, slug = f"Twice Clinic {stamp}", f"twice-{stamp}"
    clone = clinic_services.schema_clone_from_template

    def slow_clone(schema_name):
        clone(schema_name)
        time.sleep(0.5)

    monkeypatch.setattr(clinic_services, "schema_clone_from_template", slow_clone)
    with django_db_blocker.unblock():
        try:
            results = race(
                lambda: clinic_create(agency=agency, name=name, slug=slug),
                lambda: clinic_create(agency=agency, name=name, slug=slug),
            )
        finally:
            for clinic in Clinic.objects.filter(slug=slug):
                clinic_drop(clinic)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0].pk == results[1].pk
