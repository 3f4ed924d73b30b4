"""Hostile input to the push API and the sources API: a source added twice is a 409 naming the
one there, a push by kind goes to the one source of that kind turned on (several: the ids to
choose from), and an empty number or text never changes what is stored."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from tests.feeds.test_ingest_api import item, post

SOURCES = "/clinics/clinic-a/api/v1/sources/"


def _add(client, **body):
    return client.post(SOURCES, body, content_type="application/json")


def _sources(clinic) -> list[tuple[str, str, bool]]:
    with schema_context(clinic.schema_name):
        return list(Source.objects.order_by("pk").values_list("kind", "name", "enabled"))


def test_a_source_added_twice_is_a_409_naming_the_one_there(login, clinic_a):
    client = login("alpha_manager")
    first = _add(client, kind="api", name="x")
    assert first.status_code == 201

    # when the same source is added again (its name in other case and spacing)
    again = _add(client, kind="api", name="  X ")

    # then it is refused, naming the source there, and nothing is added
    assert again.status_code == 409
    assert again.json()["code"] == "source_exists"
    assert f"id {first.json()['id']}" in again.json()["detail"]
    assert _sources(clinic_a) == [("api", "x", True)]


def test_a_source_turned_off_is_named_too(login, clinic_a):
    client = login("alpha_manager")
    first = _add(client, kind="webhook", name="Listening tool").json()
    client.patch(f"{SOURCES}{first['id']}/", {"enabled": False}, content_type="application/json")

    again = _add(client, kind="webhook", name="Listening tool")

    assert again.status_code == 409
    assert f"Turn it on with PATCH sources/{first['id']}/" in again.json()["detail"]


def test_two_pages_of_one_kind_are_two_sources(login, clinic_a):
    client = login("alpha_manager")

    answers = [
        _add(client, kind="facebook", settings={"page_id": page}).status_code
        for page in ("111", "222")
    ]

    assert answers == [201, 201]
    assert len(_sources(clinic_a)) == 2


def test_a_push_by_kind_goes_to_the_one_source_turned_on(api, clinic_a):
    with schema_context(clinic_a.schema_name):
        Source.objects.create(kind="api", name="Old integration", enabled=False)
        on = Source.objects.create(kind="api", name="New integration")

    answer = post(api("key_a"), item(source="api"))

    assert answer.json()["counts"]["created"] == 1
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get().source_id == on.pk


def test_several_sources_turned_on_name_their_ids(api, clinic_a):
    with schema_context(clinic_a.schema_name):
        ids = [Source.objects.create(kind="api", name=name).pk for name in ("One", "Two")]
        Source.objects.create(kind="api", name="Off", enabled=False)

    result = post(api("key_a"), item(source="api")).json()["results"][0]

    assert result["status"] == "rejected"
    assert result["fields"] == {
        "source": [f"This clinic has several api sources turned on (ids {ids[0]}, {ids[1]}): "
                   "give source_id."]
    }  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.exists()


@pytest.fixture
def stored(api, clinic_a):
    """A 3-star review with text and 7 likes, pushed as g-1."""
    client = api("key_a")
    result = post(client, item(rating=3, likes=7, text="Kind staff")).json()["results"][0]
    assert result["status"] == "created"
    return client, result["id"]


def _stored(clinic, pk) -> tuple:
    with schema_context(clinic.schema_name):
        review = Review.objects.get(pk=pk)
        return review.rating, review.kind, review.likes, review.text


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"rating": "   "}, "rating", "A rating is 1 to 5 (null: no rating)."),
        ({"rating": ""}, "rating", "A rating is 1 to 5 (null: no rating)."),
        ({"likes": "   "}, "likes", "Must be an integer."),
        ({"shares": ""}, "shares", "Must be an integer."),
        ({"replies": " "}, "replies", "Must be an integer."),
    ],
    ids=["rating-spaces", "rating-empty", "likes-spaces", "shares-empty", "replies-space"],
)
def test_an_empty_number_rejects_the_item_and_keeps_it(stored, clinic_a, sent, field, message):
    client, pk = stored

    pushed = {**item(rating=3, likes=7, text="Kind staff"), **sent}
    result = post(client, pushed).json()["results"][0]

    assert (result["status"], result["fields"]) == ("rejected", {field: [message]})
    assert _stored(clinic_a, pk) == (3, "review", 7, "Kind staff")


@pytest.mark.parametrize("text", ["", "   ", None], ids=["empty", "spaces", "null"])
def test_an_empty_text_never_blanks_the_stored_one(stored, clinic_a, text):
    client, pk = stored

    # when the item is pushed again with an empty text and new likes
    result = post(client, item(rating=3, likes=9, text=text)).json()["results"][0]

    # then the likes change and the text stays
    assert result["status"] == "updated"
    assert _stored(clinic_a, pk) == (3, "review", 9, "Kind staff")


def test_a_count_sent_as_null_keeps_the_stored_one(stored, clinic_a):
    client, pk = stored

    result = post(client, item(rating=3, likes=None, text="Kind staff")).json()["results"][0]

    assert result["status"] == "unchanged"
    assert _stored(clinic_a, pk) == (3, "review", 7, "Kind staff")


def test_a_new_item_with_an_empty_text_is_stored_without_one(api, clinic_a):
    result = post(api("key_a"), item(text="")).json()["results"][0]

    assert result["status"] == "created"
    assert _stored(clinic_a, result["id"])[3] == ""
