"""Rotating an API key with a grace period: the new secret at once, the old one still working
for the time chosen (none, 1 hour, 24 hours, 7 days; 24 hours by default), then refused as a
revoked key is (checked at authentication: nothing has to run); "Stop the old secret now";
revoking a key, or removing the person who made it, ends every secret of it at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.credentials import (
    ROTATION_GRACE_HELP,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
)
from accounts.models import ApiKey, SecurityEvent
from agency.models import AgencyMembership

CLINIC_KEYS = "/clinics/clinic-a/api/v1/api-keys/"
AGENCY_KEYS = "/api/v1/api-keys/"
ME = "/clinics/clinic-a/api/v1/me/"
PAGES = {"agency": "/agency/settings/api-keys/", "clinic": "/clinics/clinic-a/settings/api-keys/"}
SPANS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
REFUSED = {"detail": "Invalid or revoked credential.", "code": "authentication_failed"}


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _key(world, *, place: str = "clinic", by: str = "alpha_manager", name: str = "CRM sync"):
    key, issued = api_key_create(
        agency=world.agencies["alpha"],
        clinic=world.clinics["a"] if place == "clinic" else None,
        name=name,
        scopes=["read"],
        created_by=world.users[by],
    )
    return key, issued.secret


def _clock(monkeypatch, moment):
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


@pytest.mark.parametrize("place", ["clinic", "agency"])
@pytest.mark.parametrize("grace", list(SPANS))
def test_the_old_secret_works_inside_the_grace_and_is_refused_after(
    login, world, monkeypatch, place, grace
):
    key, old_secret = _key(world, place=place)
    url = CLINIC_KEYS if place == "clinic" else AGENCY_KEYS
    client = login("alpha_owner")
    # when
    before = timezone.now()
    answer = client.post(f"{url}{key.pk}/rotate/", {"grace": grace}, "application/json")
    after = timezone.now()
    # then the new key, and until when the old secret works
    assert answer.status_code == 201
    body = answer.json()
    key.refresh_from_db()
    ends = key.expires_at
    assert before + SPANS[grace] <= ends <= after + SPANS[grace]
    assert body["replaces_id"] == key.pk and body["id"] == key.replaced_by_id
    assert body["old_secret_expires_at"] == ends.isoformat().replace("+00:00", "Z")
    old, new = _bearer(old_secret), _bearer(body["secret"])
    assert old.get(ME).status_code == 200 and new.get(ME).status_code == 200
    listed = {k["id"]: k for k in login("alpha_owner").get(url).json()["results"]}
    assert listed[key.pk]["is_active"] is True and listed[key.pk]["revoked_at"] is None
    assert listed[key.pk]["replaced_by_id"] == body["id"]
    # a minute before the end it still works
    _clock(monkeypatch, ends - timedelta(minutes=1))
    assert old.get(ME).status_code == 200
    # from the end on it is refused as a revoked key is; the new one works
    _clock(monkeypatch, ends)
    refused = old.get(ME)
    assert refused.status_code == 401 and refused.json() == REFUSED
    assert new.get(ME).status_code == 200
    _clock(monkeypatch, ends + timedelta(days=30))
    assert old.get(ME).json() == REFUSED and new.get(ME).status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is None and not key.is_active  # nothing had to run


def test_rotating_without_a_grace_period_stops_the_old_secret_at_once(login, world):
    key, old_secret = _key(world)
    answer = login("alpha_manager").post(
        f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "none"}, content_type="application/json"
    )
    assert answer.status_code == 201
    key.refresh_from_db()
    assert key.revoked_at is not None and key.expires_at is None
    assert answer.json()["old_secret_expires_at"] == key.revoked_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert _bearer(old_secret).get(ME).json() == REFUSED
    assert _bearer(answer.json()["secret"]).get(ME).status_code == 200


def test_without_a_body_the_api_ends_the_old_secret_at_once_as_before(login, world):
    key, old_secret = _key(world)
    answer = login("alpha_manager").post(f"{CLINIC_KEYS}{key.pk}/rotate/")
    assert answer.status_code == 201
    key.refresh_from_db()
    assert not key.retiring and key.replaced_by_id == answer.json()["id"]
    assert _bearer(old_secret).get(ME).json() == REFUSED
    assert _bearer(answer.json()["secret"]).get(ME).status_code == 200


def test_a_24_hour_grace_lists_the_old_key_with_its_end(login, world):
    key, old_secret = _key(world)
    before = timezone.now()
    answer = login("alpha_manager").post(
        f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "24h"}, content_type="application/json"
    )
    assert answer.status_code == 201
    key.refresh_from_db()
    assert before + timedelta(hours=24) <= key.expires_at <= timezone.now() + timedelta(hours=24)
    listed = {k["id"]: k for k in login("alpha_manager").get(CLINIC_KEYS).json()["results"]}
    assert listed[key.pk]["expires_at"] == key.expires_at.isoformat().replace("+00:00", "Z")
    assert listed[answer.json()["id"]]["expires_at"] is None
    assert _bearer(old_secret).get(ME).status_code == 200


@pytest.mark.parametrize("place", ["clinic", "agency"])
@pytest.mark.parametrize(
    "grace",
    ["2d", "", "24H", "forever", 24, None, ["24h"]],
    ids=["2d", "empty", "24H", "forever", "number", "null", "list"],
)
def test_a_bad_grace_is_a_400_naming_grace_and_changes_nothing(login, world, place, grace):
    key, old_secret = _key(world, place=place)
    url = CLINIC_KEYS if place == "clinic" else AGENCY_KEYS
    keys, events = ApiKey.objects.count(), SecurityEvent.objects.count()
    answer = login("alpha_owner").post(
        f"{url}{key.pk}/rotate/", {"grace": grace}, content_type="application/json"
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["grace"]
    if grace is not None:
        assert body["fields"]["grace"] == [ROTATION_GRACE_HELP]
    key.refresh_from_db()
    assert (key.replaced_by_id, key.expires_at, key.revoked_at) == (None, None, None)
    assert (ApiKey.objects.count(), SecurityEvent.objects.count()) == (keys, events)
    assert _bearer(old_secret).get(ME).status_code == 200


@pytest.mark.parametrize("place", PAGES)
def test_a_bad_grace_on_the_page_is_a_400_with_a_message(login, world, place):
    key, _ = _key(world, place=place)
    keys = ApiKey.objects.count()
    response = login("alpha_owner").post(
        PAGES[place], {"action": "rotate", "key": key.pk, "grace": "2d"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="error" role="alert">Unknown grace period. Choose how long the old secret' in (
        html
    )
    key.refresh_from_db()
    assert key.replaced_by_id is None and key.works() and ApiKey.objects.count() == keys


def test_the_service_refuses_a_bad_grace_too(world, db):
    from core.errors import ValidationFailed

    key, _ = _key(world)
    with pytest.raises(ValidationFailed) as refused:
        api_key_rotate(api_key=key, by=world.users["alpha_owner"], grace="3 weeks")
    assert refused.value.fields == {"grace": [ROTATION_GRACE_HELP]}
    assert not ApiKey.objects.filter(name="CRM sync").exclude(pk=key.pk).exists()


@pytest.mark.parametrize("place", PAGES)
def test_the_keys_page_says_when_the_old_secret_stops_and_stops_it_now(login, world, place):
    key, old_secret = _key(world, place=place)
    page = PAGES[place]
    client = login("alpha_manager")
    html = client.get(page).content.decode()
    assert f'<select name="grace" id="grace-{key.pk}">' in html
    assert '<option value="24h" selected>24 hours</option>' in html
    # when: rotated with 7 days for the old secret
    rotated = client.post(page, {"action": "rotate", "key": key.pk, "grace": "7d"})
    assert rotated.status_code == 302
    key.refresh_from_db()
    new = key.replaced_by
    ends = timezone.localtime(key.expires_at) if place == "clinic" else key.expires_at
    at = ends.strftime("%Y-%m-%d %H:%M")
    shown = client.get(page)
    html = shown.content.decode()
    # then the new secret once, and the old key's row says until when it works
    assert shown.context["secret"].startswith(f"cwk_{new.prefix}_")
    assert (
        f"“CRM sync” rotated. The old secret (cwk_{key.prefix}_…) keeps working until {at} UTC"
        in html
    )
    row = html[html.index(f'data-status="{key.prefix}"') :]
    row = row[: row.index("</tr>")]
    assert "rotated: stops working at <time datetime=" in row and f">{at} UTC</time>" in row
    assert f"the new one is <code>cwk_{new.prefix}_…</code>" in row
    assert 'value="end_old"' in row and "Stop the old secret now" in row
    assert 'value="rotate"' not in row and 'value="revoke"' not in row
    # "Stop the old secret now" asks first, and nothing changes until confirmed
    asked = client.post(page, {"action": "end_old", "key": key.pk})
    assert asked.status_code == 200
    assert f"Stop the old secret of “CRM sync” (cwk_{key.prefix}_…) now?" in asked.content.decode()
    assert _bearer(old_secret).get(ME).status_code == 200
    # when confirmed
    done = client.post(page, {"action": "end_old", "key": key.pk, "confirm": "yes"}, follow=True)
    html = done.content.decode()
    assert (
        f"The old secret of “CRM sync” (cwk_{key.prefix}_…) stopped working; the new one keeps "
        "working." in html
    )
    assert _bearer(old_secret).get(ME).json() == REFUSED
    assert _bearer(shown.context["secret"]).get(ME).status_code == 200
    row = html[html.index(f'data-status="{key.prefix}"') :]
    assert row.startswith(f'data-status="{key.prefix}"><span class="pill neutral">rotated</span>')
    assert "Stop the old secret now" not in row[: row.index("</tr>")]
    # the security log: the rotation, then the early end
    rotation = SecurityEvent.objects.filter(event="api_key.rotated").latest("pk")
    assert rotation.actor_email == "manager@alpha.test"
    assert rotation.detail == {
        "key_id": key.pk,
        "prefix": key.prefix,
        "name": "CRM sync",
        "new_prefix": new.prefix,
        "grace": "7d",
        "old_secret_ends_at": key.expires_at.isoformat(),
    }
    ended = SecurityEvent.objects.filter(event="api_key.old_ended").latest("pk")
    assert ended.actor_email == "manager@alpha.test"
    assert ended.detail == {
        "key_id": key.pk, "prefix": key.prefix, "name": "CRM sync", "new_prefix": new.prefix,
    }  # fmt: skip
    # and says them in words on the owners' page
    log = login("alpha_owner").get("/agency/security-log/").content.decode()
    assert (
        f"key “CRM sync” (cwk_{key.prefix}_…) · new key cwk_{new.prefix}_… · the old secret "
        f"works 7 more days · until {key.expires_at:%Y-%m-%d %H:%M} UTC" in log
    )
    assert "Old secret of a rotated API key stopped early" in log


def test_stopping_the_old_secret_through_the_api_is_revoking_the_old_key(login, world):
    key, old_secret = _key(world)
    client = login("alpha_manager")
    new = client.post(f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "1h"}, "application/json")
    new = new.json()
    # when
    answer = client.post(f"{CLINIC_KEYS}{key.pk}/revoke/")
    # then the old secret stops, the new one works
    assert answer.status_code == 200
    assert answer.json()["is_active"] is False and answer.json()["replaced_by_id"] == new["id"]
    assert _bearer(old_secret).get(ME).json() == REFUSED
    assert _bearer(new["secret"]).get(ME).status_code == 200
    assert SecurityEvent.objects.filter(event="api_key.old_ended").latest("pk").detail[
        "key_id"
    ] == key.pk  # fmt: skip
    # once more: 409, naming the key that still works
    again = client.post(f"{CLINIC_KEYS}{key.pk}/revoke/")
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"
    assert f"key {new['id']} ({new['prefix']}…) replaced it and still works" in again.json()[
        "detail"
    ]  # fmt: skip


@pytest.mark.parametrize("how", ["api", "page"])
def test_revoking_the_new_key_ends_both_secrets_at_once(login, world, how):
    key, old_secret = _key(world)
    client = login("alpha_owner")
    new = client.post(f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "7d"}, "application/json")
    new = new.json()
    if how == "page":
        page = PAGES["clinic"]
        asked = client.post(page, {"action": "revoke", "key": new["id"]}).content.decode()
        assert (
            f"The old secret it replaced (cwk_{key.prefix}_…), which works until " in asked
            and "stops too." in asked
        )
        assert (
            client.post(page, {"action": "revoke", "key": new["id"], "confirm": "yes"}).status_code
            == 302
        )
    else:
        assert client.post(f"{CLINIC_KEYS}{new['id']}/revoke/").status_code == 200
    assert _bearer(new["secret"]).get(ME).json() == REFUSED
    assert _bearer(old_secret).get(ME).json() == REFUSED
    key.refresh_from_db()
    assert key.revoked_at is not None
    ended = SecurityEvent.objects.filter(event="api_key.old_ended").latest("pk")
    assert ended.detail["key_id"] == key.pk and ended.detail["reason"] == "successor_revoked"
    gone = client.post(f"{CLINIC_KEYS}{key.pk}/revoke/").json()
    assert gone["code"] == "already_revoked" and "its successors are revoked too" in gone["detail"]


@pytest.mark.parametrize("rotated_by", ["alpha_writer", "alpha_owner"])
def test_removing_the_person_ends_every_secret_of_their_keys(login, world, rotated_by):
    """The leaver created the key; it was rotated (by them, or by the owner: then the old
    secret is still theirs). Removing them with their keys ends what is theirs at once."""
    key, old_secret = _key(world, place="agency", by="alpha_writer", name="Writer feed")
    new, issued = api_key_rotate(api_key=key, by=world.users[rotated_by], grace="7d")
    writer = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    owner = login("alpha_owner")
    asked = owner.post("/agency/settings/people/", {"action": "remove", "membership": writer.pk})
    assert f'<li data-key="{key.prefix}">“Writer feed”' in asked.content.decode()
    # when
    done = owner.post(
        "/agency/settings/people/",
        {"action": "remove", "membership": writer.pk, "confirm": "yes", "revoke_keys": "yes"},
    )
    # then
    assert done.status_code == 302
    assert _bearer(old_secret).get(ME).json() == REFUSED
    key.refresh_from_db()
    assert key.revoked_at is not None
    new.refresh_from_db()
    if rotated_by == "alpha_writer":  # the new key is theirs too
        assert _bearer(issued.secret).get(ME).json() == REFUSED and new.revoked_at is not None
    else:  # the owner's: it keeps working
        assert _bearer(issued.secret).get(ME).status_code == 200 and new.revoked_at is None


ROTATE_CLINIC = {
    "alpha_owner": 201, "alpha_manager": 201, "alpha_writer": 403, "alpha_analyst": 403,
    "a_approver": 403, "a_viewer": 403, "beta_owner": 404, "key_a": 403,
}  # fmt: skip
ROTATE_AGENCY = {
    "alpha_owner": 201, "alpha_manager": 201, "alpha_writer": 403, "alpha_analyst": 403,
    "a_approver": 403, "beta_owner": 404, "key_alpha": 403,
}  # fmt: skip


def _as(login, api, who: str) -> Client:
    return api(who) if who.startswith("key_") else login(who)


@pytest.mark.parametrize("place", ["clinic", "agency"])
def test_who_may_rotate_with_a_grace_period(login, api, world, place):
    table = ROTATE_CLINIC if place == "clinic" else ROTATE_AGENCY
    url = CLINIC_KEYS if place == "clinic" else AGENCY_KEYS
    for who, status in table.items():
        key, old_secret = _key(world, place=place, name=f"Feed for {who}")
        answer = _as(login, api, who).post(
            f"{url}{key.pk}/rotate/", {"grace": "1h"}, content_type="application/json"
        )
        assert answer.status_code == status, who
        key.refresh_from_db()
        assert (key.replaced_by_id is not None) is (status == 201), who
        assert _bearer(old_secret).get(ME).status_code == 200, who  # works either way


END_OLD_PAGE = {
    "alpha_owner": 302, "alpha_manager": 302, "alpha_writer": 403, "alpha_analyst": 403,
    "a_approver": 403,
}  # fmt: skip


@pytest.mark.parametrize("place", PAGES)
@pytest.mark.parametrize("who", END_OLD_PAGE)
def test_who_may_stop_the_old_secret_now(login, world, place, who):
    key, old_secret = _key(world, place=place)
    api_key_rotate(api_key=key, by=world.users["alpha_owner"], grace="24h")
    response = login(who).post(PAGES[place], {"action": "end_old", "key": key.pk, "confirm": "yes"})
    # a clinic's person is outside the agency: its page does not exist for them
    expected = 404 if (place, who) == ("agency", "a_approver") else END_OLD_PAGE[who]
    assert response.status_code == expected
    allowed = expected == 302
    assert _bearer(old_secret).get(ME).status_code == (401 if allowed else 200)
    # (the agency's: a browser test's own agency may have left one, the log being append-only)
    ended = SecurityEvent.objects.filter(event="api_key.old_ended", agency_id=key.agency_id)
    assert ended.exists() is allowed


def test_a_key_rotated_already_is_not_rotated_again(login, world):
    key, _ = _key(world)
    client = login("alpha_owner")
    new = client.post(f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "1h"}, "application/json").json()
    again = client.post(f"{CLINIC_KEYS}{key.pk}/rotate/", {"grace": "1h"}, "application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_rotated"
    assert f"rotate key {new['id']} ({new['prefix']}…), which replaced it" in again.json()["detail"]
    page = client.post(PAGES["clinic"], {"action": "rotate", "key": key.pk, "grace": "1h"})
    assert page.status_code == 400 and "This key was rotated already" in page.content.decode()
    assert ApiKey.objects.filter(name="CRM sync").count() == 2
    # the new key rotates on, and the first old secret keeps its own end
    third = client.post(f"{CLINIC_KEYS}{new['id']}/rotate/", {"grace": "1h"}, "application/json")
    assert third.status_code == 201
    assert ApiKey.objects.working().filter(name="CRM sync").count() == 3


def _rows(html: str) -> list[str]:
    """The key names of the keys page's list, in order."""
    body = html[html.index('<caption class="sr-only">API keys') :]
    return re.findall(r'<tr data-key="[^"]+"><th scope="row">([^<]+)</th>', body)


@pytest.mark.parametrize("place", PAGES)
def test_the_list_shows_working_keys_first_then_retiring_then_stopped(login, world, place):
    owner = world.users["alpha_owner"]
    revoked, _ = _key(world, place=place, name="Revoked first")  # the oldest
    api_key_revoke(api_key=revoked)
    cut, _ = _key(world, place=place, name="Stopped early")
    api_key_rotate(api_key=cut, by=owner, grace="7d")
    api_key_revoke(api_key=cut)  # the old secret stopped early; its successor works
    retiring, _ = _key(world, place=place, name="Retiring")
    api_key_rotate(api_key=retiring, by=owner, grace="24h")
    _key(world, place=place, name="Plain")
    # then: the keys that work (newest first), the old secret still working, then stopped
    # ones, the latest stopped first (a stopped key's `revoked_at` never puts it first)
    html = login("alpha_manager").get(PAGES[place]).content.decode()
    ours = {"Plain", "Retiring", "Stopped early", "Revoked first"}  # not the world's keys
    assert [name for name in _rows(html) if name in ours] == [
        "Plain", "Retiring", "Stopped early", "Retiring", "Stopped early", "Revoked first",
    ]  # fmt: skip
    assert _rows(html)[-2:] == ["Stopped early", "Revoked first"]
    assert "API keys: working first, then old secrets still in their grace period" in html


@pytest.mark.parametrize("place", PAGES)
def test_the_new_secret_says_until_when_the_old_one_works(login, world, place):
    key, _ = _key(world, place=place)
    client = login("alpha_manager")
    assert (
        client.post(PAGES[place], {"action": "rotate", "key": key.pk, "grace": "1h"}).status_code
        == 302
    )
    key.refresh_from_db()
    html = client.get(PAGES[place]).content.decode()
    banner = html[html.index('<section class="card secret"') :]
    banner = banner[: banner.index("</section>")]
    at = timezone.localtime(key.expires_at).strftime("%Y-%m-%d %H:%M")
    assert "New key “CRM sync”: copy its secret now" in banner
    assert f"The old secret (<code>cwk_{key.prefix}_…</code>) keeps working until" in banner
    assert f">{at} UTC</time>" in banner
    # rotated without a grace, the banner has no old secret to speak of
    again, _ = _key(world, place=place, name="Other")
    client.post(PAGES[place], {"action": "rotate", "key": again.pk, "grace": "none"})
    html = client.get(PAGES[place]).content.decode()
    assert "New key “Other”" in html and 'data-testid="old-secret-until"' not in html


@pytest.mark.parametrize("place", ["clinic", "agency"])
def test_an_old_secret_stopped_early_ends_when_it_stopped_on_the_api(login, world, place):
    key, _ = _key(world, place=place)
    url = CLINIC_KEYS if place == "clinic" else AGENCY_KEYS
    client = login("alpha_owner")
    client.post(f"{url}{key.pk}/rotate/", {"grace": "7d"}, "application/json")
    stopped = client.post(f"{url}{key.pk}/revoke/").json()
    assert stopped["revoked_at"] is not None and stopped["expires_at"] == stopped["revoked_at"]
    listed = {k["id"]: k for k in client.get(url).json()["results"]}
    assert listed[key.pk]["expires_at"] == listed[key.pk]["revoked_at"]
    key.refresh_from_db()
    assert key.expires_at == key.revoked_at
    # a key stopped early before this was so still lists the moment it stopped
    ApiKey.objects.filter(pk=key.pk).update(expires_at=key.revoked_at + timedelta(days=6))
    listed = {k["id"]: k for k in client.get(url).json()["results"]}
    assert listed[key.pk]["expires_at"] == listed[key.pk]["revoked_at"]


@pytest.mark.parametrize("place", ["clinic", "agency"])
def test_rotating_a_key_that_no_longer_works_is_a_409_saying_why(login, world, place):
    url = CLINIC_KEYS if place == "clinic" else AGENCY_KEYS
    client = login("alpha_owner")
    revoked, _ = _key(world, place=place, name="Revoked")
    api_key_revoke(api_key=revoked)
    answer = client.post(f"{url}{revoked.pk}/rotate/", {"grace": "1h"}, "application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "already_revoked"
    assert answer.json()["detail"].startswith("This key was revoked (")
    assert answer.json()["detail"].endswith("it cannot be rotated. Create a new key instead.")
    rotated, _ = _key(world, place=place, name="Rotated")
    new = client.post(f"{url}{rotated.pk}/rotate/", {"grace": "none"}, "application/json").json()
    answer = client.post(f"{url}{rotated.pk}/rotate/", {"grace": "1h"}, "application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "already_revoked"
    assert answer.json()["detail"].endswith(
        f": rotate key {new['id']} ({new['prefix']}…), which replaced it."
    )
    assert ApiKey.objects.filter(name__in=["Revoked", "Rotated"]).count() == 3  # nothing new
    # another agency's key (or a key of no clinic here) is still not found
    assert login("beta_owner").post(f"{url}{revoked.pk}/rotate/").status_code == 404
