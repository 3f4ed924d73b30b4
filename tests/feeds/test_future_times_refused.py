"""Walk 17 #3: a review dated 5 hours ahead was stored and shown as a long wait ("waiting 5 h
20 min"). An item whose `published_at` or `edited_at` is more than 5 minutes ahead of
Carewatch's clock (a sender's clock a little ahead is accepted) is now rejected alone, as any
bad item is, with a field message, by the one validation every push goes through (API, CSV,
inbound webhooks: `feeds.validation.parse_item`); nothing of it is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review

NOW = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
URL = "/clinics/clinic-a/api/v1/reviews/ingest/"
AHEAD = (
    "Is in the future: 2026-12-06 19:20:00 UTC is after now (2026-12-06 14:00:00 UTC). Give the "
    "time it happened, with its offset (a clock up to 5 minutes ahead is accepted)."
)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _item(external_id: str, **times) -> dict:
    return {"source": "google", "external_id": external_id, "rating": 2, "text": "Slow", **times}


def _stored(clinic) -> set[str]:
    with schema_context(clinic.schema_name):
        return set(Review.objects.values_list("external_id", flat=True))


def test_the_api_rejects_an_item_from_the_future_alone(api, clinic_a):
    later = (NOW + timedelta(hours=5, minutes=20)).isoformat()
    items = [
        _item("ok", published_at="2026-12-06T13:00:00Z"),
        _item("skew", published_at="2026-12-06T09:04:00-05:00"),  # 4 min ahead: a clock's skew
        _item("future", published_at=later),
        _item("edited", published_at="2026-12-06T13:00:00Z", edited_at=later),
    ]

    response = api("key_a").post(URL, json.dumps({"items": items}), content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert body["results"][2]["fields"] == {"published_at": [AHEAD]}
    assert body["results"][3]["fields"] == {"edited_at": [AHEAD]}
    assert _stored(clinic_a) == {"ok", "skew"}


def test_a_csv_line_from_the_future_is_named(tmp_path, clinic_a, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "source,external_id,rating,text,published_at\n"
        "google,c-ok,4,Fine,2026-12-06T13:00:00Z\n"
        "google,c-future,1,Long wait,2026-12-06T19:20:00Z\n"
    )

    call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")

    out, err = capsys.readouterr()
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert f"reviews.csv:3: published_at: {AHEAD}" in err
    assert _stored(clinic_a) == {"c-ok"}
