"""The deactivate confirmation names what other systems reach the clinic through (its API
keys, webhooks, polled sources) and what deactivating does to each: their integrators are not
told by Carewatch."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from clinics.services import clinic_create
from feeds.models import Source
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db
URL = "/clinics/wired-clinic/settings/leaving/deactivate/"


def _connected(html: str) -> dict[str, str]:
    items = re.findall(r'<li data-connected="([a-z_]+)">(.*?)</li>', html, re.S)
    return {key: re.sub(r"<[^>]+>", "", text) for key, text in items}


@pytest.fixture
def wired(world):
    return clinic_create(agency=world.agencies["alpha"], name="Wired Clinic", slug="wired-clinic")


def test_keys_webhooks_and_polled_sources_are_listed_with_what_happens_to_them(world, wired, login):
    # given a working key, an active webhook and a polled source with credentials
    api_key_create(agency=wired.agency, clinic=wired, name="crm", scopes=["read"])
    with schema_context(wired.schema_name):
        WebhookSubscription.objects.create(
            url="https://hooks.example/x", events=["review.created"], secret_encrypted="x"
        )
        Source.objects.create(
            kind="yelp", name="Yelp", settings={}, credentials_encrypted="x", enabled=True
        )
        Source.objects.create(kind="csv", name="CSV", settings={}, enabled=True)

    html = unescape(login("alpha_owner").get(URL).content.decode())

    assert _connected(html) == {
        "api_keys": "1 API key works. Each call with them is refused (403 clinic_deactivated) "
        "until a reactivation: tell whoever uses them.",
        "webhooks": "1 webhook subscription. Nothing is sent to them; deliveries already due "
        "wait for a reactivation.",
        "sources": "1 source polled with its credentials. They are no longer polled; their "
        "credentials are kept for a reactivation.",
    }


def test_nothing_connected_lists_nothing(wired, login):
    html = unescape(login("alpha_owner").get(URL).content.decode())
    assert _connected(html) == {} and "Connected now" not in html
