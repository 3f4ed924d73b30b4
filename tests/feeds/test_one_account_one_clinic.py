"""One Google location, Facebook page, Instagram account or Yelp business is read by one clinic:
connecting it (or entering it by hand through the API) in a second clinic is refused with a
sentence that says where it is read, and nothing changes. Otherwise its reviews would land in
both clinics' inboxes, dashboards and reports, and each clinic could answer the other's."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.crypto import encrypt_json
from feeds.models import AttemptStatus, ConnectAttempt, Source
from tests.feeds.conftest import FAST_HTTP
from tests.feeds.fake_platforms import (
    FACEBOOK_PAGE,
    GOOGLE_ACCOUNT,
    GOOGLE_LOCATION,
    INSTAGRAM_ACCOUNT,
    YELP_BUSINESS,
)
from tests.feeds.test_connect import come_back, connect_google, flash, sources, start

API = "/clinics/clinic-a/api/v1/sources/"


@pytest.fixture
def fake(settings, fake_platforms):
    """The local fake platforms behind the Connect buttons (as `tests/feeds/test_connect.py`)."""
    for name, value in fake_platforms.oauth_settings().items():
        setattr(settings, name, value)
    settings.CONNECTOR_BASE_URLS = dict.fromkeys(
        ("google", "facebook", "yelp"), fake_platforms.base_url
    )
    settings.CONNECTOR_HTTP_OPTIONS = {**FAST_HTTP, "max_retries": 1}
    return fake_platforms


def _read_by(clinic, kind: str, settings: dict, *, credentials: dict | None = None) -> Source:
    """`clinic` reads the account: a source turned on, with credentials."""
    with schema_context(clinic.schema_name):
        return Source.objects.create(
            kind=kind,
            name=f"{kind} of {clinic.name}",
            settings=settings,
            credentials_encrypted=encrypt_json(
                {"access_token": "t"} if credentials is None else credentials
            ),
        )


@pytest.mark.parametrize(
    "location",
    [GOOGLE_LOCATION, f"locations/{GOOGLE_LOCATION}", f"accounts/1/locations/{GOOGLE_LOCATION}"],
    ids=["bare", "locations-name", "full-name"],
)
def test_a_location_another_clinic_reads_is_not_connected_again(
    login, clinic_a, clinic_b, fake, location
):
    _read_by(clinic_b, "google", {"account_id": GOOGLE_ACCOUNT, "location_id": location})
    client = login("alpha_manager")

    answer = connect_google(client, fake)

    assert answer.status_code == 302
    said = flash(client)
    assert any("is read by “Clinic B” already" in m and "Nothing was changed" in m for m in said)
    assert sources(clinic_a) == []
    with schema_context(clinic_a.schema_name):
        # the choice stays open: another location may still be chosen
        assert ConnectAttempt.objects.get().status == AttemptStatus.CHOOSING


def test_a_page_of_another_agencys_clinic_is_refused_without_naming_it(
    login, clinic_a, clinic_c, fake
):
    _read_by(clinic_c, "facebook", {"page_id": FACEBOOK_PAGE})
    client = login("alpha_owner")
    done = come_back(client, fake.consent(start(client, "facebook")))

    answer = client.post(done["Location"], {"choice": FACEBOOK_PAGE})

    assert answer.status_code == 302
    said = " ".join(flash(client))
    assert "is read by another clinic already" in said
    assert "Clinic C" not in said
    assert sources(clinic_a) == []


def test_the_pages_instagram_account_read_elsewhere_refuses_the_page_too(
    login, clinic_a, clinic_b, fake
):
    _read_by(clinic_b, "instagram", {"instagram_account_id": INSTAGRAM_ACCOUNT})
    client = login("alpha_owner")
    done = come_back(client, fake.consent(start(client, "facebook")))

    client.post(done["Location"], {"choice": FACEBOOK_PAGE})

    assert any("Instagram @" in m and "“Clinic B”" in m for m in flash(client))
    assert sources(clinic_a) == []


def test_once_the_other_clinic_disconnected_the_location_connects(login, clinic_a, clinic_b, fake):
    # clinic B's source still names the location, but reads nothing any more
    _read_by(clinic_b, "google", {"location_id": GOOGLE_LOCATION}, credentials={})
    client = login("alpha_manager")

    connect_google(client, fake)

    [source] = sources(clinic_a)
    assert source.settings["location_id"] == GOOGLE_LOCATION and source.credentials_encrypted


def test_a_turned_off_source_elsewhere_does_not_hold_the_location(login, clinic_a, clinic_b, fake):
    held = _read_by(clinic_b, "google", {"location_id": GOOGLE_LOCATION})
    with schema_context(clinic_b.schema_name):
        Source.objects.filter(pk=held.pk).update(enabled=False)
    client = login("alpha_manager")

    connect_google(client, fake)

    assert len(sources(clinic_a)) == 1


def test_the_api_refuses_an_account_another_clinic_reads_and_stores_nothing(
    login, clinic_a, clinic_b
):
    _read_by(clinic_b, "yelp", {"business_id": YELP_BUSINESS}, credentials={"api_key": "k"})
    manager = login("alpha_manager")

    refused = manager.post(
        API,
        {"kind": "yelp", "settings": {"business_id": YELP_BUSINESS},
         "credentials": {"api_key": "k-123"}},
        content_type="application/json",
    )  # fmt: skip

    assert refused.status_code == 400, refused.content
    [message] = refused.json()["fields"]["settings"]
    assert "is read by “Clinic B” already" in message
    assert sources(clinic_a) == []


def test_the_api_refuses_moving_a_source_onto_a_location_another_clinic_reads(
    login, clinic_a, clinic_b
):
    _read_by(clinic_b, "google", {"location_id": GOOGLE_LOCATION})
    manager = login("alpha_manager")
    made = manager.post(
        API,
        {"kind": "google", "settings": {"account_id": "1", "location_id": "555"},
         "credentials": {"access_token": "ya29.x"}},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content

    moved = manager.patch(
        f"{API}{made.json()['id']}/",
        {"settings": {"account_id": "1", "location_id": GOOGLE_LOCATION}},
        content_type="application/json",
    )

    assert moved.status_code == 400 and "settings" in moved.json()["fields"], moved.content
    [source] = sources(clinic_a)
    assert source.settings["location_id"] == "555"


def test_a_placeholder_without_credentials_may_name_the_location(login, clinic_a, clinic_b):
    """Nothing is read without credentials: a source that only names the location is kept."""
    _read_by(clinic_b, "google", {"location_id": GOOGLE_LOCATION})
    manager = login("alpha_manager")

    made = manager.post(
        API,
        {"kind": "google", "settings": {"location_id": GOOGLE_LOCATION}},
        content_type="application/json",
    )

    assert made.status_code == 201, made.content
