"""Walk 17 #5: the security log CSV wrote `2026-12-06 14:28:00.192716+00:00` while the approvals
logs wrote `2026-12-06T06:28:15-08:00`. Every CSV Carewatch writes now writes a time one way,
`core.csv_download.csv_time`: ISO 8601 to the second, with its offset."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from accounts.models import SecurityEvent
from accounts.models import SecurityEventCode as Code
from core.csv_download import csv_download, csv_time

AT = datetime(2026, 12, 6, 14, 28, 0, 192716, tzinfo=UTC)


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_time_is_iso_to_the_second_with_its_offset():
    assert csv_time(AT) == "2026-12-06T14:28:00+00:00"
    assert csv_time(AT, ZoneInfo("America/Los_Angeles")) == "2026-12-06T06:28:00-08:00"
    assert csv_time(None) == ""
    assert csv_time(date(2026, 12, 6)) == "2026-12-06"


def test_a_time_left_in_a_row_is_written_so_too():
    rows = _rows(csv_download(["at", "what"], [[AT, "=1+1"]], filename="x.csv"))
    assert rows == [{"at": "2026-12-06T14:28:00+00:00", "what": "'=1+1"}]


def test_the_security_log_csv_writes_its_times_as_the_approvals_logs_do(world, login):
    SecurityEvent.objects.create(
        event=Code.MEMBER_ADDED, agency_id=world.agencies["alpha"].pk, actor_email="csv-times@alpha.test",
        created_at=AT,
    )  # fmt: skip

    response = login("alpha_owner").get(
        "/agency/security-log/", {"person": "csv-times@alpha.test", "format": "csv"}
    )

    assert [row["created_at"] for row in _rows(response)] == ["2026-12-06T14:28:00+00:00"]
