"""The staff's notification history says its times as the clinics' own pages do: each notice in
its clinic's zone, named ("13:46 EST"), never a bare UTC time a reader takes for local (walk 11,
finding 13: "5 Dec 2026, 18:46" next to clinic pages saying 13:46 EST)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinics.models import Notification

URL = "/account/notifications/history/"
# an hour ago, to the minute (13:46 in New York is 18:46 UTC in December, 17:46 in July)
AT = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)


def _local(zone: str, fmt: str = "%-d %b %Y, %H:%M %Z") -> str:
    return AT.astimezone(ZoneInfo(zone)).strftime(fmt)


@pytest.fixture
def zoned(world, db):
    """Clinic A in New York, clinic B in Kolkata (no daylight saving: IST, UTC+5:30)."""
    zones = {"a": "America/New_York", "b": "Asia/Kolkata"}
    before = {name: world.clinics[name].timezone for name in zones}
    for name, zone in zones.items():
        world.clinics[name].timezone = zone
        world.clinics[name].save(update_fields=["timezone"])  # the routing cache hears of it
    yield
    for name, zone in before.items():
        world.clinics[name].timezone = zone
        world.clinics[name].save(update_fields=["timezone"])


def _told(user, clinic, title, **fields) -> Notification:
    row = Notification.objects.create(
        user=user, clinic=clinic, kind="approval", ref=f"reply:{title}", title=title,
        url=f"/clinics/{clinic.slug}/replies/", **fields,
    )  # fmt: skip
    Notification.objects.filter(pk=row.pk).update(created_at=AT)
    return row


def _item(html: str, row: Notification) -> str:
    item = html[html.index(f'id="notification-{row.pk}"') :]
    return item[: item.index("</li>")]


def test_each_notice_is_in_its_clinics_zone_and_names_it(world, zoned, login):
    writer = world.users["alpha_writer"]
    in_a = _told(writer, world.clinics["a"], "A reply waits for your approval")
    in_b = _told(writer, world.clinics["b"], "Your reply was published", open=False, waits=False,
                 emailed_at=AT)  # fmt: skip

    html = login("alpha_writer").get(URL).content.decode()

    assert "Times are each clinic’s local time." in html
    a, b = _item(html, in_a), _item(html, in_b)
    assert f">{_local('America/New_York')}</time>" in a  # "5 Dec 2026, 13:46 EST"
    assert f"{AT:%H:%M}" not in a  # no bare UTC time
    assert f">{_local('Asia/Kolkata')}</time>" in b  # "6 Dec 2026, 00:16 IST"
    assert f"e-mailed to you {_local('Asia/Kolkata', '%-d %b, %H:%M')}" in b
    # the machine-readable time stays exact, with its offset
    assert f'datetime="{AT.astimezone(ZoneInfo("America/New_York")).isoformat()}"' in a
