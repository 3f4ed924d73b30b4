"""The fact sheet's forms: a number they post (the fact to ask about, the version the person
saw, the version to restore) that is not one is a 400 naming the field, and nothing changes
(`core.http.int_param`); a good one acts as before."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from facts.models import ClinicReview, Fact, FactVersion
from tests.facts.test_clinic_confirms import NEEDLES, _fill

pytestmark = pytest.mark.django_db


def _state(clinic) -> tuple:
    with schema_context(clinic.schema_name):
        return (
            list(Fact.objects.order_by("pk").values_list("pk", "version", "statement")),
            FactVersion.objects.count(),
            Notification.objects.filter(clinic=clinic).count(),
        )


@pytest.fixture
def fact(clinic_a, as_user) -> int:
    """A confirmed fact edited once: versions 1 and 2."""
    manager = as_user("alpha_manager", clinic_a)
    fid = manager.post(
        "facts/",
        {"slug": "parking", "title": "Parking", "statement": "Free parking behind the building."},
    ).json()["id"]
    manager.patch(
        f"facts/{fid}/", {"statement": "Free parking on Elm Street.", "expected_version": 1}
    )
    return fid


@pytest.mark.parametrize(
    ("where", "data", "field"),
    [
        ("sheet", {"action": "ask", "fact_id": "x"}, "fact_id"),
        ("fact", {"action": "restore", "number": "1x", "expected_version": "2"}, "number"),
        ("fact", {"action": "deactivate", "expected_version": "two"}, "expected_version"),
    ],
    ids=["ask", "restore", "version"],
)
def test_a_number_typed_wrong_is_a_400_naming_the_field_and_nothing_changes(
    clinic_a, login, fact, where, data, field
):
    # given
    url = f"/clinics/{clinic_a.slug}/facts/" + (f"{fact}/" if where == "fact" else "")
    before = _state(clinic_a)

    # when
    answer = login("alpha_manager").post(url, data)

    # then
    assert answer.status_code == 400
    assert f"Invalid input. “{field}”: A number." in answer.content.decode()
    assert _state(clinic_a) == before


def test_the_version_named_is_restored(clinic_a, login, fact):
    url = f"/clinics/{clinic_a.slug}/facts/{fact}/"

    answer = login("alpha_manager").post(
        url, {"action": "restore", "number": "1", "expected_version": "2"}
    )

    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        restored = Fact.objects.get(pk=fact)
        assert (restored.version, restored.statement) == (3, "Free parking behind the building.")


def test_the_fact_named_is_sent_to_the_clinic_to_confirm(clinic_a, login):
    draft = _fill(clinic_a, "needles-single-use", NEEDLES)

    answer = login("alpha_manager").post(
        f"/clinics/{clinic_a.slug}/facts/", {"action": "ask", "fact_id": str(draft.pk)}
    )

    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        assert Fact.objects.get(pk=draft.pk).clinic_review == ClinicReview.WAITING
