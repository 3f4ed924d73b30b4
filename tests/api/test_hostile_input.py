"""Hostile input that used to be answered as if it made sense: a review that does not exist
in the path of its follow-ups or consents, a clinic created again with other values (or in a
race), a paging parameter given twice, a boolean filter given `null`, an id beyond 64 bits.
Each is a clear 4xx and changes nothing."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clinics import services
from clinics.models import Clinic
from clinics.services import clinic_create
from core.errors import Conflict
from responses.models import PrivateConversation
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db
API = "/clinics/clinic-a/api/v1/"
BEYOND_64_BITS = "9223372036854775808"


# --- a review's follow-ups and consents --------------------------------------------------------


@pytest.mark.parametrize("path", ["private-conversations", "contact-consents"])
@pytest.mark.parametrize("review_id", ["0", "987654321"], ids=["zero", "unknown"])
def test_the_lists_of_a_review_that_does_not_exist_are_404(api, clinic_a, path, review_id):
    answer = api("key_a").get(f"{API}reviews/{review_id}/{path}/")

    assert answer.status_code == 404


def test_a_reviews_follow_ups_are_its_own(api, clinic_a):
    mine, other = review_in(clinic_a), review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        theirs = PrivateConversation.objects.create(
            review=other, channel="phone", opened_by_label="user:1"
        )

    listed = api("key_a").get(f"{API}reviews/{mine.pk}/private-conversations/").json()
    theirs_listed = api("key_a").get(f"{API}reviews/{other.pk}/private-conversations/").json()

    assert listed["results"] == []
    assert [c["id"] for c in theirs_listed["results"]] == [theirs.pk]


# --- creating a clinic that exists -------------------------------------------------------------


@pytest.fixture
def dup_clinic(world):
    return clinic_create(agency=world.agencies["alpha"], name="Dup Clinic", slug="dup-clinic")


def test_a_clinic_created_again_with_another_name_is_a_409(login, dup_clinic):
    answer = login("alpha_owner").post(
        "/api/v1/clinics/", {"name": "Dup Clinic3", "slug": "DUP-CLINIC"}
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "clinic_exists"
    assert answer.json()["fields"] == {"name": ["Differs from the existing clinic's."]}
    dup_clinic.refresh_from_db()
    assert dup_clinic.name == "Dup Clinic"


def test_a_clinic_created_again_with_the_same_values_is_the_clinic(login, dup_clinic):
    answer = login("alpha_owner").post(
        "/api/v1/clinics/", {"name": "Dup Clinic", "slug": "dup-clinic"}
    )

    assert answer.status_code == 201
    assert answer.json()["slug"] == "dup-clinic"
    assert Clinic.objects.filter(slug="dup-clinic").count() == 1


def test_the_loser_of_a_race_gets_the_same_409(world, dup_clinic, monkeypatch):
    # given a create that checked before the other one was stored (it sees no clinic)
    real_filter = Clinic.objects.filter
    missed = []

    def filter_missing_once(*args, **kwargs):
        if "slug" in kwargs and not missed:
            missed.append(kwargs["slug"])
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Clinic.objects, "filter", filter_missing_once)
    monkeypatch.setattr(services, "_validate", lambda clinic: None)

    # when it stores its own
    with pytest.raises(Conflict) as refused:
        clinic_create(agency=world.agencies["alpha"], name="Dup Clinic3", slug="dup-clinic")

    # then it is the 409 of any other create with other values, naming no schema
    assert missed == ["dup-clinic"]
    assert refused.value.code == "clinic_exists"
    assert "clinic_dup_clinic" not in refused.value.text()


# --- query strings -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["page_size", "cursor", "page"])
@pytest.mark.parametrize("path", ["reviews/", "sources/", "scores/"])
def test_a_paging_parameter_given_twice_is_a_400(api, clinic_a, path, name):
    answer = api("key_a").get(f"{API}{path}?{name}=1&{name}=2")

    assert answer.status_code == 400
    assert answer.json()["fields"] == {name: ["Give one value."]}


@pytest.mark.parametrize(
    ("value", "status"),
    [("null", 400), ("none", 400), ("maybe", 400), ("true", 200), ("0", 200), ("", 200)],
)
def test_a_boolean_filter_takes_true_or_false_only(api, clinic_a, value, status):
    answer = api("key_a").get(f"{API}claims/", {"misinformation": value})

    assert answer.status_code == status
    if status == 400:
        assert list(answer.json()["fields"]) == ["misinformation"]


@pytest.mark.parametrize("path", ["scores/", "audit/", "drafts/"])
def test_an_id_beyond_64_bits_is_a_400(api, clinic_a, path):
    refused = api("key_a").get(f"{API}{path}", {"review_id": BEYOND_64_BITS})
    largest = api("key_a").get(f"{API}{path}", {"review_id": str(2**63 - 1)})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "review_id": ["Ensure this value is less than or equal to 9223372036854775807."]
    }
    assert largest.status_code == 200
