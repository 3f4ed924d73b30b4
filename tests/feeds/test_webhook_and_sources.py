import json
import time

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from feeds.models import Review, Source, WebhookReceipt
from feeds.services import webhook_signature


def make_webhook_source(login):
    response = login("alpha_manager").post(
        "/clinics/clinic-a/api/v1/sources/",
        {"kind": "webhook", "name": "Healthgrades relay"},
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()


def deliver(source, body, *, secret=None, ts=None, client=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(time.time()) if ts is None else ts
    signature = webhook_signature(secret or source["webhook_secret"], ts, raw)
    return (client or Client()).post(
        source["webhook_url"],
        data=raw,
        content_type="application/json",
        HTTP_X_CAREWATCH_SIGNATURE=f"t={ts},v1={signature}",
    )


ITEM = {
    "external_id": "hg-1",
    "rating": 5,
    "text": "Kind staff",
    "published_at": "2026-11-01T10:00:00Z",
}


def test_signed_delivery_is_stored_once(login, clinic_a):
    source = make_webhook_source(login)
    ts = int(time.time())
    first = deliver(source, {"items": [ITEM]}, ts=ts)
    assert first.status_code == 200
    assert first.json()["counts"]["created"] == 1
    replay = deliver(source, {"items": [ITEM]}, ts=ts)
    assert replay.status_code == 409 and replay.json()["code"] == "replayed"
    with schema_context(clinic_a.schema_name):
        assert Review.objects.filter(external_id="hg-1", source_id=source["id"]).count() == 1


def test_bad_or_stale_signatures_change_nothing(login, clinic_a):
    source = make_webhook_source(login)
    wrong = deliver(source, {"items": [ITEM]}, secret="not-the-secret")
    stale = deliver(source, {"items": [ITEM]}, ts=int(time.time()) - 3600)
    missing = Client().post(source["webhook_url"], data=b"{}", content_type="application/json")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "bad_signature")
    assert wrong.json()["fields"] == {"X-Carewatch-Signature": ["Signature does not match."]}
    assert (stale.status_code, stale.json()["code"]) == (400, "stale_signature")
    assert list(stale.json()["fields"]) == ["X-Carewatch-Signature"]
    assert missing.status_code == 400
    assert missing.json() == {
        "detail": "Missing X-Carewatch-Signature header.",
        "code": "bad_signature",
        "fields": {"X-Carewatch-Signature": ["Missing X-Carewatch-Signature header."]},
    }
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(external_id="hg-1").exists()


def test_a_list_of_items_is_read_as_a_batch(login, clinic_a):
    source = make_webhook_source(login)

    response = deliver(source, [ITEM, {**ITEM, "external_id": "hg-2"}])

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
    with schema_context(clinic_a.schema_name):
        assert Review.objects.filter(source_id=source["id"]).count() == 2


SHAPE = 'Send {"items": [...]}, a list of items or one item.'


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ("hello", "invalid", {"body": [SHAPE]}),
        (5, "invalid", {"body": [SHAPE]}),
        ({}, "invalid", {"items": ["This field is required."]}),
        ({"items": {}}, "invalid", {"items": ["Expected a list of items."]}),
        ([], "invalid", {"items": ["The batch is empty."]}),
        ([ITEM] * 1001, "invalid", {"items": ["At most 1,000 items (got 1,001)."]}),
        (b"{nope", "parse_error", {"body": ["The body is not valid JSON (line 1, column 2)."]}),
        (b"\xff{}", "parse_error", {"body": ["The body is not UTF-8."]}),
    ],
    ids=["string", "number", "empty-object", "items-object", "empty-list", "over-1000",
         "not-json", "not-utf8"],
)  # fmt: skip
def test_a_body_that_is_not_items_is_a_400_naming_the_field_and_stores_nothing(
    login, clinic_a, body, code, fields
):
    source = make_webhook_source(login)

    response = deliver(source, body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["fields"] == fields
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(source_id=source["id"]).exists()
        assert not WebhookReceipt.objects.filter(source_id=source["id"]).exists()


def test_a_value_that_cannot_be_stored_rejects_its_item_alone(login, clinic_a):
    source = make_webhook_source(login)
    body = {"items": [{**ITEM, "text": "a\x00b"}, {**ITEM, "external_id": "hg-2", "likes": 10**30}]}
    body["items"].append({**ITEM, "external_id": "hg-3"})

    response = deliver(source, body)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert list(results[0]["fields"]) == ["text"] and list(results[1]["fields"]) == ["likes"]
    with schema_context(clinic_a.schema_name):
        assert list(Review.objects.filter(source_id=source["id"]).values_list("external_id")) == [
            ("hg-3",)
        ]


def test_webhook_for_unknown_clinic_or_source_is_404(login):
    source = make_webhook_source(login)
    assert (
        deliver(
            {**source, "webhook_url": f"/hooks/clinic-b/{source['id']}/"}, {"items": [ITEM]}
        ).status_code
        == 404
    )
    assert (
        deliver({**source, "webhook_url": "/hooks/nope/1/"}, {"items": [ITEM]}).status_code == 404
    )


def test_credentials_are_encrypted_and_never_returned(login, clinic_a, caplog):
    client = login("alpha_owner")
    response = client.post(
        "/clinics/clinic-a/api/v1/sources/",
        {
            "kind": "google",
            "name": "GBP",
            "settings": {"account_id": "1", "location_id": "2"},
            "credentials": {"access_token": "ya29.SUPER-SECRET"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["has_credentials"] is True
    assert "SUPER-SECRET" not in json.dumps(body)
    # credentials entered through the API: "by hand", no OAuth account behind it
    assert body["connection"]["state"] == "by_hand"
    assert body["connection"]["account_name"] == "" and body["connection"]["connected_at"] is None
    listed = client.get("/clinics/clinic-a/api/v1/sources/").content.decode()
    assert "SUPER-SECRET" not in listed and "credentials" not in json.loads(listed)["results"][0]
    with schema_context(clinic_a.schema_name):
        stored = Source.objects.get(pk=body["id"]).credentials_encrypted
    assert stored and "SUPER-SECRET" not in stored
    page = client.get("/clinics/clinic-a/sources/").content.decode()
    assert "SUPER-SECRET" not in page and "GBP" in page
    assert "credentials entered by hand" in page
    assert "SUPER-SECRET" not in caplog.text


def test_the_api_says_which_sources_can_post(login, clinic_a):
    client = login("alpha_manager")
    made = {
        kind: client.post(
            "/clinics/clinic-a/api/v1/sources/",
            {"kind": kind, "name": f"{kind} source"},
            content_type="application/json",
        ).json()
        for kind in ("facebook", "webhook")
    }
    assert made["facebook"]["connection"]["state"] == "not_connected"
    assert made["webhook"]["connection"]["state"] == "not_applicable"
    listed = client.get("/clinics/clinic-a/api/v1/sources/").json()["results"]
    assert {s["name"]: s["connection"]["state"] for s in listed} == {
        "facebook source": "not_connected",
        "webhook source": "not_applicable",
    }
    page = client.get("/clinics/clinic-a/sources/").content.decode()
    assert "not connected" in page


def test_only_managers_change_sources(login, clinic_a):
    response = login("alpha_writer").post(
        "/clinics/clinic-a/api/v1/sources/", {"kind": "google"}, content_type="application/json"
    )
    assert response.status_code == 403
    bad = login("alpha_owner").post(
        "/clinics/clinic-a/api/v1/sources/", {"kind": "fax"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()["fields"]
    with schema_context(clinic_a.schema_name):
        assert Source.objects.count() == 0


def test_the_webhook_address_is_absolute(login, clinic_a, settings):
    source = make_webhook_source(login)
    assert source["webhook_url"] == (f"{settings.PUBLIC_BASE_URL}/hooks/clinic-a/{source['id']}/")


def test_a_yelp_source_needs_its_business_id_and_api_key(login, clinic_a):
    manager = login("alpha_manager")
    url = "/clinics/clinic-a/api/v1/sources/"
    with schema_context(clinic_a.schema_name):
        before = Source.objects.count()
    for body, field in [
        ({"kind": "yelp", "settings": {}, "credentials": {"api_key": "k"}}, "settings"),
        ({"kind": "yelp", "settings": {"business_id": "b"}, "credentials": {}}, "credentials"),
    ]:
        refused = manager.post(url, body, content_type="application/json")
        assert refused.status_code == 400 and field in refused.json()["fields"], refused.json()
    with schema_context(clinic_a.schema_name):
        assert Source.objects.count() == before
    made = manager.post(
        url,
        {"kind": "yelp", "settings": {"business_id": "riverside-dental-sf"},
         "credentials": {"api_key": "k-123"}},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201
    # and an update cannot take its key away
    emptied = manager.patch(
        f"{url}{made.json()['id']}/", {"credentials": {}}, content_type="application/json"
    )
    assert emptied.status_code == 400 and "credentials" in emptied.json()["fields"]


def test_a_manager_adds_yelp_and_a_webhook_source_on_the_sources_page(login, clinic_a, settings):
    manager = login("alpha_manager")
    page = "/clinics/clinic-a/sources/"
    assert "Add a source without signing in" in manager.get(page).content.decode()

    # a Yelp source without its key is refused, with the name kept and nothing added
    refused = manager.post(
        page,
        {"action": "add_yelp", "name": "Yelp SF", "business_id": "riverside-sf", "api_key": ""},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Nothing was added." in html and 'value="riverside-sf"' in html
    with schema_context(clinic_a.schema_name):
        assert not Source.objects.filter(name="Yelp SF").exists()
    added = manager.post(
        page, {"action": "add_yelp", "name": "Yelp SF", "business_id": "riverside-sf",
               "api_key": "k-1"},
    )  # fmt: skip
    assert added.status_code == 302
    with schema_context(clinic_a.schema_name):
        yelp = Source.objects.get(name="Yelp SF")
        assert (yelp.kind, yelp.settings["business_id"]) == ("yelp", "riverside-sf")

    # a webhook source shows its absolute address and its secret, once
    made = manager.post(page, {"action": "add_webhook", "name": "Listening tool"})
    html = made.content.decode()
    with schema_context(clinic_a.schema_name):
        hook = Source.objects.get(name="Listening tool")
    assert f"{settings.PUBLIC_BASE_URL}/hooks/clinic-a/{hook.pk}/" in html
    assert 'id="created-secret"' in html
    assert 'id="created-secret"' not in manager.get(page).content.decode()

    # a writer may look, not add
    writer = login("alpha_writer")
    assert "Add a source without signing in" not in writer.get(page).content.decode()
    assert writer.post(page, {"action": "add_webhook", "name": "x"}).status_code == 403
