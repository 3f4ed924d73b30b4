"""The webhooks page: subscriptions and recent deliveries, the add form for managers."""

from __future__ import annotations

from django_tenants.utils import schema_context

from webhooks.deliver import delivery_attempt
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create, subscription_secrets, webhook_event_emit

PAGE = "/clinics/clinic-a/webhooks/"


def test_the_page_lists_subscriptions_and_delivery_status(login, clinic_a, receiver):
    receiver.answer(502)
    with schema_context(clinic_a.schema_name):
        subscription_create(
            url=receiver.url, events=["incident.opened"], description="<b>Crisis</b> team"
        )
        webhook_event_emit(event="incident.opened", payload={"incident": {"id": 1}})
        delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    page = login("alpha_analyst").get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert receiver.url in html
    assert "&lt;b&gt;Crisis&lt;/b&gt; team" in html
    assert '<th scope="col">Status</th>' in html
    assert "pending" in html and "HTTP 502" in html
    # an analyst sees no form and no replay button
    assert 'name="url"' not in html and "Send again" not in html


def test_a_manager_adds_a_subscription_and_sees_the_secret_once(login, clinic_a, receiver):
    manager = login("alpha_manager")
    form = manager.get(PAGE).content.decode()
    assert '<label for="wh-url">' in form and "<legend>Events to send</legend>" in form
    created = manager.post(
        PAGE, {"url": receiver.url, "events": ["incident.opened", "statement.published"]}
    )
    assert created.status_code == 201
    with schema_context(clinic_a.schema_name):
        subscription = WebhookSubscription.objects.get()
        (secret,) = subscription_secrets(subscription)
    assert secret in created.content.decode()
    assert secret not in manager.get(PAGE).content.decode()
    assert subscription.events == ["incident.opened", "statement.published"]


def test_a_refused_url_is_explained_next_to_the_field(login, clinic_a, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    page = login("alpha_manager").post(
        PAGE, {"url": "http://169.254.169.254/", "events": ["incident.opened"]}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert 'aria-invalid="true"' in html
    assert "169.254.169.254 is a link-local address." in html
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()


def test_viewers_cannot_add_or_replay(login, clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["incident.opened"])
        webhook_event_emit(event="incident.opened", payload={"incident": {"id": 1}})
        delivery_id = WebhookDelivery.objects.get().pk
    viewer = login("a_viewer")
    assert viewer.post(PAGE, {"url": receiver.url, "events": ["review.created"]}).status_code == 403
    assert viewer.post(f"{PAGE}deliveries/{delivery_id}/replay/").status_code == 403
    with schema_context(clinic_a.schema_name):
        assert WebhookSubscription.objects.count() == 1
        assert WebhookDelivery.objects.count() == 1


def test_a_manager_replays_from_the_log(login, clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["incident.opened"])
        webhook_event_emit(event="incident.opened", payload={"incident": {"id": 1}})
        delivery_id = WebhookDelivery.objects.get().pk
    response = login("alpha_manager").post(f"{PAGE}deliveries/{delivery_id}/replay/", follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert f"Delivery {delivery_id} queued again" in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert WebhookDelivery.objects.filter(replay_of_id=delivery_id).count() == 1
