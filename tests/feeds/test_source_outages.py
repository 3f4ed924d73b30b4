"""A channel's outages are recorded as they happen (walk 22 left it: a channel that broke
mid-crisis showed in the room while it was down, and nowhere afterwards — the post-crisis
review could not say that Google stopped delivering at 10:42). `feeds.services.outages`,
driven through the real paths against the local fake platforms: a connection the platform
ends, a reconnect, a disconnect, polls that keep failing, a source turned off and on."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import User
from clinics.models import Notification
from feeds.models import OutageKind, Source, SourceConnection, SourceOutage
from feeds.polling import UNHEALTHY_AFTER, source_poll
from feeds.services import source_create, source_update
from feeds.services.connections import connection_refresh
from tests.feeds.test_connect import BASE, connect_google, fake, sources  # noqa: F401 - fixture


def _outages(clinic) -> list[tuple]:
    with schema_context(clinic.schema_name):
        return [
            (o.kind, o.started_by, o.ended_at is None)
            for o in SourceOutage.objects.order_by("started_at", "pk")
        ]


def test_a_lost_connection_a_reconnect_and_a_disconnect_are_each_recorded(
    login,
    clinic_a,
    fake,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    client = login("alpha_manager")
    connect_google(client, fake)
    [source] = sources(clinic_a)
    assert _outages(clinic_a) == []  # connecting a new source is no outage
    with schema_context(clinic_a.schema_name):
        fake.add_google_reviews(2)
        assert source_poll(source_id=source.pk)["created"] == 2
        # Google refuses to renew: the source is down from the moment it was lost
        fake.google_refresh_tokens.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert connection_refresh(source_id=source.pk) == "lost"
        lost_at = SourceConnection.objects.get(source=source).lost_at
        [outage] = SourceOutage.objects.all()
        assert (outage.kind, outage.started_at, outage.ended_at) == (
            OutageKind.CONNECTION_LOST,
            lost_at,
            None,
        )
        assert "refused to renew" in outage.detail and outage.started_by == ""
    # reconnecting ends it
    connect_google(client, fake, source=source.pk)
    with schema_context(clinic_a.schema_name):
        outage.refresh_from_db()
        assert outage.ended_at is not None and outage.ended_at > outage.started_at
    # the manager disconnects it: down again, by the manager's hand
    assert client.post(f"{BASE}{source.pk}/disconnect/").status_code == 302
    assert _outages(clinic_a) == [
        (OutageKind.CONNECTION_LOST, "", False),
        (OutageKind.DISCONNECTED, "Alpha Manager", True),
    ]
    # the sources page says it is down now, when it was last down, and how often
    page = client.get(BASE).content.decode()
    cell = re.search(rf'data-testid="outages-{source.pk}">(.*?)</span></td>', page, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split())
    assert (
        text.startswith("down since ") and "disconnected from its account by Alpha Manager" in text
    )
    assert "Last down " in text and "(connection ended by the platform)" in text
    assert text.endswith("Down 2 times in the last 30 days")


def test_polls_that_keep_failing_then_a_source_turned_off_and_on(
    login,
    clinic_a,
    fake,  # noqa: F811 - the fixture
):
    connect_google(login("alpha_manager"), fake)
    [source] = sources(clinic_a)
    manager = Actor(user=User.objects.get(email="manager@alpha.test"))
    with schema_context(clinic_a.schema_name):
        fake.add_google_reviews(1)
        source_poll(source_id=source.pk)
        fake.fail(100, status=503, platform="google")
        for n in range(1, UNHEALTHY_AFTER + 1):
            assert source_poll(source_id=source.pk)["error"]
            # a failure or four is retried quietly: no outage until polling stops
            expected = [] if n < UNHEALTHY_AFTER else [(OutageKind.FETCHES_FAILED, "", True)]
            assert _outages(clinic_a) == expected
        [failing] = SourceOutage.objects.all()
        assert failing.detail.startswith(f"Unhealthy after {UNHEALTHY_AFTER} failures in a row")
    # those who manage the sources are told once, and it waits for them until it delivers
    told = Notification.objects.filter(clinic=clinic_a, ref=f"source:{source.pk}:down")
    assert sorted((n.user.email, n.open, n.severity) for n in told) == [
        ("manager@alpha.test", True, "high"),
        ("owner@alpha.test", True, "high"),
    ]
    assert told.first().title == (
        "Sunrise Family Clinic stopped delivering: its fetches kept failing. Check it on the "
        "sources page."
    )
    with schema_context(clinic_a.schema_name):
        # turned off: the fetches' outage ends, the manager's begins
        source = Source.objects.get(pk=source.pk)
        source_update(source=source, actor=manager, enabled=False)
        assert _outages(clinic_a) == [
            (OutageKind.FETCHES_FAILED, "", False),
            (OutageKind.TURNED_OFF, "Alpha Manager", True),
        ]
        # turned on again (the fetches are tried afresh): nothing open; an edit of its name
        # while it delivers records nothing
        fake.clear_scenarios()
        source_update(source=source, actor=manager, enabled=True)
        source_update(source=source, actor=manager, name="Google, main office")
        assert [open_ for *_, open_ in _outages(clinic_a)] == [False, False]
        assert source_poll(source_id=source.pk).get("error") is None
    assert not told.filter(open=True).exists()  # turned off: nothing waits any more


def test_a_source_being_set_up_has_no_outage_until_it_is_turned_off(clinic_a):
    manager = Actor(user=User.objects.get(email="manager@alpha.test"))
    with schema_context(clinic_a.schema_name):
        # never connected, nothing read: not connected is setup, not an outage
        source = source_create(kind="google", name="Google (to connect)")
        source_update(source=source, actor=manager, name="Google, to connect")
        assert _outages(clinic_a) == []
        source_update(source=source, actor=manager, enabled=False)
        assert _outages(clinic_a) == [(OutageKind.TURNED_OFF, "Alpha Manager", True)]
        # deleting the source takes its outages along
        Source.objects.filter(pk=source.pk).delete()
        assert _outages(clinic_a) == []


@pytest.mark.parametrize("twice", [False, True])
def test_one_open_outage_per_source(clinic_a, twice):
    """The same state synced twice (two workers noticing one failure) records one outage; the
    database refuses a second open one whatever the code does."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from feeds.services import source_outages_sync

    with schema_context(clinic_a.schema_name):
        source = source_create(kind="csv", name="Cards")
        Source.objects.filter(pk=source.pk).update(enabled=False)
        source_outages_sync([source.pk])
        if twice:
            source_outages_sync([source.pk])
        assert SourceOutage.objects.filter(ended_at__isnull=True).count() == 1
        with pytest.raises(IntegrityError), transaction.atomic():
            SourceOutage.objects.create(
                source=source, kind=OutageKind.TURNED_OFF, started_at=timezone.now()
            )


def test_the_sources_page_calls_no_idle_source_healthy(login, clinic_a):
    """The onboarding walk: three sources never connected read "healthy" (nothing had failed)
    while nothing could arrive from them."""
    with schema_context(clinic_a.schema_name):
        csv = Source.objects.create(kind="csv", name="Front-desk cards")
        page = Source.objects.create(kind="facebook", name="Riverside on Facebook")
        off = Source.objects.create(kind="csv", name="Old cards", enabled=False)
    html = login("alpha_manager").get("/clinics/clinic-a/sources/").content.decode()

    def health(source) -> tuple[str, str]:
        # the pill just before the source's outages, in its health cell
        before = html[: html.index(f'data-testid="outages-{source.pk}"')]
        return re.findall(r'<span class="pill (\w+)"[^>]*>([^<]+)</span>', before)[-1]

    assert health(csv) == ("positive", "healthy")
    assert health(page) == ("neutral", "not delivering")
    assert health(off) == ("neutral", "not delivering")
