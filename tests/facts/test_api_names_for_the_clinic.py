"""The fact sheet API names Carewatch's own parts after the agency where the clinic's own
people read it ("Alpha Agency at set-up"), as the pages do; the agency's staff read them as
they are."""

from __future__ import annotations

from django_tenants.utils import schema_context

from facts.models import Fact


def test_the_clinics_people_read_the_agencys_brand_for_set_up(clinic_a, as_user):
    with schema_context(clinic_a.schema_name):
        licences = Fact.objects.get(slug="licences")
    approver = as_user("a_approver", clinic_a)
    listed = approver.get("facts/").json()["results"]
    assert {f["updated_by"] for f in listed if f["slug"] == "licences"} == {
        "Alpha Agency at set-up"
    }
    assert approver.get(f"facts/{licences.pk}/").json()["updated_by"] == "Alpha Agency at set-up"
    history = approver.get(f"facts/{licences.pk}/versions/").json()["results"]
    assert [v["actor_name"] for v in history] == ["Alpha Agency at set-up"]
    assert "Carewatch" not in approver.get("facts/").content.decode()
    # the agency's staff read the product's name
    manager = as_user("alpha_manager", clinic_a)
    assert manager.get(f"facts/{licences.pk}/").json()["updated_by"] == "Carewatch at set-up"
