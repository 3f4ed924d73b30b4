"""The default facts a new clinic starts with are in US English (the clinics are in the US
and Canada); the clinics' own stored facts are never reworded."""

from __future__ import annotations

import re
from importlib import import_module
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django_tenants.utils import schema_context

from clinics.schemas import TEMPLATE_SCHEMA
from clinics.services import clinic_create
from facts.defaults import DEFAULT_FACTS
from facts.models import Fact, FactVersion

BRITISH = re.compile(
    r"[a-z]is(?:e|ed|es|ing|ation)\b|licence|colour|organis|apologis|behaviour|centre|"
    r"expiry|straight after|opening hours|Monday to Friday",
    re.IGNORECASE,
)
ALLOWED = {"advise", "promise", "otherwise", "precise", "exercise", "raise", "wise"}
rewording = import_module("facts.migrations.0004_defaults_us_english")


def _british(text: str) -> list[str]:
    found = []
    for match in BRITISH.finditer(text):
        word = re.search(r"\w+$", text[: match.end()]).group(0).lower()
        if word not in ALLOWED:
            found.append(match.group(0))
    return found


def _rows() -> dict[str, tuple[str, str, str]]:
    return {f.slug: (f.title, f.statement, f.prompt) for f in Fact.objects.order_by("slug")}


def test_a_new_clinic_starts_with_the_defaults_in_us_english(world, db):
    clinic = clinic_create(agency=world.agencies["alpha"], name="Maple Dental", slug="maple-dental")
    with schema_context(clinic.schema_name):
        seeded = _rows()
        first = {v.fact.slug: v.title for v in FactVersion.objects.select_related("fact")}
    assert seeded == {d["slug"]: (d["title"], d["statement"], d["prompt"]) for d in DEFAULT_FACTS}
    for slug, texts in seeded.items():
        assert _british(" ".join(texts)) == [], slug
    assert seeded["licences"] == (
        "Licenses",
        "All our clinicians hold current licenses with their state or provincial board, which "
        "anyone can verify online.",
        "Name the licensing boards and where the public can check a license.",
    )
    assert seeded["opening-hours"][:2] == (
        "Office hours", "We are open Monday through Friday, 8 a.m. to 6 p.m."
    )  # fmt: skip
    assert first["instrument-sterilisation"] == "Sterilization of instruments"


def _british_again() -> None:
    """The defaults as the template held them before: untouched drafts in British English."""
    for slug, fields in rewording.REWORDED.items():
        Fact.objects.filter(slug=slug).update(**{k: old for k, (old, _) in fields.items()})
        FactVersion.objects.filter(fact__slug=slug, number=1).update(
            **{k: old for k, (old, _) in fields.items() if k in rewording.VERSIONED}
        )


def _reword() -> None:
    rewording.defaults_us_english(apps, SimpleNamespace(connection=connection))


def test_the_template_is_reworded_and_a_clinics_own_facts_are_not(clinic_a, db):
    # given the template and clinic A with the British wording of before
    with schema_context(TEMPLATE_SCHEMA):
        _british_again()
    with schema_context(clinic_a.schema_name):
        _british_again()
        Fact.objects.filter(slug="opening-hours").update(
            title="Opening hours", statement="Open 9 to 5.", version=2
        )
        before = _rows()
        _reword()
        # then a clinic's stored facts stay as they are
        assert _rows() == before
        assert Fact.objects.get(slug="licences").title == "Licences"
    # while the template, which new clinics copy, reads in US English, its history too
    with schema_context(TEMPLATE_SCHEMA):
        _reword()
        assert _rows() == {
            d["slug"]: (d["title"], d["statement"], d["prompt"]) for d in DEFAULT_FACTS
        }
        assert FactVersion.objects.get(fact__slug="licences", number=1).title == "Licenses"


def test_a_template_draft_someone_changed_keeps_its_words(db):
    with schema_context(TEMPLATE_SCHEMA):
        _british_again()
        Fact.objects.filter(slug="licences").update(statement="Our own words.", version=2)
        _reword()
        licences = Fact.objects.get(slug="licences")
        assert (licences.title, licences.statement) == ("Licences", "Our own words.")
        assert Fact.objects.get(slug="opening-hours").title == "Office hours"
