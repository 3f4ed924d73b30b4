"""The default facts a clinic starts with, in words a person understands: their history said
"created by Onboarding" (a name that tells nobody who wrote it), and a default the agency had
rewritten in the clinic's own words still showed its "To fill in" hint. Set-up is now
"Carewatch at set-up", whose first version of a default "suggested" it; the hint shows only
while the fact still reads as the suggestion."""

from __future__ import annotations

import importlib
from html import unescape

from django.apps import apps
from django_tenants.utils import schema_context

from facts.defaults import DEFAULT_FACTS
from facts.models import SETUP_NAME, Fact, FactVersion

LICENCES = next(d for d in DEFAULT_FACTS if d["slug"] == "licences")
OWN_WORDS = "Our dentists are licensed by the Texas State Board of Dental Examiners."


def _fact(clinic, slug: str) -> Fact:
    with schema_context(clinic.schema_name):
        return Fact.objects.get(slug=slug)


def test_a_default_fact_was_suggested_by_carewatch_at_set_up(clinic_a, as_user, login):
    licences = _fact(clinic_a, "licences")

    # the API: the first version's and the fact's author
    manager = as_user("alpha_manager", clinic_a)
    fact = manager.get(f"facts/{licences.pk}/").json()
    assert fact["updated_by"] == "Carewatch at set-up"
    history = manager.get(f"facts/{licences.pk}/versions/").json()["results"]
    assert [(v["action"], v["actor_name"]) for v in history] == [("created", "Carewatch at set-up")]
    # the page: suggested, not created by a name that tells nobody who
    page = unescape(
        login("alpha_manager").get(f"/clinics/clinic-a/facts/{licences.pk}/").content.decode()
    )
    assert "suggested by Carewatch at set-up" in page
    assert "Onboarding" not in page


def test_the_hint_goes_once_the_suggestion_is_rewritten(clinic_a, as_user, login):
    licences = _fact(clinic_a, "licences")
    client = login("alpha_manager")
    detail = f"/clinics/clinic-a/facts/{licences.pk}/"
    # given: the suggestion as it reads shows what to fill in, on the sheet and the fact's page
    assert f"To fill in: {LICENCES['prompt']}" in unescape(client.get(detail).content.decode())
    sheet = unescape(client.get("/clinics/clinic-a/facts/").content.decode())
    assert f"To fill in: {LICENCES['prompt']}" in sheet

    # when: the manager writes the clinic's own statement (still a draft)
    edited = as_user("alpha_manager", clinic_a).patch(
        f"facts/{licences.pk}/", {"statement": OWN_WORDS, "expected_version": 1}
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["status"] == "draft"

    # then: the hint is gone from both; the other defaults, untouched, keep theirs
    page = unescape(client.get(detail).content.decode())
    assert OWN_WORDS in page and "To fill in" not in page
    sheet = unescape(client.get("/clinics/clinic-a/facts/").content.decode())
    assert LICENCES["prompt"] not in sheet
    assert sheet.count("To fill in: ") == len(DEFAULT_FACTS) - 1
    # and the edit is the manager's, after set-up's suggestion
    history = as_user("alpha_manager", clinic_a).get(f"facts/{licences.pk}/versions/").json()
    assert [(v["action"], v["actor_name"]) for v in history["results"]] == [
        ("updated", "Alpha Manager"),
        ("created", "Carewatch at set-up"),
    ]


def test_the_migration_renames_set_up_where_it_wrote_and_nowhere_else(clinic_a):
    migration = importlib.import_module("facts.migrations.0005_setup_named_in_words")
    with schema_context(clinic_a.schema_name):
        # given: two defaults as set-up signed them before, one changed by a person since
        untouched, changed = Fact.objects.filter(slug__in=["licences", "opening-hours"]).order_by(
            "slug"
        )
        FactVersion.objects.filter(fact__in=[untouched, changed]).update(actor_name="Onboarding")
        Fact.objects.filter(pk=untouched.pk).update(updated_by="Onboarding")
        Fact.objects.filter(pk=changed.pk).update(updated_by="Onboarding", version=2)
        FactVersion.objects.create(
            fact=changed,
            number=2,
            action="updated",
            title=changed.title,
            statement=OWN_WORDS,
            is_active=True,
            status="draft",
            actor_label="user:999",
            actor_name="Onboarding",  # a person who happens to be called so
        )

        # when
        migration.setup_named(apps, None)

        # then
        untouched.refresh_from_db()
        changed.refresh_from_db()
        assert untouched.updated_by == SETUP_NAME
        assert changed.updated_by == "Onboarding"
        assert list(
            FactVersion.objects.filter(fact=changed).values_list("number", "actor_name")
        ) == [(2, "Onboarding"), (1, SETUP_NAME)]
