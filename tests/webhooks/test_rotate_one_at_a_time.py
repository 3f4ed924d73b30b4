"""Finding (hostile-input tester): two calls rotating a webhook's signing secret at the same
moment both answered 201, each with its own "new" secret, and the first one's was already the
previous secret (trusted 24 hours more) when it arrived. One rotation at a time now: a second
call while the first holds the subscription is a 409 `rotation_in_progress` that changes
nothing; once the first has answered, rotating again works (docs/webhooks.md)."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.crypto import decrypt_json, encrypt_json
from tests.fixtures.tenants import otp_verify_session
from webhooks.models import WebhookSubscription
from webhooks.services import ROTATION_SETTLE, subscription_create


def _manager(world) -> Client:
    """Signed in without the `db` fixture: the rows here are committed, for the other thread."""
    client = Client()
    client.force_login(world.users["alpha_manager"])
    otp_verify_session(client, world.users["alpha_manager"])
    return client


def _held(schema: str, pk: int, locked: threading.Event, release: threading.Event):
    """Another call's rotation under way: the subscription held, in its own connection."""
    try:
        with schema_context(schema), transaction.atomic():
            WebhookSubscription.objects.select_for_update(no_key=True).get(pk=pk)
            locked.set()
            release.wait(timeout=30)
    finally:
        connection.close()


def test_a_second_rotation_while_one_is_under_way_is_a_409_that_changes_nothing(
    world, committed_clinic, django_db_blocker, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    clinic = committed_clinic
    url = f"/clinics/{clinic.slug}/api/v1/webhooks/"
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            subscription, _ = subscription_create(
                url="http://127.0.0.1:9/hook", events=["review.created"]
            )
            stored = subscription.secret_encrypted
        client = _manager(world)
        locked, release = threading.Event(), threading.Event()
        other = threading.Thread(
            target=_held, args=(clinic.schema_name, subscription.pk, locked, release)
        )
        other.start()
        try:
            assert locked.wait(timeout=10)
            # when a second rotation arrives while the first holds the subscription
            second = client.post(
                f"{url}{subscription.pk}/rotate-secret/", content_type="application/json"
            )
        finally:
            release.set()
            other.join(timeout=30)
        # then it is refused, and the secret is the one it was
        assert second.status_code == 409
        assert second.json()["code"] == "rotation_in_progress"
        assert "the new secret is in that call's answer" in second.json()["detail"]
        with schema_context(clinic.schema_name):
            assert WebhookSubscription.objects.get(pk=subscription.pk).secret_encrypted == stored

        # and once the first has answered, a rotation goes through as before
        after = client.post(
            f"{url}{subscription.pk}/rotate-secret/", content_type="application/json"
        )
        assert after.status_code == 201
        with schema_context(clinic.schema_name):
            secret = WebhookSubscription.objects.get(pk=subscription.pk).secret_encrypted
        assert decrypt_json(secret)["secret"] == after.json()["secret"]


def test_a_rotation_right_after_another_is_the_retry_of_it_and_changes_nothing(
    login, clinic_a, settings
):
    """Walk 14: five calls at once still gave two 201s, because the first committed (freeing
    the row) before its answer reached the caller, and a retry then found the row free."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(
            url="http://127.0.0.1:9/hook", events=["review.created"]
        )
    url = f"/clinics/{clinic_a.slug}/api/v1/webhooks/{subscription.pk}/rotate-secret/"
    manager = login("alpha_manager")
    first = manager.post(url, content_type="application/json")
    assert first.status_code == 201

    # when the same rotation comes again a moment later (a retry, a double click)
    again = manager.post(url, content_type="application/json")

    # then it is refused, saying where the new secret is, and the secret is the first answer's
    assert (again.status_code, again.json()["code"]) == (409, "rotation_in_progress")
    assert "the new secret is in that call's answer" in again.json()["detail"]
    with schema_context(clinic_a.schema_name):
        stored = decrypt_json(WebhookSubscription.objects.get(pk=subscription.pk).secret_encrypted)
    assert stored["secret"] == first.json()["secret"]

    # and ten seconds after the rotation, rotating again works
    with schema_context(clinic_a.schema_name):
        row = WebhookSubscription.objects.get(pk=subscription.pk)
        earlier = timezone.now() - ROTATION_SETTLE - timedelta(seconds=1)
        row.secret_encrypted = encrypt_json({**stored, "rotated_at": earlier.isoformat()})
        row.save(update_fields=["secret_encrypted"])
    later = manager.post(url, content_type="application/json")
    assert later.status_code == 201
    assert later.json()["secret"] not in (first.json()["secret"], stored["previous"])
