"""Finding 11, each medium/low item: the SSRF guard also outside production (only listed
local receivers), no existence oracle in clinic slugs or public statement pages, API keys
cannot create clinics, throttles on /hooks/ and the anonymous OpenAPI document, webhook URLs
hidden from read-only callers, collectstatic in the Dockerfile."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from clinics.services import clinic_create
from core.errors import ValidationFailed
from webhooks.ssrf import UnsafeTarget, target_check

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/", "http://127.0.0.1:6379/", "http://[::1]:5432/"]
)
def test_ssrf_guard_is_on_outside_production(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    settings.CAREWATCH_PRODUCTION = False
    settings.WEBHOOKS_PRIVATE_HOSTS_ALLOWED = ["127.0.0.1:8765"]
    with pytest.raises(UnsafeTarget):
        target_check(url)
    target_check("http://127.0.0.1:8765/hook")  # the listed local receiver


def test_another_agencys_slug_answers_like_a_reserved_one(world, db):
    answers = []
    for slug in ["clinic-c", "public", "ADMIN!"]:
        with pytest.raises(ValidationFailed) as refused:
            clinic_create(agency=world.agencies["alpha"], name="X", slug=slug)
        answers.append((refused.value.status_code, refused.value.fields))
    taken_elsewhere, reserved, malformed = answers
    # another agency's address reads exactly as a reserved word: nothing says it exists
    assert (
        taken_elsewhere
        == reserved
        == (400, {"slug": ["Not available: choose another web address."]})
    )
    # an address of the wrong shape is told the rule, which says nothing about anyone's clinics
    assert malformed[0] == 400 and malformed[1]["slug"][0].startswith("Use 3–50 lowercase letters")


def test_public_statement_page_is_the_same_for_missing_and_unpinned(world, db):
    missing = Client().get("/statements/no-such-clinic/")
    quiet = Client().get("/statements/clinic-b/")
    assert (missing.status_code, missing.content) == (quiet.status_code, quiet.content)


def test_api_keys_cannot_create_clinics(api, login, db):
    data = {"name": "New", "slug": "f11-new-clinic"}
    assert api("key_alpha").post("/api/v1/clinics/", data, "application/json").status_code == 403


def test_throttles_on_hooks_and_the_anonymous_schema(world, db, monkeypatch):
    # one fixed window for the whole test: a minute boundary falling between the requests
    # would start a fresh budget (each schema document takes a while to build)
    import core.api
    from core import fastcache

    monkeypatch.setattr(core.api, "_clock", lambda: 1_800_000_000.0)
    # and the window's counter outlives the test: Redis expires it a minute after the first
    # request in real time, and on a loaded machine the twelve documents and 302 posts can
    # take longer than that (a fresh budget again). The lifetime the throttle asks for is
    # recorded and asserted instead.
    lifetimes = []
    count = fastcache.count

    def count_for_the_test(key, *, ttl):
        lifetimes.append(ttl)
        return count(key, ttl=3600)

    monkeypatch.setattr(fastcache, "count", count_for_the_test)
    client = Client()
    codes = [client.get("/api/schema/").status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[-1] == 429
    hooks = [
        client.post("/hooks/clinic-a/999999/", "{}", "application/json").status_code
        for _ in range(302)
    ]
    assert 429 not in hooks[:300] and hooks[300:] == [429, 429]  # 300 a minute
    assert max(hooks[:300]) < 500
    assert set(lifetimes) == {61}  # a minute's window (+1 s)


def test_webhook_urls_are_hidden_from_read_only_callers(world, login, api, clinic_a):
    from webhooks.models import WebhookSubscription

    secret_url = "https://hooks.example/t/SECRET-TOKEN"
    with schema_context(clinic_a.schema_name):
        WebhookSubscription.objects.create(url=secret_url, events=["reply.published"])
    read = api("key_a_read").get("/clinics/clinic-a/api/v1/webhooks/").content.decode()
    assert "SECRET-TOKEN" not in read and "hooks.example" in read
    manager = login("alpha_manager").get("/clinics/clinic-a/api/v1/webhooks/").content.decode()
    assert "SECRET-TOKEN" in manager
    page = login("alpha_analyst").get("/clinics/clinic-a/webhooks/").content.decode()
    assert "SECRET-TOKEN" not in page


def test_dockerfile_collects_static_files():
    assert "collectstatic" in (ROOT / "Dockerfile").read_text()
