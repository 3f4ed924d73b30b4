import pytest
from django.core.cache import cache


@pytest.fixture
def tight_limit():
    from core.api import ActorRateThrottle

    original = ActorRateThrottle.THROTTLE_RATES
    ActorRateThrottle.THROTTLE_RATES = {**original, "actor": "3/min"}
    cache.clear()
    yield
    ActorRateThrottle.THROTTLE_RATES = original
    cache.clear()


def test_a_key_over_its_rate_gets_429_with_retry_after(api, tight_limit):
    client = api("key_a")
    codes = [client.get("/clinics/clinic-a/api/v1/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/clinics/clinic-a/api/v1/me/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    # another key has its own budget
    assert api("key_a_read").get("/clinics/clinic-a/api/v1/me/").status_code == 200


def test_an_agency_key_has_one_budget_across_its_clinics(api, tight_limit):
    client = api("key_alpha")
    codes = [
        client.get(f"/clinics/{slug}/api/v1/me/").status_code
        for slug in ("clinic-a", "clinic-b", "clinic-a", "clinic-b")
    ]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/clinics/").status_code == 429  # the public API shares it too


def test_the_window_resets(api, tight_limit, monkeypatch):
    import core.api

    now = [1_000_000_000.0]
    monkeypatch.setattr(core.api, "_clock", lambda: now[0])
    client = api("key_b")
    assert [client.get("/clinics/clinic-b/api/v1/me/").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    now[0] += 61
    assert client.get("/clinics/clinic-b/api/v1/me/").status_code == 200
