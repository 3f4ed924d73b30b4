"""A big incident's room and API detail show the latest timeline lines, with a way back to
the older ones (the room's "Show older" link, the API's `incidents/<id>/timeline/`), at a
cost that does not grow with the incident: a batch's step is one line, one person's same
step on several replies is one line, and the number of queries stays the same however
many events and replies there are."""

from __future__ import annotations

import re
from html import unescape

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from crisis.timeline import ROOM_LINES, review_timeline
from tests.crisis.big_incident import big_incident_create

ROOM = "/clinics/clinic-a/incidents/{}/"
API = "/clinics/clinic-a/api/v1/incidents/{}/"


def _rows(page: str) -> list[str]:
    """The timeline's rows as text: "what | who | details"."""
    table = page.split('id="timeline-h"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="timeline-[a-z_]+"><td><time [^>]*>[^<]*</time></td><td>(.*?)</td><td>(.*?)</td>'
                      r"<td>(.*?)</td></tr>", table, re.S)  # fmt: skip
    return [" | ".join(unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row) for row in rows]


def _older(page: str) -> tuple[str, int] | None:
    found = re.search(r'<a href="([^"]+)#timeline-h" data-testid="timeline-older"[^>]*>'
                      r"Show older \((\d+) more\)</a>", page)  # fmt: skip
    return (unescape(found.group(1)), int(found.group(2))) if found else None


def test_the_room_shows_the_latest_lines_and_pages_back_to_the_first_event(clinic_a, login):
    # given an incident with 250 events and two batches of 16 replies
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=250, batches=2, batch_size=16, tag="paging")
    owner = login("alpha_owner")

    # when the room is opened
    page = owner.get(ROOM.format(incident.pk), {"tab": "kept"}).content.decode()

    # then it shows at most ROOM_LINES lines, the newest event last, and a link to older ones
    rows = _rows(page)
    assert 0 < len(rows) <= ROOM_LINES
    assert rows[-1].endswith("| Wendy Writer | Event number 249")
    link, more = _older(page)
    assert "tab=kept" in link  # the link keeps what else the address carried
    seen = [r.split(" | ")[2] for r in rows if "Event number" in r or r.startswith("Opened")]
    pages = 1
    # and following "Show older" reaches the first event, each line once, nothing skipped
    while link:
        page = owner.get(link).content.decode()
        assert 'data-testid="timeline-latest"' in page
        rows = _rows(page)
        assert 0 < len(rows) <= ROOM_LINES
        seen = [
            r.split(" | ")[2] for r in rows if "Event number" in r or r.startswith("Opened")
        ] + seen
        pages += 1
        found = _older(page)
        assert found is None or found[1] < more
        link, more = found or ("", 0)
    assert pages == 3
    assert seen == ["Opened"] + [f"Event number {i}" for i in range(1, 250)]


def test_a_batch_step_is_one_line_and_one_persons_steps_on_replies_are_one_line(clinic_a, login):
    # given an incident with one batch answering 16 mentions and 5 replies of their own
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=20, batches=1, batch_size=16, singles=5, tag="b")
        batch_id = incident.mentions.first().reply_drafts.get().batch_id
        # the review's document keeps every line, and groups the batch as before
        document = [line["what"] for line in review_timeline(incident, clinic_a)]

    page = login("alpha_owner").get(ROOM.format(incident.pk)).content.decode()

    # then the batch's steps are one line each, with the count of its mentions
    whats = [row.split(" | ")[0] for row in _rows(page)]
    assert f"Reply to 16 mentions (batch #{batch_id}): submitted" in whats
    assert f"Reply to 16 mentions (batch #{batch_id}): approved" in whats
    assert f"Reply to 16 mentions (batch #{batch_id}): published" in whats
    assert whats.count(f"Reply to 16 mentions (batch #{batch_id}): approved") == 1
    assert not [w for w in whats if "Reply #" in w and "batch" in w]  # no line per mention
    # and the review's document says it the same way
    assert f"Reply to 16 mentions (batch #{batch_id}): approved" in document
    assert _older(page) is None and 'data-testid="timeline-latest"' not in page


def test_steps_on_several_replies_close_together_are_one_line(clinic_a, login):
    # given 20 replies of their own, their steps by two people seconds apart
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=2, singles=20, tag="singles")

    rows = _rows(login("alpha_owner").get(ROOM.format(incident.pk)).content.decode())

    # then each step is one line naming how many replies, not 20 lines
    approved = [r for r in rows if r.startswith("20 replies: approved")]
    assert len(approved) == 1
    assert approved[0].startswith("20 replies: approved | Olivia Owner | Approved · replies #")
    assert sorted(r.split(" | ")[0] for r in rows if "replies:" in r) == [
        "20 replies: approved",
        "20 replies: created",
        "20 replies: published",
        "20 replies: submitted",
    ]
    assert not [r for r in rows if r.startswith("Reply #")]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_rooms_queries_do_not_grow_with_events_and_replies(clinic_a, login):
    # given a small incident and one four times its size
    with schema_context(clinic_a.schema_name):
        small = big_incident_create(events=60, batches=1, batch_size=8, singles=10, tag="s")
        big = big_incident_create(events=240, batches=4, batch_size=8, singles=40, tag="l")
    owner = login("alpha_owner")
    _queries(owner, ROOM.format(small.pk))  # warm: the session, the clinic's caches

    # then the big room, and its older page, take no more queries than the small one (give
    # or take a lookup of what a page holds: a list with nothing to look up asks nothing)
    few = _queries(owner, ROOM.format(small.pk))
    assert _queries(owner, ROOM.format(big.pk)) <= few + 2
    link, _ = _older(owner.get(ROOM.format(big.pk)).content.decode())
    assert _queries(owner, link) <= few + 2
    # and the API's detail takes the same number
    api_few = _queries(owner, API.format(small.pk))
    assert _queries(owner, API.format(big.pk)) == api_few


def test_a_made_up_older_link_is_refused_and_the_latest_are_shown(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=130, tag="refused")

    response = login("alpha_owner").get(ROOM.format(incident.pk), {"older": "2026-01-01"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "not one Carewatch made: the latest are shown" in page
    assert _rows(page)[-1].endswith("| Event number 129")


def test_the_api_detail_holds_the_latest_events_and_links_to_all(clinic_a, login):
    # given an incident with 230 events
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=230, tag="api")
    owner = login("alpha_owner")

    # when its detail is read
    data = owner.get(API.format(incident.pk)).json()

    # then it holds the latest 100, oldest first, the count of all and the link to them
    assert [e["message"] for e in data["timeline"]] == [
        f"Event number {i}" for i in range(130, 230)
    ]
    assert data["timeline_count"] == 230
    assert data["timeline_url"] == (
        f"http://testserver/clinics/clinic-a/api/v1/incidents/{incident.pk}/timeline/"
    )
    # and the timeline endpoint pages back, newest first, to the opening event
    messages, url = [], data["timeline_url"] + "?page_size=100"
    while url:
        page = owner.get(url).json()
        messages += [e["message"] for e in page["results"]]
        url = page["next"]
    assert messages == [f"Event number {i}" for i in range(229, 0, -1)] + ["Opened"]


def test_a_made_up_timeline_cursor_is_a_400(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        incident = big_incident_create(events=3, tag="cursor")

    response = login("alpha_owner").get(API.format(incident.pk) + "timeline/?cursor=abc")

    assert response.status_code == 400
    assert response.json()["fields"]["cursor"] == [
        "Invalid cursor: use a `next` or `previous` link."
    ]
