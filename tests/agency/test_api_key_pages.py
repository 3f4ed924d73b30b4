"""The agency's and a clinic's API key pages: a new secret is shown once, after a redirect, so
reloading the page (or a phone restoring the tab) creates no second key; a second working key
with the same name in the same place is refused."""

from __future__ import annotations

import pytest

from accounts.models import ApiKey

PAGES = {
    "agency": ("/agency/settings/api-keys/", {"clinic__isnull": True}),
    "clinic": ("/clinics/clinic-a/settings/api-keys/", {"clinic__slug": "clinic-a"}),
}


def _keys(where: dict, name: str):
    return ApiKey.objects.filter(name=name, revoked_at__isnull=True, **where)


@pytest.mark.parametrize("place", PAGES, ids=list(PAGES))
def test_a_reload_after_creating_a_key_creates_nothing_and_shows_the_secret_no_more(
    login, world, place
):
    page, where = PAGES[place]
    client = login("alpha_owner")
    # when
    created = client.post(page, {"action": "create", "name": "Dup test", "scopes": ["read"]})
    # then: a redirect to the page itself, with nothing secret in the address
    assert created.status_code == 302 and created["Location"] == page
    [key] = _keys(where, "Dup test")
    shown = client.get(page)
    secret = shown.context["secret"]
    assert shown.context["created"] == key and secret.startswith(f"cwk_{key.prefix}_")
    html = shown.content.decode()
    assert f'value="{secret}"' in html and "copy its secret now" in html
    assert "no-store" in shown["Cache-Control"]
    # a reload is a GET of the list: no secret, no second key
    again = client.get(page)
    assert again.status_code == 200 and "secret" not in again.context
    assert (
        secret not in again.content.decode() and "copy its secret now" not in again.content.decode()
    )
    assert _keys(where, "Dup test").count() == 1


def test_a_secret_waits_for_its_own_page_only(login, world):
    client = login("alpha_owner")
    client.post(PAGES["agency"][0], {"action": "create", "name": "CRM", "scopes": ["read"]})
    assert "secret" not in client.get(PAGES["clinic"][0]).context
    assert client.get(PAGES["agency"][0]).context["secret"].startswith("cwk_")


def test_a_rotated_secret_is_shown_once_after_a_redirect(login, world):
    client = login("alpha_manager")
    old = ApiKey.objects.get(name="key_a")
    rotated = client.post(PAGES["clinic"][0], {"action": "rotate", "key": old.pk})
    assert rotated.status_code == 302
    shown = client.get(PAGES["clinic"][0])
    assert shown.context["created"].replaces == old and shown.context["secret"]
    assert "secret" not in client.get(PAGES["clinic"][0]).context
    # one working key of that name; the old secret works through its grace period (24 hours)
    assert ApiKey.objects.working().filter(name="key_a", replaced_by__isnull=True).count() == 1
    old.refresh_from_db()
    assert old.retiring and old.revoked_at is None


@pytest.mark.parametrize("place", PAGES, ids=list(PAGES))
def test_a_second_working_key_with_the_same_name_is_refused(login, world, place):
    page, where = PAGES[place]
    client = login("alpha_owner")
    assert client.post(page, {"action": "create", "name": "CRM sync", "scopes": ["read"]})[
        "Location"
    ] == page  # fmt: skip
    before = ApiKey.objects.count()
    # when: the same name again (the form re-posted by an older browser, or typed twice)
    response = client.post(page, {"action": "create", "name": " crm SYNC ", "scopes": ["write"]})
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "A working key is named “crm SYNC” already: choose another name."
    ]
    assert "secret" not in response.context and ApiKey.objects.count() == before
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "choose another name" in html
    # once the first is revoked, its name is free again
    ApiKey.objects.filter(name="CRM sync", **where).update(revoked_at="2024-01-01T00:00Z")
    again = client.post(page, {"action": "create", "name": "CRM sync", "scopes": ["read"]})
    assert again.status_code == 302 and _keys(where, "CRM sync").count() == 1


def test_the_same_name_may_be_used_in_another_place(login, world):
    """The rule is per place: the agency itself, or one clinic."""
    client = login("alpha_owner")
    # key_a is clinic A's; an agency key and a clinic B key may be called the same
    for page in ("/agency/settings/api-keys/", "/clinics/clinic-b/settings/api-keys/"):
        response = client.post(page, {"action": "create", "name": "key_a", "scopes": ["read"]})
        assert response.status_code == 302, page
    assert ApiKey.objects.filter(name="key_a", revoked_at__isnull=True).count() == 3
