"""Finding (hostile-input tester): reactivating a clinic did not check its sources' platform
accounts again. A deactivated clinic reads nothing, so it holds no account: another clinic may
connect the same Google location meanwhile. On reactivation each source claims its account
again, under the claim's lock; one that another clinic reads now is turned off (recorded in the
settings history), and the answer says so. The clinic is not refused its return: it could not
change its sources while deactivated, and the other clinic may be another agency's."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.models import SettingChange
from feeds.models import Source
from feeds.services.sources import source_create

LOCATION = {"account_id": "1", "location_id": "locations/7001"}
REASON = (
    "Front desk GBP was turned off: “Clinic B” connected the same Google Business Profile "
    "account while Clinic A was deactivated, and one account is read by one clinic. Disconnect "
    "it there, then turn it on here on the Sources page."
)


@pytest.fixture
def location_taken_meanwhile(world, clinic_a, clinic_b):
    """Clinic A reads a location, is deactivated, and Clinic B connects the same location."""
    with schema_context(clinic_a.schema_name):
        mine = source_create(
            kind="google", name="Front desk GBP", settings=LOCATION,
            credentials={"access_token": "a-token"},
        )  # fmt: skip
        others = source_create(
            kind="yelp", name="Yelp", settings={"business_id": "clinic-a-yelp"},
            credentials={"api_key": "k"},
        )  # fmt: skip
    clinic_deactivate(
        clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Clinic A"
    )
    with schema_context(clinic_b.schema_name):  # free while Clinic A reads nothing
        source_create(
            kind="google", name="Clinic B GBP", settings={"location_id": "7001"},
            credentials={"access_token": "b-token"},
        )  # fmt: skip
    return mine, others


def test_the_api_reactivates_and_turns_off_the_source_whose_account_was_taken(
    login, clinic_a, clinic_b, location_taken_meanwhile
):
    mine, others = location_taken_meanwhile

    answer = login("alpha_owner").post("/clinics/clinic-a/api/v1/reactivate/")

    assert answer.status_code == 200, answer.content
    assert answer.json()["deactivated_at"] is None
    assert answer.json()["sources_turned_off"] == [
        {"id": mine.pk, "name": "Front desk GBP", "kind": "google", "reason": REASON}
    ]
    with schema_context(clinic_a.schema_name):
        assert dict(Source.objects.values_list("pk", "enabled")) == {
            mine.pk: False,
            others.pk: True,
        }
    change = SettingChange.objects.get(
        clinic=clinic_a, setting="Source “Front desk GBP”: read by Carewatch"
    )
    assert (change.old_value, change.new_value, change.actor_name) == ("on", "off", "Alpha Owner")
    with schema_context(clinic_b.schema_name):
        assert Source.objects.get(name="Clinic B GBP").enabled is True


def test_the_leaving_tab_says_which_source_was_turned_off(
    login, clinic_a, location_taken_meanwhile
):
    back = login("alpha_owner").post(
        "/clinics/clinic-a/settings/leaving/", {"action": "reactivate"}
    )
    assert back.status_code == 302
    assert [str(m) for m in get_messages(back.wsgi_request)] == [
        "Clinic A is active again.",
        REASON,
    ]


def test_a_clinic_whose_accounts_are_free_comes_back_reading_them_all(world, login, clinic_a):
    with schema_context(clinic_a.schema_name):
        source_create(
            kind="google", name="GBP", settings=LOCATION, credentials={"access_token": "t"}
        )
    clinic_deactivate(
        clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Clinic A"
    )
    answer = login("alpha_owner").post("/clinics/clinic-a/api/v1/reactivate/")
    assert answer.status_code == 200
    assert answer.json()["sources_turned_off"] == []
    with schema_context(clinic_a.schema_name):
        assert Source.objects.get(name="GBP").enabled is True
