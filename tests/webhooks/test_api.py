"""The subscriptions API: create (secret once), read, change, rotate, delete, the delivery
log and replay; who may do what; clinic isolation."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from webhooks.deliver import delivery_attempt
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create, webhook_event_emit

BASE = "/clinics/{slug}/api/v1/webhooks/"
URL = BASE.format(slug="clinic-a")


def send(client, method, url, body=None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", "application/json"
    )


def create(client, receiver, **over):
    body = {"url": receiver.url, "events": ["review.created", "incident.opened"], **over}
    return send(client, "POST", URL, body)


def emit_review(clinic, review_id=1):
    with schema_context(clinic.schema_name):
        return webhook_event_emit(event="review.created", payload={"review": {"id": review_id}})


def test_create_returns_the_secret_once_and_never_again(login, clinic_a, receiver):
    manager = login("alpha_manager")
    # when a manager creates a subscription
    response = create(manager, receiver, description="CRM")
    # then the answer holds the secret, once
    assert response.status_code == 201
    body = response.json()
    secret = body.pop("secret")
    assert secret.startswith("cwhs_") and len(secret) > 40
    assert body == {
        "id": body["id"],
        "url": receiver.url,
        "events": ["review.created", "incident.opened"],
        "description": "CRM",
        "is_active": True,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    # and it is stored encrypted
    with schema_context(clinic_a.schema_name):
        stored = WebhookSubscription.objects.get(pk=body["id"])
        assert secret not in stored.secret_encrypted
    emit_review(clinic_a)
    with schema_context(clinic_a.schema_name):
        delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    # and no later answer shows it
    detail = f"{URL}{body['id']}/"
    for response in (
        manager.get(URL),
        manager.get(detail),
        send(manager, "PATCH", detail, {"description": "CRM sync"}),
        manager.get(f"{detail}deliveries/"),
        login("alpha_analyst").get(URL),
        manager.get("/clinics/clinic-a/webhooks/"),
    ):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert '"secret"' not in response.content.decode()


def test_patch_changes_events_state_and_url(login, clinic_a, receiver):
    manager = login("alpha_manager")
    subscription_id = create(manager, receiver).json()["id"]
    response = send(
        manager,
        "PATCH",
        f"{URL}{subscription_id}/",
        {"events": ["statement.published"], "is_active": False, "url": receiver.url + "/v2"},
    )
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["is_active"]) == (
        ["statement.published"],
        False,
    )
    assert response.json()["url"] == receiver.url + "/v2"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"events": []}, {"events": ["Ensure this field has at least 1 elements."]}),
        (
            {"events": ["review.deleted"]},
            {
                "events": [
                    "'review.deleted' is not an event: choose from review.created, "
                    "review.updated, review.scored, incident.opened, incident.grew, incident.resolved, "
                    "reply.approved, reply.published, statement.published, "
                    "privacy_request.received, privacy_request.completed."
                ]
            },
        ),
        ({"events": ["review.created"], "url": ""}, {"url": ["This field may not be blank."]}),
        ({"events": ["review.created"], "url": None}, {"url": ["This field may not be null."]}),
    ],
    ids=["no-events", "unknown-event", "blank-url", "null-url"],
)
def test_bad_input_is_400_with_the_field_and_stores_nothing(
    login, clinic_a, receiver, body, fields
):
    response = send(login("alpha_manager"), "POST", URL, {"url": receiver.url, **body})
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()


def test_rotate_secret_returns_a_new_one_once(login, clinic_a, receiver):
    manager = login("alpha_manager")
    created = create(manager, receiver).json()
    rotated = send(manager, "POST", f"{URL}{created['id']}/rotate-secret/")
    assert rotated.status_code == 201  # like every call that issues a secret
    assert rotated.json()["secret"].startswith("cwhs_")
    assert rotated.json()["secret"] != created["secret"]
    assert "secret" not in manager.get(f"{URL}{created['id']}/").json()


def test_delete_removes_the_subscription_and_its_log(login, clinic_a, receiver):
    manager = login("alpha_manager")
    subscription_id = create(manager, receiver).json()["id"]
    emit_review(clinic_a)
    assert send(manager, "DELETE", f"{URL}{subscription_id}/").status_code == 204
    assert manager.get(f"{URL}{subscription_id}/").status_code == 404
    with schema_context(clinic_a.schema_name):
        assert not WebhookDelivery.objects.exists()


def test_the_delivery_log_is_paginated_newest_first_and_filters_by_status(
    login, clinic_a, receiver
):
    manager = login("alpha_manager")
    subscription_id = create(manager, receiver).json()["id"]
    for n in range(3):
        emit_review(clinic_a, review_id=n)
    with schema_context(clinic_a.schema_name):
        oldest = WebhookDelivery.objects.order_by("pk").first()
        delivery_attempt(delivery_id=oldest.pk)
    log = manager.get(f"{URL}{subscription_id}/deliveries/?page_size=2")
    assert log.status_code == 200
    body = log.json()
    assert body["next"] and len(body["results"]) == 2
    assert [d["body"]["data"]["review"]["id"] for d in body["results"]] == [2, 1]
    for d in body["results"]:  # the body as sent, in the envelope's names
        assert set(d["body"]) == {"id", "event", "clinic", "created_at", "data"}
        assert (d["body"]["id"], d["body"]["event"]) == (d["event_id"], d["event"])
        assert d["body"]["clinic"] == "clinic-a"
        # the deprecated names still carry the same, for one release
        assert (d["payload"], d["occurred_at"]) == (d["body"]["data"], d["body"]["created_at"])
    rest = manager.get(body["next"]).json()
    assert [d["body"]["data"]["review"]["id"] for d in rest["results"]] == [0]
    assert rest["next"] is None
    assert body["results"][0]["status"] == "pending"
    delivered = manager.get(f"{URL}{subscription_id}/deliveries/?status=delivered").json()
    assert [d["id"] for d in delivered["results"]] == [oldest.pk]
    assert delivered["results"][0]["last_status_code"] == 200
    bad = manager.get(f"{URL}{subscription_id}/deliveries/?status=lost")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("foo=1", {"foo": ["Unknown parameter."]}),
        ("state=failed", {"state": ["Unknown parameter."]}),  # a typo never lists them all
        ("status=failed&status=delivered", {"status": ["Give one value."]}),
        ("status=lost", {"status": ['"lost" is not a valid choice. Choose one of: pending, '
                                    "delivered, failed."]}),
    ],
)  # fmt: skip
def test_the_delivery_log_refuses_what_it_cannot_use_naming_it(
    login, clinic_a, receiver, query, fields
):
    manager = login("alpha_manager")
    subscription_id = create(manager, receiver).json()["id"]
    emit_review(clinic_a)
    response = manager.get(f"{URL}{subscription_id}/deliveries/?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    assert manager.get(f"{URL}{subscription_id}/deliveries/?format=json").status_code == 200


def test_replay_through_the_api_queues_a_new_delivery_after_commit(
    login, clinic_a, receiver, queued, django_capture_on_commit_callbacks
):
    manager = login("alpha_manager")
    create(manager, receiver)
    emit_review(clinic_a)
    with schema_context(clinic_a.schema_name):
        original = WebhookDelivery.objects.get()
        delivery_attempt(delivery_id=original.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(manager, "POST", f"{URL}deliveries/{original.pk}/replay/")
    assert response.status_code == 202
    replay = response.json()
    assert (replay["status"], replay["replay_of_id"], replay["event_id"]) == (
        "pending",
        original.pk,
        str(original.event_id),
    )
    assert queued == [(replay["id"], clinic_a.schema_name)]
    with schema_context(clinic_a.schema_name):
        delivery_attempt(delivery_id=replay["id"])
    assert len(receiver.requests) == 2


def test_replay_of_a_paused_subscription_is_409(login, clinic_a, receiver):
    manager = login("alpha_manager")
    subscription_id = create(manager, receiver, is_active=True).json()["id"]
    emit_review(clinic_a)
    send(manager, "PATCH", f"{URL}{subscription_id}/", {"is_active": False})
    with schema_context(clinic_a.schema_name):
        delivery_id = WebhookDelivery.objects.get().pk
    response = send(manager, "POST", f"{URL}deliveries/{delivery_id}/replay/")
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_inactive"
    with schema_context(clinic_a.schema_name):
        assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "how"),
    [
        ("a_viewer", "user"),
        ("a_approver", "user"),
        ("alpha_writer", "user"),
        ("alpha_analyst", "user"),
        ("key_a", "key"),
        ("key_alpha", "key"),
    ],
)
def test_only_managers_change_subscriptions_others_may_read(
    login, api, clinic_a, receiver, queued, who, how
):
    client = login(who) if how == "user" else api(who)
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(url=receiver.url, events=["review.created"])
        webhook_event_emit(event="review.created", payload={"review": {"id": 1}})
        delivery = WebhookDelivery.objects.get()
    detail = f"{URL}{subscription.pk}/"
    refused = [
        create(client, receiver),
        send(client, "PATCH", detail, {"is_active": False}),
        send(client, "DELETE", detail),
        send(client, "POST", f"{detail}rotate-secret/"),
        send(client, "POST", f"{URL}deliveries/{delivery.pk}/replay/"),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert refused[0].json() == {
        "detail": "Your role in this clinic does not allow you to manage settings and people."
        if how == "user"
        else "This API key's scopes (read, write) do not allow it to manage settings and "
        "people: no API key may; a person whose role allows it does (signed in, or with their "
        "personal token).",
        "code": "permission_denied",
    }
    with schema_context(clinic_a.schema_name):
        assert list(WebhookSubscription.objects.values_list("pk", "is_active")) == [
            (subscription.pk, True)
        ]
        assert WebhookDelivery.objects.count() == 1
    assert queued == []
    # the agency's people and keys read them; the clinic's own people do not (walk 14)
    reads = 403 if who in ("a_viewer", "a_approver") else 200
    assert client.get(URL).status_code == reads
    assert client.get(f"{detail}deliveries/").status_code == reads


def test_clinic_b_cannot_reach_clinic_a_subscriptions_or_deliveries(
    login, api, clinic_a, clinic_b, receiver
):
    # given a subscription and a delivery in clinic A only
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(url=receiver.url, events=["review.created"])
        webhook_event_emit(event="review.created", payload={"review": {"id": 1}})
        delivery = WebhookDelivery.objects.get()
    b_url = BASE.format(slug="clinic-b")
    for client, own in ((api("key_b"), 404), (login("b_approver"), 403)):
        # then clinic B's people and keys get 404 for those ids, in either clinic's URL (its
        # own people read no webhook of their clinic at all: 403 whatever the id)
        for url in (f"{b_url}{subscription.pk}/", f"{URL}{subscription.pk}/"):
            expected = 404 if url.startswith(URL) else own
            assert client.get(url).status_code == expected
            assert client.get(f"{url}deliveries/").status_code == expected
        replay_in_a = send(client, "POST", f"{URL}deliveries/{delivery.pk}/replay/")
        assert replay_in_a.status_code == 404
        if own == 404:
            assert client.get(b_url).json()["results"] == []
    # and a manager of both sees clinic A's subscription in clinic A only
    manager = login("alpha_manager")
    assert manager.get(b_url).json()["results"] == []
    assert send(manager, "DELETE", f"{b_url}{subscription.pk}/").status_code == 404
    assert send(manager, "POST", f"{b_url}deliveries/{delivery.pk}/replay/").status_code == 404
    assert [s["id"] for s in manager.get(URL).json()["results"]] == [subscription.pk]
    # and an event in clinic B is not sent to clinic A's subscribers
    assert emit_review(clinic_b) == 0
    with schema_context(clinic_a.schema_name):
        assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("person", ["a_viewer", "a_approver", "a_legal"])
def test_the_clinics_own_people_read_nothing_of_the_agencys_webhooks(
    login, clinic_a, receiver, person
):
    """Walk 14 (a security tester): a clinic viewer read every delivery's payload (the
    detectors' p-values and baselines, which the clinic's copies leave out) and the receivers'
    answers. The agency's plumbing is the agency's: its staff read it."""
    subscription_id = create(login("alpha_manager"), receiver).json()["id"]
    emit_review(clinic_a)
    clinic = login(person, otp=False)
    for url in (URL, f"{URL}{subscription_id}/", f"{URL}{subscription_id}/deliveries/"):
        refused = clinic.get(url)
        assert refused.status_code == 403, (url, refused.content)
        assert refused.json()["detail"].startswith("Webhooks are your agency's integrations")
    # the agency's writer (no `manage`) still reads them
    assert login("alpha_writer").get(f"{URL}{subscription_id}/deliveries/").status_code == 200
