"""The post-crisis review says which channels were down while the crisis ran (walk 22 left it:
the incident room named a channel that broke mid-crisis only while it was down; afterwards
nothing said that Google stopped delivering for 90 minutes, so the review's counts read as
complete). `crisis.metrics.channels_down_during`, `crisis.export.channels_down_text`,
`crisis.timeline._outage_lines`; the outages themselves are recorded by
`feeds.services.outages` (tests/feeds/test_source_outages.py)."""

from __future__ import annotations

from datetime import UTC

from crisis.export import review_figures
from crisis.metrics import review_metrics
from crisis.selectors import channels_down
from crisis.timeline import review_timeline, room_timeline
from feeds.models import OutageKind, Source, SourceOutage
from tests.crisis.conftest import HOUR, MIN, NOW, resolved_anyway


def _figures(metrics, *, for_clinic: bool = False) -> dict[str, str]:
    return {label: value for _, label, value in review_figures(metrics, UTC, for_clinic=for_clinic)}


def _channel_lines(incident, clinic, *, for_client: bool) -> list[tuple]:
    return [
        (line["at"], line["what"], line["who"], line["details"])
        for line in review_timeline(incident, clinic, for_client=for_client)
        if line["category"] == "channel"
    ]


def _outages(stream):
    """The surge's Google source (its four mentions) turned off by Dana 14:00-15:30; a
    Facebook page whose connection the platform ended at 16:00, still down when the crisis
    was resolved at 19:00; and an hour's outage of the page that ended before the onset."""
    page = Source.objects.create(kind="facebook", name="Riverside on Facebook")
    SourceOutage.objects.bulk_create(
        [
            SourceOutage(
                source=page,
                kind=OutageKind.FETCHES_FAILED,
                started_at=NOW - 5 * HOUR,
                ended_at=NOW - 4 * HOUR,
                detail="HTTP 503",
            ),
            SourceOutage(
                source=stream.source,
                kind=OutageKind.TURNED_OFF,
                started_at=NOW - HOUR,
                ended_at=NOW + 30 * MIN,
                started_by="Dana Reyes",
            ),
            SourceOutage(
                source=page,
                kind=OutageKind.CONNECTION_LOST,
                started_at=NOW + HOUR,
                detail="Facebook refused to renew the access (the user changed their password).",
            ),
        ]
    )
    return page


def test_the_review_counts_each_channel_down_during_the_crisis_and_for_how_long(
    surge, stream, clinic_a, in_utc, django_capture_on_commit_callbacks
):
    incident, _ = surge
    _outages(stream)
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)  # at 19:00
    m = review_metrics(incident)
    assert [
        (r["source"], r["kind"], r["started_by"], r["down_seconds"], r["mentions"], r["ended_at"])
        for r in m["channels_down"]
    ] == [
        ("Google", "turned_off", "Dana Reyes", 90 * 60, 4, (NOW + 30 * MIN).isoformat()),
        ("Riverside on Facebook", "connection_lost", "", 3 * 3600, 0, None),
    ]
    assert _figures(m)["Channels down"] == (
        "Google (Google Business Profile): down 90 minutes of the crisis, turned off by Dana "
        "Reyes; stopped 2026-03-04 14:00 UTC, back 2026-03-04 15:30 UTC; 4 mentions of the "
        "incident came from it; Riverside on Facebook (Facebook): down 3 hours of the crisis, "
        "connection ended by the platform; stopped 2026-03-04 16:00 UTC, not back when these "
        "figures were counted"
    )
    # the clinic's copy: what did not arrive, not why nor who
    assert _figures(m, for_clinic=True)["Channels down"] == (
        "Google: new reviews and mentions did not arrive for 90 minutes of the crisis (back "
        "2026-03-04 15:30 UTC); Riverside on Facebook: new reviews and mentions did not arrive "
        "for 3 hours of the crisis (not back when these figures were counted)"
    )


def test_the_timeline_says_when_a_channel_stopped_and_came_back(
    surge, stream, clinic_a, in_utc, django_capture_on_commit_callbacks
):
    incident, _ = surge
    _outages(stream)
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks)
    at = lambda dt: dt.isoformat()  # noqa: E731
    assert _channel_lines(incident, clinic_a, for_client=False) == [
        (at(NOW - HOUR), "Google stopped delivering: turned off", "Dana Reyes", ""),
        (at(NOW + 30 * MIN), "Google delivering again, after 90 minutes down", "", ""),
        (
            at(NOW + HOUR),
            "Riverside on Facebook stopped delivering: connection ended by the platform",
            "",
            "Facebook refused to renew the access (the user changed their password).",
        ),
    ]
    assert _channel_lines(incident, clinic_a, for_client=True) == [
        (at(NOW - HOUR), "Google: new reviews and mentions stopped arriving", "", ""),
        (
            at(NOW + 30 * MIN),
            "Google: reviews and mentions arriving again, after 90 minutes",
            "",
            "",
        ),
        (
            at(NOW + HOUR),
            "Riverside on Facebook: new reviews and mentions stopped arriving",
            "",
            "",
        ),
    ]


def test_with_every_channel_delivering_the_review_says_so_and_a_frozen_one_says_nothing(surge):
    incident, _ = surge
    m = review_metrics(incident)
    assert m["channels_down"] == []
    assert _figures(m)["Channels down"] == "none: every channel delivered throughout"
    del m["channels_down"]  # figures frozen before they were counted
    assert _figures(m)["Channels down"] == "—"


def test_the_room_dates_a_channel_turned_off_from_its_outage(surge, stream):
    """A channel turned off had no "since" in the room (only a lost connection or failing
    fetches had one): its outage says when."""
    incident, _ = surge
    SourceOutage.objects.create(
        source=stream.source, kind=OutageKind.TURNED_OFF, started_at=NOW + 10 * MIN
    )
    Source.objects.filter(pk=stream.source.pk).update(enabled=False)
    [row] = channels_down(incident)
    assert (row["problem"], row["since"], row["mentions"]) == ("turned off", NOW + 10 * MIN, 4)


def test_the_room_timeline_has_the_channels_that_stopped_and_came_back(surge, stream, clinic_a):
    """While the incident runs the callout says only what is down now; a channel that was down
    for an hour and came back is in the room's timeline, within the page's stretch of time."""
    incident, _ = surge
    _outages(stream)
    lines = [
        (line["what"], line["who"])
        for line in room_timeline(incident, clinic_a).lines
        if line["category"] == "channel"
    ]
    assert lines == [
        ("Google stopped delivering: turned off", "Dana Reyes"),
        ("Google delivering again, after 90 minutes down", ""),
        ("Riverside on Facebook stopped delivering: connection ended by the platform", ""),
    ]
    # a page that ends before the outages has none of them
    early = room_timeline(incident, clinic_a, before=NOW - 2 * HOUR).lines
    assert not [line for line in early if line["category"] == "channel"]
