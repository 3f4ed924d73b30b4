"""Connecting and disconnecting a source with OAuth are recorded in the settings history as
the person's, once each, without the tokens."""

from __future__ import annotations

from clinics.models import SettingChange
from tests.feeds.test_connect import BASE, connect_google, fake, sources  # noqa: F401 - fixture


def _lines(clinic) -> list[tuple]:
    return list(
        SettingChange.objects.filter(clinic=clinic)
        .order_by("id")
        .values_list("area", "setting", "old_value", "new_value", "actor_name", "via")
    )


def test_connecting_and_disconnecting_are_recorded_without_the_tokens(login, clinic_a, fake):  # noqa: F811
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    [added] = _lines(clinic_a)
    assert added[:3] == ("sources", "Source “Sunrise Family Clinic”", "(none)")
    assert added[3].startswith("added: Google Business Profile; connected by signing in; ")
    assert f"location_id: {source.settings['location_id']}" in added[3]
    assert added[4:] == ("Alpha Manager", "page")

    assert client.post(f"{BASE}{source.pk}/disconnect/").status_code == 302
    assert _lines(clinic_a)[1:] == [
        ("sources", "Source “Sunrise Family Clinic”: credentials (key or sign-in)",
         "set (hidden)", "removed", "Alpha Manager", "page"),
    ]  # fmt: skip
    every = " ".join(" ".join(line) for line in _lines(clinic_a))
    assert "ya29" not in every and "token" not in every.lower()


def test_a_refused_disconnect_records_nothing(login, clinic_a, fake):  # noqa: F811
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    fake.fail(3, status=503, platform="google-oauth")
    client.post(f"{BASE}{source.pk}/disconnect/")
    assert len(_lines(clinic_a)) == 1  # the connection only
