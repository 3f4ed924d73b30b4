"""Connecting a source with OAuth ("Connect Google Business Profile", "Connect Facebook /
Instagram") against the local fake platforms: the authorization-code flow, the state's
binding, every refusal, the stored tokens, renewal, warnings and disconnecting."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from config.celery import app as celery_app
from core.crypto import decrypt_json
from feeds.models import AttemptStatus, ConnectAttempt, Source, SourceConnection
from feeds.polling import source_poll
from feeds.services import source_create, source_credentials
from feeds.services.connections import (
    connection_refresh,
    connections_claim_due,
    connections_warn,
)
from tests.feeds.conftest import FAST_HTTP
from tests.feeds.fake_platforms import (
    FACEBOOK_PAGE,
    GOOGLE_ACCOUNT,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_LOCATION,
    GOOGLE_USER_EMAIL,
    INSTAGRAM_ACCOUNT,
)

BASE = "/clinics/clinic-a/sources/"


@pytest.fixture
def fake(settings, fake_platforms):
    for name, value in fake_platforms.oauth_settings().items():
        setattr(settings, name, value)
    settings.CONNECTOR_BASE_URLS = dict.fromkeys(
        ("google", "facebook", "yelp"), fake_platforms.base_url
    )
    settings.CONNECTOR_HTTP_OPTIONS = {**FAST_HTTP, "max_retries": 1}
    return fake_platforms


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start(client: Client, platform: str, **data) -> str:
    response = client.post(f"{BASE}connect/{platform}/", data)
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def come_back(client: Client, callback_url: str):
    """The browser returning from the platform: the public callback, then the clinic's page."""
    first = client.get(_path(callback_url))
    assert first.status_code == 302, first.content[:300]
    assert first["Location"].startswith(f"{BASE}connect/")
    return client.get(first["Location"])


def flash(client: Client) -> list[str]:
    page = client.get(BASE)
    return [str(m) for m in page.context["messages"]]


def sources(clinic) -> list[Source]:
    with schema_context(clinic.schema_name):
        return list(Source.objects.order_by("pk"))


def connect_google(client, fake, *, choice=None, **data) -> Client:
    url = start(client, "google", **data)
    done = come_back(client, fake.consent(url))
    assert done.status_code == 302
    page = client.get(done["Location"])
    assert page.status_code == 200
    chosen = choice or f"accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}"
    return client.post(done["Location"], {"choice": chosen, "action": "connect"})


def test_google_connect_stores_encrypted_tokens_that_poll(login, clinic_a, fake):
    client = login("alpha_manager")
    # given: the consent URL carries the app, the callback, the clinic-bound state and PKCE
    url = start(client, "google")
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(fake.base_url + "/o/oauth2/v2/auth?")
    assert query["client_id"] == fake.oauth_settings()["GOOGLE_OAUTH_CLIENT_ID"]
    assert query["redirect_uri"] == "http://localhost:8000/oauth/google/callback/"
    assert query["state"].startswith("clinic-a.") and len(query["state"]) > 40
    assert query["access_type"] == "offline" and query["code_challenge_method"] == "S256"
    # when: consent, back, then the choice among the account's two locations
    done = come_back(client, fake.consent(url))
    choose = client.get(done["Location"])
    text = choose.content.decode()
    assert "Sunrise Family Clinic" in text and "Sunrise Family Clinic Eastside" in text
    assert GOOGLE_USER_EMAIL in text
    answer = client.post(
        done["Location"],
        {"choice": f"accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}"},
    )
    assert answer.status_code == 302 and answer["Location"] == BASE
    # then: one source, its tokens encrypted (the fake's), and a connection row
    [source] = sources(clinic_a)
    assert (source.kind, source.name) == ("google", "Sunrise Family Clinic")
    assert source.settings["account_id"] == GOOGLE_ACCOUNT
    assert source.settings["location_id"] == GOOGLE_LOCATION
    stored = decrypt_json(source.credentials_encrypted)
    assert stored["access_token"].startswith("ya29.fake-granted-")
    assert stored["refresh_token"] in fake.google_refresh_tokens
    assert "ya29" not in source.credentials_encrypted  # encrypted at rest
    assert GOOGLE_CLIENT_SECRET not in json.dumps(stored)  # the app secret stays in settings
    with schema_context(clinic_a.schema_name):
        conn = SourceConnection.objects.get(source=source)
        assert conn.grantee == GOOGLE_USER_EMAIL
        assert conn.account_name.startswith("Sunrise Family Clinic — 1200 Valencia St")
        assert conn.next_refresh_at < conn.token_expires_at
        assert ConnectAttempt.objects.get().secrets_encrypted == ""  # tokens left the attempt
        # and the stored credentials work: a poll reads the location's reviews
        fake.add_google_reviews(3)
        assert source_poll(source_id=source.pk)["created"] == 3
    page = client.get(BASE).content.decode()
    assert "Connected to Sunrise Family Clinic" in page
    # the API says the same: who connected what, and that it renews by itself
    link = client.get(f"/clinics/clinic-a/api/v1/sources/{source.pk}/").json()["connection"]
    assert link["state"] == "connected" and link["grantee"] == GOOGLE_USER_EMAIL
    assert link["account_name"].startswith("Sunrise Family Clinic — 1200 Valencia St")
    assert link["connected_at"] and link["access_ends_at"] is None and link["error"] == ""


def test_reconnecting_updates_the_same_source_and_tells_the_outbox(
    login, clinic_a, fake, django_capture_on_commit_callbacks
):
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete("default")
    with schema_context(clinic_a.schema_name):
        existing = source_create(kind="google", name="GBP", settings=fake.settings("google"))
    client = login("alpha_manager")
    with django_capture_on_commit_callbacks(execute=True):
        answer = connect_google(client, fake)
    assert answer.status_code == 302
    [source] = sources(clinic_a)
    assert source.pk == existing.pk and source.name == "GBP"
    assert decrypt_json(source.credentials_encrypted)["refresh_token"]
    with celery_app.connection_for_read() as conn:
        raw = conn.default_channel.client.lrange("default", 0, -1)
    queued = [json.loads(m)["headers"] for m in raw]
    assert [(h["task"], h["argsrepr"], h["_schema_name"]) for h in queued] == [
        ("responses.tasks.outbox_retry_for_source", f"({source.pk},)", clinic_a.schema_name)
    ]


def test_facebook_connect_stores_page_and_instagram(login, clinic_a, fake):
    client = login("alpha_owner")
    url = start(client, "facebook")
    assert url.startswith(fake.base_url + "/v21.0/dialog/oauth?")
    done = come_back(client, fake.consent(url))
    page = client.get(done["Location"]).content.decode()
    assert "Sunrise Family Clinic" in page and "Instagram @sunrisefamilyclinic" in page
    answer = client.post(done["Location"], {"choice": FACEBOOK_PAGE})
    assert answer.status_code == 302
    facebook, instagram = sources(clinic_a)
    assert facebook.kind == "facebook" and facebook.settings["page_id"] == FACEBOOK_PAGE
    assert facebook.settings["instagram_account_id"] == INSTAGRAM_ACCOUNT
    page_token = decrypt_json(facebook.credentials_encrypted)["access_token"]
    assert page_token in fake.fb_page_tokens
    assert decrypt_json(facebook.credentials_encrypted)["user_access_token"] in fake.fb_user_tokens
    assert (
        fake.fb_user_tokens[decrypt_json(facebook.credentials_encrypted)["user_access_token"]]
        == "long"
    )
    assert instagram.kind == "instagram" and instagram.name == "Instagram @sunrisefamilyclinic"
    assert decrypt_json(instagram.credentials_encrypted)["access_token"] == page_token
    with schema_context(clinic_a.schema_name):
        conn = SourceConnection.objects.get(source=facebook)
        assert conn.reconnect_by > timezone.now() + timedelta(days=80)
        assert SourceConnection.objects.get(source=instagram).via_id == facebook.pk
        # the page token reads the page through the connector
        fake.add_facebook_ratings(2)
        assert source_poll(source_id=facebook.pk)["created"] == 2


@pytest.mark.parametrize(
    "case",
    ["denied", "replayed", "tampered", "other_session", "other_person", "expired", "token_5xx",
     "token_4xx", "no_locations", "listing_5xx"],
)  # fmt: skip
def test_every_refusal_says_why_and_changes_nothing(login, clinic_a, fake, world, case):
    client = login("alpha_manager")
    url = start(client, "google")
    callback = fake.consent(url, allow=case != "denied")
    if case == "tampered":
        callback = callback.replace("state=clinic-a.", "state=clinic-a.x")
    if case == "other_session":
        client = login("alpha_manager")  # a new session of the same person
    if case == "other_person":
        client = login("alpha_owner")
    if case == "expired":
        with schema_context(clinic_a.schema_name):
            ConnectAttempt.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    if case == "token_5xx":
        fake.fail(3, status=503, platform="google-oauth")
    if case == "token_4xx":
        fake.oauth_codes.clear()  # the code is unknown at Google: invalid_grant
    if case == "no_locations":
        fake.google_accounts = []
    if case == "listing_5xx":
        fake.fail(3, status=500, platform="google-accounts")
    if case == "replayed":
        come_back(client, callback)
    page = come_back(client, callback)
    assert page.status_code == 302 and page["Location"] == BASE
    messages = flash(client)
    expected = {
        "denied": "Access was not allowed at Google, so nothing was connected.",
        "replayed": "was already used",
        "tampered": "does not match a connection you started here",
        "other_session": "started in another sign-in session",
        "other_person": "does not match a connection you started here",
        "expired": "took longer than 10 minutes, so it expired",
        "token_5xx": "Google did not answer properly",
        "token_4xx": "Google refused the sign-in",
        "no_locations": f"The Google account {GOOGLE_USER_EMAIL} manages no Business Profile",
        "listing_5xx": "Google did not answer properly",
    }[case]
    assert any(expected in m for m in messages), messages
    assert any("Nothing was changed" in m or "nothing was connected" in m for m in messages)
    if case != "replayed":
        assert sources(clinic_a) == []
    with schema_context(clinic_a.schema_name):
        assert not ConnectAttempt.objects.filter(status=AttemptStatus.CHOOSING).exists() or (
            case == "replayed"
        )


def test_callback_for_a_clinic_out_of_reach_is_refused(login, fake):
    client = login("beta_owner")
    response = client.get("/oauth/google/callback/?state=clinic-a.abcdefgh&code=x")
    assert response.status_code == 400
    assert b"does not belong to a connection you started" in response.content
    anonymous = Client().get("/oauth/google/callback/?state=clinic-a.abcdefgh&code=x")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("who", ["alpha_writer", "alpha_analyst", "a_approver"])
def test_only_owners_and_managers_connect(login, clinic_a, fake, who):
    response = login(who).post(f"{BASE}connect/google/")
    assert response.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert not ConnectAttempt.objects.exists()


def test_not_configured_says_so(login, clinic_a, fake, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    client = login("alpha_manager")
    assert "not set up on this server" in client.get(BASE).content.decode()
    response = client.post(f"{BASE}connect/google/")
    assert response.status_code == 302 and response["Location"] == BASE
    assert any("GOOGLE_OAUTH_CLIENT_ID" in m for m in flash(client))


def test_a_bad_choice_is_refused_and_the_choice_stays_open(login, clinic_a, fake):
    client = login("alpha_manager")
    done = come_back(client, fake.consent(start(client, "google")))
    empty = client.post(done["Location"], {"action": "connect"})
    assert empty.status_code == 400 and b"Choose a location to connect." in empty.content
    wrong = client.post(done["Location"], {"choice": "accounts/1/locations/999"})
    assert wrong.status_code == 302
    assert any("Choose one of the listed locations." in m for m in flash(client))
    assert sources(clinic_a) == []
    ok = client.post(
        done["Location"], {"choice": f"accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}"}
    )
    assert ok.status_code == 302 and len(sources(clinic_a)) == 1


def test_google_disconnect_revokes_and_shows_not_connected(login, clinic_a, fake):
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    refresh = decrypt_json(source.credentials_encrypted)["refresh_token"]
    with schema_context(clinic_a.schema_name):  # it was polled, with a next poll due
        Source.objects.filter(pk=source.pk).update(next_poll_at=timezone.now())
    response = client.post(f"{BASE}{source.pk}/disconnect/")
    assert response.status_code == 302
    assert any("access was revoked at Google" in m for m in flash(client))
    assert fake.google_revoked == [refresh]
    [source] = sources(clinic_a)
    assert source.credentials_encrypted == ""
    assert source.next_poll_at is None  # a source not connected is not polled
    with schema_context(clinic_a.schema_name):
        assert not SourceConnection.objects.exists()
    assert "not connected" in client.get(BASE).content.decode()


def test_disconnect_when_google_fails_changes_nothing(login, clinic_a, fake):
    client = login("alpha_manager")
    connect_google(client, fake)
    [before] = sources(clinic_a)
    fake.fail(3, status=503, platform="google-oauth")
    client.post(f"{BASE}{before.pk}/disconnect/")
    assert any("Google did not answer properly" in m for m in flash(client))
    [after] = sources(clinic_a)
    assert after.credentials_encrypted == before.credentials_encrypted
    assert fake.google_revoked == []


def test_facebook_disconnect_takes_instagram_along(login, clinic_a, fake):
    client = login("alpha_owner")
    done = come_back(client, fake.consent(start(client, "facebook")))
    client.post(done["Location"], {"choice": FACEBOOK_PAGE})
    facebook, instagram = sources(clinic_a)
    refused = client.post(f"{BASE}{instagram.pk}/disconnect/")
    assert refused.status_code == 302
    assert any("disconnect the page's source instead" in m for m in flash(client))
    client.post(f"{BASE}{facebook.pk}/disconnect/")
    assert any("access was revoked at Facebook" in m for m in flash(client))
    assert len(fake.fb_revoked) == 1
    assert [s.credentials_encrypted for s in sources(clinic_a)] == ["", ""]


def test_a_grant_shared_with_another_clinic_is_not_revoked(login, clinic_a, clinic_b, fake):
    client = login("alpha_manager")
    connect_google(client, fake)
    # the same Google sign-in connected one of clinic B's sources too
    with schema_context(clinic_a.schema_name):
        conn = SourceConnection.objects.get()
    with schema_context(clinic_b.schema_name):
        shared = source_create(kind="google", name="B", settings={"location_id": "1"})
        SourceConnection.objects.create(
            source=shared, platform="google", account_ref="x", account_name="x",
            grant_ref=conn.grant_ref, connected_at=timezone.now(),
        )  # fmt: skip
    [source] = sources(clinic_a)
    client.post(f"{BASE}{source.pk}/disconnect/")
    assert any("stays valid because 1 other source(s) use it" in m for m in flash(client))
    assert fake.google_revoked == []
    assert sources(clinic_a)[0].credentials_encrypted == ""


def test_renewal_before_expiry_and_loss_is_told(
    login, clinic_a, fake, mailoutbox, django_capture_on_commit_callbacks
):
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    old = decrypt_json(source.credentials_encrypted)["access_token"]
    with schema_context(clinic_a.schema_name):
        # not due yet; due an hour later
        assert connections_claim_due() == []
        assert connections_claim_due(timezone.now() + timedelta(hours=1)) == [source.pk]
        assert connection_refresh(source_id=source.pk) == "renewed"
        source.refresh_from_db()
        stored = decrypt_json(source.credentials_encrypted)
        assert stored["access_token"] != old and stored["access_token"].startswith(
            "ya29.fake-renewed"
        )
        assert source_credentials(source)["client_secret"] == GOOGLE_CLIENT_SECRET
        # the grant is revoked at Google: renewal fails for good, the managers are told
        fake.google_refresh_tokens.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert connection_refresh(source_id=source.pk) == "lost"
        source.refresh_from_db()
        conn = SourceConnection.objects.get(source=source)
        assert conn.lost_at is not None and not source.is_healthy
        assert "Reconnect the source" in source.last_error
    told = Notification.objects.filter(clinic=clinic_a, ref=f"source:{source.pk}:lost")
    assert sorted(n.user.email for n in told) == ["manager@alpha.test", "owner@alpha.test"]
    assert sorted(m.to[0] for m in mailoutbox if "refused to renew access" in m.subject) == [
        "manager@alpha.test",
        "owner@alpha.test",
    ]
    assert "connection lost" in client.get(BASE).content.decode()
    link = client.get(f"/clinics/clinic-a/api/v1/sources/{source.pk}/").json()["connection"]
    assert link["state"] == "lost" and link["error"]
    # reconnecting closes the warning
    connect_google(client, fake, source=source.pk)
    assert not Notification.objects.filter(
        clinic=clinic_a, ref=f"source:{source.pk}:lost", open=True
    ).exists()


def test_transient_renewal_failures_back_off_then_warn(login, clinic_a, fake):
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    ref = f"source:{source.pk}:renew"
    with schema_context(clinic_a.schema_name):
        fake.fail(100, status=503, platform="google-oauth")
        assert connection_refresh(source_id=source.pk) == "failed"
        assert not Notification.objects.filter(ref=ref).exists()  # one failure: retried quietly
        conn = SourceConnection.objects.get(source=source)
        assert conn.refresh_failures == 1 and conn.next_refresh_at > timezone.now()
        connection_refresh(source_id=source.pk)
        connection_refresh(source_id=source.pk)
        assert Notification.objects.filter(ref=ref).count() == 2  # owner and manager
        fake.clear_scenarios()
        assert connection_refresh(source_id=source.pk) == "renewed"
        assert not Notification.objects.filter(ref=ref, open=True).exists()


def test_facebook_renewal_and_warning_before_access_ends(login, clinic_a, fake):
    client = login("alpha_owner")
    done = come_back(client, fake.consent(start(client, "facebook")))
    client.post(done["Location"], {"choice": FACEBOOK_PAGE})
    facebook, instagram = sources(clinic_a)
    with schema_context(clinic_a.schema_name):
        conn = SourceConnection.objects.get(source=facebook)
        # the long-lived user token is exchanged again 10 days before it ends
        assert conn.next_refresh_at - timezone.now() > timedelta(days=49)
        assert connection_refresh(source_id=facebook.pk) == "renewed"
        facebook.refresh_from_db()
        instagram.refresh_from_db()
        token = decrypt_json(facebook.credentials_encrypted)["access_token"]
        assert decrypt_json(instagram.credentials_encrypted)["access_token"] == token
        assert token in fake.fb_page_tokens
        # a week before data access ends, then a day before: each warning once
        soon = conn.reconnect_by - timedelta(days=6)
        assert connections_warn(soon) == 1
        assert connections_warn(soon) == 0
        assert connections_warn(conn.reconnect_by - timedelta(hours=20)) == 1
    warned = Notification.objects.filter(
        clinic=clinic_a, ref__startswith=f"source:{facebook.pk}:expires"
    )
    assert {n.ref.rsplit("-", 1)[-1] for n in warned} == {"7d", "1d"}
    assert all("Reconnect it before then" in n.title for n in warned)


@pytest.mark.parametrize("case", ["denied", "no_pages", "exchange_4xx"])
def test_facebook_refusals_say_why_and_change_nothing(login, clinic_a, fake, case):
    client = login("alpha_owner")
    callback = fake.consent(start(client, "facebook"), allow=case != "denied")
    if case == "no_pages":
        fake.fb_pages = []
    if case == "exchange_4xx":
        fake.oauth_codes.clear()  # Facebook no longer knows the code
    come_back(client, callback)
    expected = {
        "denied": "Access was not allowed at Facebook, so nothing was connected.",
        "no_pages": "The Facebook account Dana Agency manages no Facebook pages",
        "exchange_4xx": "Facebook refused: This authorization code has been used.",
    }[case]
    messages = flash(client)
    assert any(expected in m for m in messages), messages
    assert sources(clinic_a) == []


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/oauth/google/callback/"),
        ("get", "/oauth/google/callback/?state=nodot&code=1"),
        ("get", "/oauth/nowhere/callback/?state=clinic-a.x"),
        ("get", "/oauth/google/callback/?state=" + "a" * 5000),
        ("get", f"{BASE}connect/google/return/"),
        ("get", f"{BASE}connect/google/return/?state=clinic-a.forged&code=1"),
        ("get", f"{BASE}connect/nowhere/return/?state=x"),
        ("post", f"{BASE}connect/nowhere/"),
        ("post", f"{BASE}connect/google/?source=999999"),
        ("get", f"{BASE}connect/999999/"),
        ("post", f"{BASE}connect/999999/"),
        ("post", f"{BASE}999999/disconnect/"),
    ],
)
def test_bad_requests_answer_a_message_never_a_500(login, clinic_a, fake, method, path):
    client = login("alpha_manager")
    response = getattr(client, method)(path, {"source": "999999"} if "source=" in path else {})
    assert response.status_code in (302, 400, 404), (path, response.status_code)
    if response.status_code == 302 and response["Location"] == BASE:
        assert flash(client)  # it says why
    assert sources(clinic_a) == []


def test_disconnecting_what_is_not_a_connection_is_refused(login, clinic_a, fake):
    with schema_context(clinic_a.schema_name):
        hook = source_create(kind="webhook", name="Relay", credentials={"webhook_secret": "s" * 20})
        empty = source_create(kind="google", name="Empty")
    client = login("alpha_manager")
    client.post(f"{BASE}{hook.pk}/disconnect/")
    assert any("keeps a key, not a connection" in m for m in flash(client))
    client.post(f"{BASE}{empty.pk}/disconnect/")
    assert any("Empty is not connected" in m for m in flash(client))
    with schema_context(clinic_a.schema_name):
        assert Source.objects.get(pk=hook.pk).credentials_encrypted == hook.credentials_encrypted


def test_beat_queues_one_renewal_per_due_connection(login, clinic_a, fake, settings):
    from feeds.tasks import connections_refresh_dispatch_task

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-source-connections"]
    assert entry["task"] == connections_refresh_dispatch_task.name
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    with schema_context(clinic_a.schema_name):
        SourceConnection.objects.update(next_refresh_at=timezone.now() - timedelta(minutes=1))
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete("default")
    assert connections_refresh_dispatch_task() == 1
    with celery_app.connection_for_read() as conn:
        raw = conn.default_channel.client.lrange("default", 0, -1)
    queued = [json.loads(m)["headers"] for m in raw]
    assert [(h["task"], h["argsrepr"], h["_schema_name"]) for h in queued] == [
        ("feeds.tasks.source_connection_refresh", f"({source.pk},)", clinic_a.schema_name)
    ]
    assert connections_refresh_dispatch_task() == 0  # claimed: not queued twice


def test_unfinished_attempts_lose_their_tokens_then_go(login, clinic_a, fake):
    from feeds.services.connections import attempts_prune

    client = login("alpha_manager")
    come_back(client, fake.consent(start(client, "google")))
    with schema_context(clinic_a.schema_name):
        attempt = ConnectAttempt.objects.get()
        assert attempt.status == AttemptStatus.CHOOSING and attempt.secrets_encrypted
        assert attempts_prune(attempt.created_at + timedelta(minutes=31)) == 0
        attempt.refresh_from_db()
        assert (attempt.status, attempt.secrets_encrypted) == (AttemptStatus.FAILED, "")
        assert attempts_prune(attempt.created_at + timedelta(days=2)) == 1
        assert not ConnectAttempt.objects.exists()


def test_the_location_of_an_existing_source_is_preselected(login, clinic_a, fake):
    with schema_context(clinic_a.schema_name):
        source_create(kind="google", name="GBP", settings=fake.settings("google"))
    client = login("alpha_manager")
    done = come_back(client, fake.consent(start(client, "google")))
    html = client.get(done["Location"]).content.decode()
    chosen = f'value="accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}" checked'
    # one location preselected (the other box checked is "the reviews already there are past")
    assert chosen in html and html.count('" checked>') == 1


def test_oauth_addresses_are_checked_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config import env

    monkeypatch.setenv("GOOGLE_OAUTH_TOKEN_URL", "oauth2.googleapis.com/token")
    with pytest.raises(ImproperlyConfigured, match="GOOGLE_OAUTH_TOKEN_URL must be an http"):
        env.load()
    monkeypatch.setenv("GOOGLE_OAUTH_TOKEN_URL", "")
    assert env.load().oauth["GOOGLE_OAUTH_TOKEN_URL"] == "https://oauth2.googleapis.com/token"
