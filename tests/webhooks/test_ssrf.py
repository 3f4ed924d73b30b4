"""The SSRF guard, with private targets not allowed (production): on creation, on update and
again right before each delivery."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from webhooks.deliver import delivery_attempt
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create, webhook_event_emit
from webhooks.ssrf import UnsafeTarget, target_check

URL = "/clinics/clinic-a/api/v1/webhooks/"


@pytest.fixture(autouse=True)
def production_guard(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


REFUSED = {
    "loopback": ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address."),
    "loopback-other": ("https://127.8.9.10/hook", "127.8.9.10 is a loopback address."),
    "localhost": ("http://localhost/hook", "localhost is a loopback address."),
    "decimal-loopback": (
        "http://2130706433/hook",
        "2130706433 resolves to 127.0.0.1, a loopback address.",
    ),
    "ten": ("https://10.0.0.5/hook", "10.0.0.5 is a private address."),
    "172-16": ("https://172.16.3.4/hook", "172.16.3.4 is a private address."),
    "172-31": ("https://172.31.255.1/hook", "172.31.255.1 is a private address."),
    "192-168": ("https://192.168.0.10/hook", "192.168.0.10 is a private address."),
    "metadata": (
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local address.",
    ),
    "link-local": ("http://169.254.1.1/", "169.254.1.1 is a link-local address."),
    "cgnat": ("https://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address."),
    "unspecified": ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address."),
    "multicast": ("http://224.0.0.1/", "224.0.0.1 is a multicast address."),
    "reserved": ("http://240.0.0.1/", "240.0.0.1 is a reserved address."),
    "ipv6-loopback": ("http://[::1]:8000/", "::1 is a loopback address."),
    "ipv6-link-local": ("http://[fe80::1]/", "fe80::1 is a link-local address."),
    "ipv6-unique-local": ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a private address."),
    "ipv4-mapped": ("http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address."),
    "nat64-private": ("http://[64:ff9b::a00:1]/", "10.0.0.1 is a private address."),
}
MALFORMED = {
    "ftp": ("ftp://example.com/hook", "Use an http:// or https:// URL."),
    "file": ("file:///etc/passwd", "Use an http:// or https:// URL."),
    "gopher": ("gopher://example.com:70/", "Use an http:// or https:// URL."),
    "no-scheme": ("example.com/hook", "Use an http:// or https:// URL."),
    "credentials": (
        "https://user:pass@example.com/hook",
        "The URL may not contain a user name or password; authenticate with the signature.",
    ),
    "user-only": (
        "https://admin@example.com/",
        "The URL may not contain a user name or password; authenticate with the signature.",
    ),
    "bad-port": ("https://example.com:99999/", "The port is not a number between 1 and 65535."),
    "no-host": ("https:///hook", "The URL has no host."),
    "space": ("https://example.com/a b", "The URL may not contain spaces or control characters."),
}


@pytest.mark.parametrize(("url", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_the_api_refuses_internal_targets_with_a_400_and_stores_nothing(
    login, clinic_a, url, message
):
    response = login("alpha_manager").post(
        URL, {"url": url, "events": ["review.created"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This URL cannot receive webhooks.",
        "code": "invalid",
        "fields": {"url": [f"Webhooks may only reach public addresses: {message}"]},
    }
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(("url", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_the_api_refuses_other_schemes_and_credentials(login, clinic_a, url, message):
    response = login("alpha_manager").post(
        URL, {"url": url, "events": ["review.created"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"url": [message]}
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()


def test_a_host_name_is_judged_by_every_address_it_resolves_to(dns):
    dns(
        {
            "intranet.example": "10.1.2.3",
            "v6.example": "fc00::7",
            "mixed.example": ["8.8.8.8", "169.254.169.254"],
            "public.example": "8.8.8.8",
        }
    )
    with pytest.raises(UnsafeTarget, match=r"intranet.example resolves to 10.1.2.3, a private"):
        target_check("https://intranet.example/hook")
    with pytest.raises(UnsafeTarget, match="resolves to fc00::7, a private address"):
        target_check("https://v6.example/hook")
    with pytest.raises(UnsafeTarget, match="resolves to 169.254.169.254, a link-local address"):
        target_check("https://mixed.example/hook")
    target = target_check("https://public.example/hook?a=1")
    assert (target.host, target.port, target.path, target.addresses) == (
        "public.example",
        443,
        "/hook?a=1",
        ("8.8.8.8",),
    )


def test_an_unresolvable_host_is_refused():
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        target_check("https://no-such-host.invalid/hook")


def test_a_public_target_is_accepted(login, clinic_a, dns):
    dns({"hooks.example.com": "93.184.216.34"})
    response = login("alpha_manager").post(
        URL,
        {"url": "https://hooks.example.com/carewatch", "events": ["incident.opened"]},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_changing_the_url_to_an_internal_one_is_refused(login, clinic_a, dns):
    dns({"hooks.example.com": "93.184.216.34"})
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(
            url="https://hooks.example.com/x", events=["review.created"]
        )
    response = login("alpha_manager").patch(
        f"{URL}{subscription.pk}/",
        json.dumps({"url": "http://169.254.169.254/latest/"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["url"] == [
        "Webhooks may only reach public addresses: 169.254.169.254 is a link-local address."
    ]
    with schema_context(clinic_a.schema_name):
        assert WebhookSubscription.objects.get().url == "https://hooks.example.com/x"


def test_dns_rebinding_is_caught_right_before_the_delivery(clinic_a, receiver, dns):
    # given a subscription whose host was public when it was created
    dns({"rebind.example": "93.184.216.34"})
    url = f"http://rebind.example:{receiver.port}/hook"
    with schema_context(clinic_a.schema_name):
        subscription_create(url=url, events=["review.created"])
        webhook_event_emit(event="review.created", payload={"review": {"id": 1}})
        # when it resolves to the loopback address at delivery time
        dns({"rebind.example": "127.0.0.1"})
        delivery = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    # then nothing is sent and the attempt says why
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == (
        "Refused: Webhooks may only reach public addresses: "
        "rebind.example resolves to 127.0.0.1, a loopback address."
    )


def test_private_targets_are_allowed_only_by_the_setting(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert target_check("http://127.0.0.1:8000/hook").addresses == ("127.0.0.1",)
    with pytest.raises(UnsafeTarget, match="user name or password"):
        target_check("http://user:pw@127.0.0.1/")  # never, whatever the setting
    with pytest.raises(UnsafeTarget, match="http:// or https://"):
        target_check("file:///etc/passwd")
