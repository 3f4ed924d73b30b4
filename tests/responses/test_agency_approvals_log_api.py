"""The agency's approvals log in the API (`GET /api/v1/approvals-log/`), the twin of
`/agency/approvals-log/`: every clinic's decisions merged newest first, each naming its clinic
and as the clinic's own `approvals-log/` gives it; the page's filters, a bad one a 400 naming
it; cursor paging that asks each clinic for at most a page and one rows; and who may read it
(the agency's owners and managers, and its keys with `approve`), never another agency's."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.credentials import api_key_create
from tests.agency.test_agency_approvals_log import EVERY, clock, decided  # noqa: F401

URL = "/api/v1/approvals-log/"
pytestmark = pytest.mark.usefixtures("decided")  # tests/agency/test_agency_approvals_log.py


def listed(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content[:800]
    return [(r["decision"], r["clinic"]["slug"]) for r in response.json()["results"]]


@pytest.fixture
def approve_key(world):
    """An agency key of alpha with the `approve` scope (the scope that reads each clinic's log)."""
    _key, issued = api_key_create(
        agency=world.agencies["alpha"], name="log reader", scopes=["approve"]
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


# --- what it lists -----------------------------------------------------------------------------


def test_every_clinics_decisions_merged_newest_first_as_each_clinic_gives_them(login):
    client = login("alpha_manager")

    # when
    response = client.get(URL)

    # then: both clinics, interleaved by time, each naming its clinic
    assert listed(response) == EVERY
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    for row in body["results"]:
        clinic = row.pop("clinic")
        assert clinic["name"] == {"clinic-a": "Clinic A", "clinic-b": "Clinic B"}[clinic["slug"]]
        day = row["decided_at"][:10]
        assert clinic["log"] == (
            f"/clinics/{clinic['slug']}/approvals-log/?decided_from={day}&decided_to={day}"
            f"#decision-{row['id']}"
        )
        # the rest is the clinic's own log's entry, field for field
        own = client.get(f"/clinics/{clinic['slug']}/api/v1/approvals-log/").json()["results"]
        assert row == next(e for e in own if e["id"] == row["id"])


def test_an_override_carries_its_reason_and_findings(login):
    rows = login("alpha_owner").get(URL, {"decision": "overridden"}).json()["results"]
    assert [r["reason"] for r in rows] == ["The patient published these details themselves."]
    assert rows[0]["findings"] and {f["severity"] for f in rows[0]["findings"]} == {"block"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"clinic": "clinic-b"},
         [("approved", "clinic-b"), ("approved", "clinic-b"), ("submitted", "clinic-b")]),
        ({"decision": "overridden"}, [("overridden", "clinic-a")]),
        ({"decision": "block_kept"}, [("block_kept", "clinic-a")]),
        ({"decision": "rejected"}, []),
        ({"step": "legal"}, [("block_kept", "clinic-a"), ("overridden", "clinic-a")]),
        ({"step": "client"}, [("approved", "clinic-b")]),
        ({"decision": "approved", "clinic": "clinic-a"}, []),
        ({"kind": "statement"}, []),
        ({"decided_from": "2026-11-03", "decided_to": "2026-11-03"}, EVERY),
        ({"decided_from": "2026-11-04"}, []),
        ({"decided_to": "2026-11-02"}, []),
        ({"agency": "alpha"}, EVERY),
    ],
    ids=["clinic", "overridden", "block-kept", "rejected", "legal-step", "client-step",
         "clinic-and-decision", "kind", "one-day", "after", "before", "agency"],
)  # fmt: skip
def test_filters_as_the_page_has_them(login, params, expected):
    assert listed(login("alpha_manager").get(URL, params)) == expected


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"decision": "nope"}, "decision"),
        ({"step": "boss"}, "step"),
        ({"kind": "tweet"}, "kind"),
        ({"clinic": "clinic-c"}, "clinic"),  # another agency's
        ({"clinic": "no-such-clinic"}, "clinic"),
        ({"clinic": "Not a slug!"}, "clinic"),
        ({"decided_from": "2026-13-01"}, "decided_from"),
        ({"decided_from": "yesterday"}, "decided_from"),
        ({"decided_from": "0001-01-01"}, "decided_from"),
        ({"decided_to": "9999-12-31"}, "decided_to"),
        ({"decided_from": "2026-11-05", "decided_to": "2026-11-01"}, "decided_to"),
        ({"desicion": "overridden"}, "desicion"),
        ({"after": "1-1-1"}, "after"),  # the page's address, not the API's cursor
        ({"cursor": "garbage"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"format": "csv"}, "format"),
        ({"agency": "no-such-agency"}, "agency"),
    ],
    ids=lambda p: ",".join(f"{k}={v[:20]}" for k, v in p.items()) if isinstance(p, dict) else p,
)
def test_a_bad_filter_is_a_400_naming_it(login, params, field):
    response = login("alpha_manager").get(URL, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]
    assert "results" not in body


def test_a_repeated_filter_is_a_400(login):
    response = login("alpha_manager").get(f"{URL}?decision=approved&decision=overridden")
    assert response.status_code == 400
    assert response.json()["fields"] == {"decision": ["Give one value."]}


# --- paging --------------------------------------------------------------------------------------


def test_paging_walks_every_decision_once(login):
    client = login("alpha_manager")
    got, url, pages, previous = [], f"{URL}?page_size=2", 0, []
    while url:
        response = client.get(url)
        got += listed(response)
        previous.append(response.json()["previous"])
        url, pages = response.json()["next"], pages + 1
    assert got == EVERY
    assert pages == 4
    # the first page has no page before it; the others do
    assert previous[0] is None and all(previous[1:])


def test_previous_walks_back_to_the_first_page(login):
    # given: the third of four pages of two
    client = login("alpha_manager")
    second = client.get(client.get(URL, {"page_size": 2}).json()["next"]).json()
    last = client.get(second["next"]).json()
    assert [r["decision"] for r in last["results"]] == ["overridden", "submitted"]

    # when: walking back by `previous`
    back = client.get(last["previous"])
    first = client.get(back.json()["previous"])

    # then: the pages walked forward, the first with no page before it
    assert listed(back) == EVERY[2:4]
    assert back.json()["previous"] and back.json()["next"]
    assert listed(client.get(back.json()["next"])) == EVERY[4:6]
    assert listed(first) == EVERY[:2]
    assert first.json()["previous"] is None
    assert listed(client.get(first.json()["next"])) == EVERY[2:4]


def test_a_previous_that_reaches_the_start_answers_the_first_page_whole(login):
    # given: the second page of two, read back with pages of three
    client = login("alpha_manager")
    second = client.get(client.get(URL, {"page_size": 2}).json()["next"]).json()
    url = second["previous"].replace("page_size=2", "page_size=3")

    # when
    response = client.get(url)

    # then: the first page of three, not the two decisions before the second page
    assert listed(response) == EVERY[:3]
    assert response.json()["previous"] is None
    assert listed(client.get(response.json()["next"])) == EVERY[3:6]


def test_a_page_before_asks_each_clinic_for_at_most_a_page_and_one(login):
    client = login("alpha_manager")
    second = client.get(client.get(URL, {"page_size": 2}).json()["next"]).json()
    last = client.get(second["next"]).json()
    with CaptureQueriesContext(connection) as queries:
        back = client.get(last["previous"])
    assert listed(back) == EVERY[2:4]
    reads = [q["sql"] for q in queries if 'FROM "responses_auditentry"' in q["sql"]
             and '"created_at" ASC, "responses_auditentry"."id" ASC LIMIT' in q["sql"]]  # fmt: skip
    assert len(reads) == 2  # one per clinic
    assert all(re.search(r"LIMIT 3\b", sql) for sql in reads), reads


def test_a_page_asks_each_clinic_for_at_most_a_page_and_one(login):
    client = login("alpha_manager")
    first = client.get(URL, {"page_size": 2}).json()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(first["next"])
    assert listed(second) == EVERY[2:4]
    reads = [q["sql"] for q in queries if 'FROM "responses_auditentry"' in q["sql"]
             and "ORDER BY" in q["sql"] and '"created_at" DESC' in q["sql"]]  # fmt: skip
    assert len(reads) == 2  # one per clinic
    assert all(re.search(r"LIMIT 3\b", sql) for sql in reads), reads


def test_a_cursor_of_another_list_or_a_forged_one_is_a_400(login):
    client = login("alpha_manager")
    clinic_next = client.get("/clinics/clinic-a/api/v1/approvals-log/?page_size=1").json()["next"]
    cursor = clinic_next.split("cursor=")[1]
    response = client.get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cursor"]


# --- who may read it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 403),  # a clinic's people read their clinic's log in the portal
        ("a_legal", 403),
        ("b_approver", 403),
    ],
)
def test_who_may_read_it_in_person(login, name, status):
    response = login(name).get(URL)
    assert response.status_code == status
    if status == 200:
        assert listed(response) == EVERY
    else:
        assert "results" not in response.json()


@pytest.mark.parametrize(
    ("key", "status"),
    [("key_alpha", 403), ("key_a", 403), ("key_b", 403), ("key_beta", 403), (None, 401)],
    ids=["agency-key-without-approve", "clinic-key", "other-clinic-key", "other-agency-key",
         "anonymous"],
)  # fmt: skip
def test_keys_need_an_agency_key_with_approve(api, key, status):
    response = api(key).get(URL)
    assert response.status_code == status
    assert "results" not in response.json()


def test_an_agency_key_with_approve_reads_every_clinic(approve_key):
    assert listed(approve_key.get(URL)) == EVERY
    # and it is refused another agency, named or not
    assert approve_key.get(URL, {"agency": "beta"}).status_code == 403


def test_another_agency_sees_none_of_alpha(login):
    client = login("beta_owner")
    assert listed(client.get(URL)) == []
    assert client.get(URL, {"clinic": "clinic-a"}).status_code == 400
    assert client.get(URL, {"agency": "alpha"}).status_code == 403
