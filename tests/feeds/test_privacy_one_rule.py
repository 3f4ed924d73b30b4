"""What a privacy request may still do with an item is one rule
(`feeds.services.privacy.privacy_actions_left`), which the Privacy requests page and the API
both follow: an item only redacted may still be deleted (docs/integrate.md section 8), from
the page as through the API; one redacted and deleted is removed whole. A search finds the
items earlier requests removed for the person, though nothing of them names the person any
more."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from feeds.services.privacy import privacy_actions_left
from tests.fixtures.rows import world_privacy_requests

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
REASON = "Erasure request REQ-114 received by e-mail"
PAGE = "/agency/privacy/"
API = "/api/v1/privacy-requests/"


@pytest.mark.parametrize(
    ("redacted", "deleted", "left"),
    [
        (False, False, ["redact", "delete"]),
        (True, False, ["delete"]),
        (False, True, ["redact", "delete"]),  # taken down by its platform: it still names them
        (True, True, []),
    ],
    ids=["untouched", "redacted", "deleted-elsewhere", "redacted-and-deleted"],
)
def test_the_rule(redacted, deleted, left):
    assert privacy_actions_left(redacted=redacted, deleted=deleted) == left


@pytest.fixture
def item(clinic_a) -> Review:
    """A review by Reese in clinic A, redacted (not deleted) by an earlier request."""
    with schema_context(clinic_a.schema_name):
        source, _ = Source.objects.get_or_create(kind="google", defaults={"name": "Google"})
        review = Review.objects.create(
            source=source, external_id="g-1", author_name="Reese B.", rating=2,
            text="Long wait, rude staff", published_at=T0,
        )  # fmt: skip
    return review


def _state(clinic_a, review) -> tuple[bool, bool]:
    with schema_context(clinic_a.schema_name):
        fresh = Review.objects.get(pk=review.pk)
    return fresh.redacted_at is not None, fresh.is_deleted


def _checkbox(html: str, review) -> str:
    [box] = re.findall(
        rf'<input type="checkbox" name="item" value="clinic-a:{review.pk}"[^>]*>', html
    )
    return box


def _redacted_through_the_api(api, review):
    body = {"author": "Reese B.", "reason": REASON, "action": "redact",
            "items": [{"clinic": "clinic-a", "review_id": review.pk}]}  # fmt: skip
    assert api("key_alpha").post(API, body).status_code == 201


def test_the_page_offers_a_redacted_item_for_deletion_and_deletes_it(item, api, login, clinic_a):
    # given an item a request redacted: its author's name is gone
    _redacted_through_the_api(api, item)
    client = login("alpha_owner")

    # when the owner searches for the person again
    html = client.get(f"{PAGE}?author=reese").content.decode()

    # then the page finds it (through the log), says it may still be deleted and lets it be
    # chosen
    assert 'data-testid="privacy-found">1 item found in 1 clinic' in html
    assert "disabled" not in _checkbox(html, item)
    assert "(already redacted: it may still be deleted)" in html

    # when it is deleted from the page (asked, then confirmed)
    form = {"author": "Reese B.", "reason": REASON, "action": "delete",
            "item": [f"clinic-a:{item.pk}"]}  # fmt: skip
    asked = client.post(PAGE, form)
    assert asked.status_code == 200 and "Delete 1 item" in asked.content.decode()
    done = client.post(PAGE, {**form, "confirm": "yes"})

    # then it is deleted, logged as a second request, and offered for nothing any more
    assert done.status_code == 302, done.content.decode()[:2000]
    assert _state(clinic_a, item) == (True, True)
    assert list(world_privacy_requests().order_by("id").values_list("action", flat=True)) == [
        "redact", "delete",
    ]  # fmt: skip
    html = client.get(f"{PAGE}?author=reese").content.decode()
    assert "disabled" in _checkbox(html, item)
    assert "(already redacted and deleted)" in html

    # and asking the page to redact it again is refused, naming the request, changing nothing
    refused = client.post(PAGE, {**form, "action": "redact", "confirm": "yes"})
    assert refused.status_code == 400
    assert re.search(
        rf"Item #{item.pk} at Clinic A was already removed on \d{{1,2}} \w{{3}} \d{{4}} by request "
        r"\d+",
        refused.content.decode(),
    )
    assert world_privacy_requests().count() == 2


def test_the_api_says_what_is_left_and_deletes_a_redacted_item(item, api, clinic_a):
    crm = api("key_alpha")
    _redacted_through_the_api(api, item)

    # the search finds the redacted item and says it may still be deleted
    [found] = crm.get(f"{API}matches/", {"author": "reese"}).json()["clinics"][0]["items"]
    assert (found["review_id"], found["redacted"], found["actions"]) == (item.pk, True, ["delete"])
    # a second redaction is refused, a deletion carried out
    body = {"author": "Reese B.", "reason": REASON,
            "items": [{"clinic": "clinic-a", "review_id": item.pk}]}  # fmt: skip
    assert crm.post(API, {**body, "action": "redact"}).status_code == 400
    assert crm.post(API, {**body, "action": "delete"}).status_code == 201
    assert _state(clinic_a, item) == (True, True)
    # and then nothing is left to do with it
    [found] = crm.get(f"{API}matches/", {"author": "reese"}).json()["clinics"][0]["items"]
    assert (found["is_deleted"], found["actions"]) == (True, [])
    again = crm.post(API, {**body, "action": "delete"})
    assert again.status_code == 400
    assert again.json()["fields"]["items[0].review_id"][0].startswith(
        f"Item #{item.pk} at Clinic A was already deleted on "
    )
    assert world_privacy_requests().count() == 2


def test_an_item_not_yet_removed_offers_both(item, api, login):
    html = login("alpha_manager").get(f"{PAGE}?author=reese").content.decode()
    [found] = (
        api("key_alpha").get(f"{API}matches/", {"author": "reese"}).json()["clinics"][0]["items"]
    )

    assert "disabled" not in _checkbox(html, item) and "already redacted" not in html
    assert found["actions"] == ["redact", "delete"]
