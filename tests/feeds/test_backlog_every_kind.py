"""The backlog rule is every source kind's, not only a connected Google's: wherever a source
starts reading (Connect, the Sources page's add forms, POST sources/), the person is asked
whether "the reviews already there are past reviews" (ticked by default), and the items it
brings in that were published before then are past reviews however they come (read from the
platform, pushed, posted to its webhook). A CSV source is not asked: each import is. The
choice is recorded in the settings history as the person's (page, CSV download, API)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import SettingChange
from feeds.models import Review, Source, SourceKind
from feeds.polling import source_poll
from feeds.services import items_ingest, source_create
from feeds.services.sources import BACKLOG_KINDS
from tests.feeds.fake_platforms import YELP_BUSINESS, YELP_KEY
from tests.feeds.test_connect import fake, sources  # noqa: F401 - fixture
from tests.feeds.test_connect_backlog import _connect
from tests.feeds.test_webhook_and_sources import deliver

SOURCES_API = "/clinics/clinic-a/api/v1/sources/"
SOURCES_PAGE = "/clinics/clinic-a/sources/"
BOX = "already there are past reviews (do not count them against the reply target)"
ON = re.compile(r"^on \(published before \d{4}-\d\d-\d\d \d\d:\d\d \S+\)$")


def _item(external_id: str, published_at: datetime) -> dict:
    return {"external_id": external_id, "text": "Waited an hour.", "rating": 2,
            "published_at": published_at.isoformat()}  # fmt: skip


def _past(clinic, source_id: int) -> dict[str, bool]:
    with schema_context(clinic.schema_name):
        return dict(
            Review.objects.filter(source_id=source_id).values_list(
                "external_id", "imported_as_past"
            )
        )


def _added_line(clinic, name: str) -> SettingChange:
    return SettingChange.objects.get(clinic=clinic, setting=f"Source “{name}”")


def _readable(kind: str) -> dict:
    if kind == SourceKind.YELP:
        return {"settings": {"business_id": "riverside-sf"}, "credentials": {"api_key": "k-1"}}
    return {}


def test_every_kind_but_csv_is_asked():
    assert set(BACKLOG_KINDS) == set(SourceKind.values) - {SourceKind.CSV}


@pytest.mark.parametrize("kind", BACKLOG_KINDS)
def test_a_source_added_through_the_api_takes_what_is_already_there_as_past(login, clinic_a, kind):
    # given a source added through the API, the box left as offered (ticked)
    manager = login("alpha_manager")
    before = timezone.now()
    made = manager.post(
        SOURCES_API, {"kind": kind, "name": f"Old {kind}", **_readable(kind)},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["history_before"] is not None
    with schema_context(clinic_a.schema_name):
        source = Source.objects.get(pk=body["id"])
        assert before <= source.history_before <= timezone.now()

        # when it brings in a review written last week and one written after it was added
        old, new = timezone.now() - timedelta(days=7), timezone.now() + timedelta(seconds=1)
        report = items_ingest(raw_items=[_item("old", old), _item("new", new)], source=source)
    assert report.counts["created"] == 2

    # then the old one is a past review (no reply clock), the new one counts
    assert _past(clinic_a, source.pk) == {"old": True, "new": False}
    # and the settings history says what was chosen, as the person's, through the API
    line = _added_line(clinic_a, f"Old {kind}")
    words = line.new_value.split("; ")[-1]
    assert words.startswith("the reviews already there are past reviews: ")
    assert ON.match(words.removeprefix("the reviews already there are past reviews: "))
    assert (line.actor_name, line.via) == ("Alpha Manager", "api")


@pytest.mark.parametrize("kind", BACKLOG_KINDS)
def test_unticked_through_the_api_every_item_counts(login, clinic_a, kind):
    manager = login("alpha_manager")
    made = manager.post(
        SOURCES_API,
        {"kind": kind, "name": f"Counted {kind}", "backlog_past": False, **_readable(kind)},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["history_before"] is None
    with schema_context(clinic_a.schema_name):
        source = Source.objects.get(pk=made.json()["id"])
        items_ingest(raw_items=[_item("old", timezone.now() - timedelta(days=7))], source=source)
    assert _past(clinic_a, source.pk) == {"old": False}
    line = _added_line(clinic_a, f"Counted {kind}")
    assert line.new_value.endswith("; the reviews already there are past reviews: off")


def test_a_csv_source_is_not_asked_each_import_is(login, clinic_a):
    manager = login("alpha_manager")
    made = manager.post(
        SOURCES_API, {"kind": "csv", "name": "Spreadsheet"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["history_before"] is None
    assert "past reviews" not in _added_line(clinic_a, "Spreadsheet").new_value


def test_a_source_nobody_added_by_hand_is_not_asked(clinic_a):
    # the first pushed item of a kind creates its source: every item counts, as before
    with schema_context(clinic_a.schema_name):
        source = source_create(kind=SourceKind.X, name="")
        items_ingest(raw_items=[_item("old", timezone.now() - timedelta(days=7))], source=source)
        assert source.history_before is None
    assert _past(clinic_a, source.pk) == {"old": False}


def test_the_sources_page_asks_when_adding_yelp_and_reads_it_with_that_rule(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    manager = login("alpha_manager")
    # the add forms offer the box, ticked, in the Connect page's words
    page = manager.get(SOURCES_PAGE).content.decode()
    assert 'id="yelp-backlog-past" type="checkbox" name="backlog_past" checked' in page
    assert 'id="hook-backlog-past" type="checkbox" name="backlog_past" checked' in page
    assert f"The reviews {BOX}" in page and f"The reviews and mentions {BOX}" in page

    # given three Yelp reviews from two days ago
    with fake.lock:
        fake.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    backlog = fake.add_yelp_reviews(3, rating=1)

    # when Yelp is added with the box ticked, read, and a review is written after
    added = manager.post(
        SOURCES_PAGE,
        {"action": "add_yelp", "name": "Yelp SF", "business_id": YELP_BUSINESS,
         "api_key": YELP_KEY, "backlog_choice": "1", "backlog_past": "on"},
    )  # fmt: skip
    assert added.status_code == 302
    [yelp] = [s for s in sources(clinic_a) if s.name == "Yelp SF"]
    assert yelp.history_before is not None
    with schema_context(clinic_a.schema_name):
        assert source_poll(source_id=yelp.pk)["created"] == 3
    with fake.lock:
        fake.clock = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    [new] = fake.add_yelp_reviews(1, rating=1)
    with schema_context(clinic_a.schema_name):
        assert source_poll(source_id=yelp.pk)["created"] == 1

    # then the backlog is past reviews, the new one counts, and the page says from when
    assert _past(clinic_a, yelp.pk) == {**dict.fromkeys(backlog, True), new: False}
    assert f'data-testid="history-before-{yelp.pk}"' in manager.get(SOURCES_PAGE).content.decode()
    line = _added_line(clinic_a, "Yelp SF")
    assert (line.actor_name, line.via) == ("Alpha Manager", "page")
    assert "; the reviews already there are past reviews: on (published before " in line.new_value


def test_a_webhook_source_added_unticked_counts_what_it_is_sent(login, clinic_a):
    manager = login("alpha_manager")
    # when the webhook source is added with the box unticked (the form still offered it)
    made = manager.post(
        SOURCES_PAGE, {"action": "add_webhook", "name": "Listening tool", "backlog_choice": "1"}
    )
    assert made.status_code == 200
    [hook] = [s for s in sources(clinic_a) if s.name == "Listening tool"]
    assert hook.history_before is None
    assert f'data-testid="history-before-{hook.pk}"' not in made.content.decode()
    line = _added_line(clinic_a, "Listening tool")
    assert line.new_value.endswith("; the reviews already there are past reviews: off")


def test_a_webhook_source_added_ticked_takes_an_old_delivery_as_past(login, clinic_a):
    manager = login("alpha_manager")
    made = manager.post(
        SOURCES_API, {"kind": "webhook", "name": "Relay"}, content_type="application/json"
    )
    source = made.json()
    old = _item("hg-old", timezone.now() - timedelta(days=3))
    new = _item("hg-new", timezone.now() + timedelta(seconds=1))
    assert deliver(source, {"items": [old, new]}).json()["counts"]["created"] == 2
    assert _past(clinic_a, source["id"]) == {"hg-old": True, "hg-new": False}


# --- the Connect choice in the settings history -------------------------------------------


def _history(client, clinic) -> tuple[str, list[dict], list[dict]]:
    """The clinic's settings history as its page, its CSV download and its API show it."""
    base = f"/clinics/{clinic.slug}"
    page = client.get(f"{base}/settings/history/")
    assert page.status_code == 200
    download = client.get(f"{base}/settings/history/?format=csv")
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    api = client.get(f"{base}/api/v1/settings-history/")
    assert api.status_code == 200
    return page.content.decode(), rows, api.json()["results"]


def test_connecting_a_source_records_the_backlog_choice(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    # given a Google source added before it was connected (not read yet: its choice is asked)
    with schema_context(clinic_a.schema_name):
        source_create(kind=SourceKind.GOOGLE, name="Sunrise Family Clinic")
    client = login("alpha_manager")

    # when it is connected with the box ticked
    before = timezone.now()
    assert _connect(client, fake, backlog_choice="1", backlog_past="on")[1] == 302
    [source] = sources(clinic_a)
    assert before <= source.history_before

    # then the settings history has the choice as the person's, on a page, with when
    setting = "Source “Sunrise Family Clinic”: the reviews already there are past reviews"
    line = SettingChange.objects.get(clinic=clinic_a, setting=setting)
    assert line.old_value == "(none)" and ON.match(line.new_value)
    assert (line.actor_name, line.via) == ("Alpha Manager", "page")
    assert line.actor_label.startswith("user:")
    assert before <= line.created_at <= timezone.now()
    page, rows, api = _history(client, clinic_a)
    assert setting in page and line.new_value in page
    assert any(row_has(row, setting, line.new_value) for row in rows), rows[:3]
    [entry] = [e for e in api if e["setting"] == setting]
    assert (entry["old_value"], entry["new_value"]) == ("(none)", line.new_value)
    assert (entry["by_name"], entry["via"], entry["area"]) == ("Alpha Manager", "page", "sources")


def row_has(row: dict, setting: str, value: str) -> bool:
    return setting in row.values() and value in row.values()


def test_connecting_a_new_source_unticked_says_so_in_its_added_line(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    client = login("alpha_manager")
    assert _connect(client, fake, backlog_choice="1")[1] == 302
    [source] = sources(clinic_a)
    assert source.history_before is None
    line = _added_line(clinic_a, "Sunrise Family Clinic")
    assert line.new_value.startswith("added: Google Business Profile; connected by signing in; ")
    assert line.new_value.endswith("; the reviews already there are past reviews: off")
    page, rows, api = _history(client, clinic_a)
    assert "the reviews already there are past reviews: off" in page
    assert any(row_has(row, line.setting, line.new_value) for row in rows)
    assert [e["new_value"] for e in api if e["setting"] == line.setting] == [line.new_value]
