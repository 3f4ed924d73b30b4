"""The staff's notification history, newest first, says every time in one zone, named: the
zone of the agency's pages outside a clinic (UTC). In each clinic's own zone (walk 11,
finding 13) a list of several clinics read out of order: 13:46 EST above 23:46 IST of half an
hour earlier (walk 15, finding 3)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinics.models import Notification

URL = "/account/notifications/history/"
# an hour ago, to the minute (13:46 in New York is 18:46 UTC in December, 17:46 in July)
AT = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)


def _local(zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
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


def test_every_notice_is_in_one_named_zone_so_the_list_reads_in_order(world, zoned, login):
    # given a notice in clinic A (New York) and one half an hour earlier in clinic B (Kolkata)
    writer = world.users["alpha_writer"]
    in_a = _told(writer, world.clinics["a"], "A reply waits for your approval")
    in_b = _told(writer, world.clinics["b"], "Your reply was published", open=False, waits=False,
                 emailed_at=AT)  # fmt: skip
    earlier = AT - timedelta(minutes=30)
    Notification.objects.filter(pk=in_b.pk).update(created_at=earlier)

    # when the writer reads their history
    html = login("alpha_writer").get(URL).content.decode()

    # then one zone, named once for the page and on each time
    assert "Times are in UTC, as on the agency’s other pages" in html
    a, b = _item(html, in_a), _item(html, in_b)
    assert f">{AT:%Y-%m-%d %H:%M} UTC</time>" in a
    assert f">{earlier:%Y-%m-%d %H:%M} UTC</time>" in b
    assert f"e-mailed to you {AT:%Y-%m-%d %H:%M}" in b
    for local in (_local("America/New_York"), _local("Asia/Kolkata")):
        assert local not in html
    # newest first, and the times say so: the later one is listed above
    assert html.index(a) < html.index(b)
    # the machine-readable time stays exact, with its offset
    assert f'datetime="{AT.isoformat()}"' in a
