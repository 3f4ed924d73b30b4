"""The incident room says when a channel of the crisis is down (walk 21: a Facebook page whose
connection the platform ended mid-crisis showed nowhere in the room; its new mentions stopped
arriving and the replies to its mentions waited, while the room looked calm).
`crisis.selectors.channels_down`."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.selectors import channels_down
from crisis.services import detector_settings_update, detectors_run
from feeds.models import Platform, Source, SourceConnection
from tests.crisis.conftest import NOW, Stream, acting, resolved_anyway

MIN = timedelta(minutes=1)


@pytest.fixture
def channels(in_clinic_a):
    """A Facebook page connected with OAuth and a CSV source, both delivering; an incident of
    three mentions (two from the page, one from the CSV source)."""
    page = Source.objects.create(kind="facebook", name="Riverside on Facebook")
    SourceConnection.objects.create(
        source=page,
        platform=Platform.FACEBOOK,
        account_ref="page-1",
        account_name="Riverside",
        grant_ref="g" * 64,
        connected_at=NOW - timedelta(days=30),
    )
    csv = Source.objects.create(kind="csv", name="Front-desk cards")
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    facebook, cards = Stream(source=page), Stream(source=csv)
    facebook.add(NOW - 9 * MIN, text="An outbreak at Riverside, avoid it")
    facebook.add(NOW - 7 * MIN, text="Heard about the outbreak at Riverside?")
    cards.add(NOW - 5 * MIN, text="Someone said outbreak in the waiting room")
    [incident] = detectors_run(now=NOW, notify=False)
    return {"incident": incident, "page": page, "csv": csv}


def _banner(html: str) -> str:
    m = re.search(r'<div class="callout"[^>]*data-testid="channels-down".*?</div>', html, re.S)
    return m.group(0) if m else ""


def test_while_every_channel_delivers_the_room_says_nothing_of_channels(channels, login):
    assert channels_down(channels["incident"]) == []
    html = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{channels['incident'].pk}/")
    assert html.status_code == 200
    assert _banner(html.content.decode()) == ""


def test_a_lost_connection_is_named_with_its_mentions_and_the_waiting_replies(channels, login):
    lost_at = timezone.now()
    SourceConnection.objects.filter(source=channels["page"]).update(
        lost_at=lost_at, refresh_error="The user changed their password"
    )
    [row] = channels_down(channels["incident"])
    assert row["source"] == channels["page"]
    assert row["problem"] == "its connection was lost: reconnect it"
    assert row["since"] == lost_at
    assert row["mentions"] == 2
    assert row["replies_wait"] is True

    url = f"/clinics/clinic-a/incidents/{channels['incident'].pk}/"
    banner = _banner(login("alpha_manager").get(url).content.decode())
    text = re.sub(r"<[^>]+>", "", banner)
    assert "A channel of this crisis is down" in text
    assert "new mentions from it do not arrive, so the crisis may be larger" in text
    assert "Riverside on Facebook: its connection was lost: reconnect it (since " in text
    assert "2 of this incident's mentions came from it; replies to them wait" in text
    # the manager can fix it; a writer is told who can
    assert 'href="/clinics/clinic-a/sources/">Fix it on the sources page</a>' in banner
    writer = _banner(login("alpha_writer").get(url).content.decode())
    assert "someone who manages this clinic fixes it" in writer
    assert "Fix it on the sources page" not in writer


def test_failing_fetches_are_named_without_saying_replies_wait(channels):
    broke = NOW + 20 * MIN
    Source.objects.filter(pk=channels["csv"].pk).update(
        is_healthy=False, last_error="HTTP 500", last_error_at=broke
    )
    [row] = channels_down(channels["incident"])
    assert (row["source"], row["problem"], row["since"], row["mentions"]) == (
        channels["csv"],
        "its last fetches failed",
        broke,
        1,
    )
    assert row["replies_wait"] is False


def test_a_channel_without_mentions_counts_only_if_it_broke_during_the_incident(channels):
    incident = channels["incident"]
    quiet = Source.objects.create(
        kind="healthgrades", name="Healthgrades", is_healthy=False, last_error_at=NOW + 3 * MIN
    )
    # broke before the alert, none of the mentions came from it: the setup checklist's business
    Source.objects.create(kind="x", name="Old X feed", is_healthy=False, last_error_at=NOW - MIN)
    # turned off, none of the mentions came from it: not the room's business either
    Source.objects.create(kind="webhook", name="Old form", enabled=False)
    rows = channels_down(incident)
    assert [(r["source"], r["mentions"]) for r in rows] == [(quiet, 0)]

    # several: the one with the incident's mentions first, and the heading counts them
    Source.objects.filter(pk=channels["page"].pk).update(enabled=False)
    rows = channels_down(incident)
    assert [(r["source"].name, r["problem"], r["mentions"]) for r in rows] == [
        ("Riverside on Facebook", "turned off", 2),
        ("Healthgrades", "its last fetches failed", 0),
    ]


def test_the_room_lists_several_and_says_so(channels, login):
    Source.objects.filter(pk=channels["page"].pk).update(enabled=False)
    Source.objects.filter(pk=channels["csv"].pk).update(is_healthy=False, last_error_at=NOW + MIN)
    html = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{channels['incident'].pk}/")
    banner = _banner(html.content.decode())
    assert "2 channels of this crisis are down" in banner
    assert len(re.findall(r'data-testid="channel-down"', banner)) == 2
    assert "new mentions from them do not arrive" in banner


def test_a_resolved_incident_says_nothing_of_channels_down_now(
    channels, login, clinic_a, django_capture_on_commit_callbacks
):
    """A channel turned off after the crisis is no news of it: the room says what is down only
    while the incident runs."""
    Source.objects.filter(pk=channels["page"].pk).update(enabled=False)
    url = f"/clinics/clinic-a/incidents/{channels['incident'].pk}/"
    assert _banner(login("alpha_manager").get(url).content.decode())
    with schema_context(clinic_a.schema_name):  # the request left the public schema on
        resolved_anyway(channels["incident"], django_capture_on_commit_callbacks)
    html = login("alpha_manager").get(url)
    assert html.status_code == 200
    assert _banner(html.content.decode()) == ""


def test_a_lost_channel_posted_on_by_hand_does_not_say_replies_wait(channels, login):
    """The crisis-day walk: the room said replies to the page's mentions "wait, and are sent
    when it is reconnected" while the outbox had put them under "To post by hand"."""
    SourceConnection.objects.filter(source=channels["page"]).update(lost_at=timezone.now())
    Source.objects.filter(pk=channels["page"].pk).update(replies_by_hand=True)
    [row] = channels_down(channels["incident"])
    assert (row["source"], row["replies_wait"]) == (channels["page"], False)
    url = f"/clinics/clinic-a/incidents/{channels['incident'].pk}/"
    banner = _banner(login("alpha_manager").get(url).content.decode())
    assert "2 of this incident's mentions came from it." in re.sub(r"<[^>]+>", "", banner)
    assert "replies to them wait" not in banner


def test_a_page_nobody_could_connect_here_is_not_a_channel_down(channels, settings):
    """Never connected, and connecting its platform is not set up on this server (the demo): its
    mentions come by import and its replies are posted by hand, so nothing stopped — the room
    called it down while the post-crisis review (which counts outages) said none was."""
    SourceConnection.objects.filter(source=channels["page"]).delete()
    settings.FACEBOOK_APP_ID = settings.FACEBOOK_APP_SECRET = ""
    assert channels_down(channels["incident"]) == []
    # where a person could connect it, it is down: its mentions stop until someone does
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "app-1", "secret-1"
    [row] = channels_down(channels["incident"])
    assert (row["source"], row["problem"], row["replies_wait"]) == (
        channels["page"],
        "not connected to its account",
        True,
    )
