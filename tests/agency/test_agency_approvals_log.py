"""The agency's approvals log (`/agency/approvals-log/`): every clinic's decisions in one list,
newest first, each naming its clinic and linking to the clinic's own log; its filters (clinic,
decision, step, kind, whole UTC days), a bad one a 400 naming it; the CSV file with the same
filters; cursor paging; and who may read it (the agency's owners and managers, as its privacy
requests log), never another agency's clinics."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from responses import views_agency_approvals_log
from responses.models import AuditEntry
from responses.services import replies as reply_services
from tests.responses.approvals_log import access_in
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in

URL = "/agency/approvals-log/"
OVERRIDE = "The patient published these details themselves."
BLOCK_KEPT = "Take the chart out: we never confirm a visit."
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Audit entries written from now on are dated by `clock.hours` (an iterator of hours after
    T0), one each: the trail is append-only, so its times are chosen as it is written."""

    class Clock:
        hours = itertools.count()

        def __call__(self):
            return T0 + timedelta(hours=next(self.hours))

    clock = Clock()
    monkeypatch.setattr(AuditEntry._meta.get_field("created_at"), "_get_default", clock)
    return clock


@pytest.fixture
def decided(world, clinic_a, clinic_b, clock):
    """Clinic A (even hours): legal overrides one guard block and keeps another. Clinic B (odd
    hours): a reply submitted, approved by the agency, then by the clinic."""
    a1, a2 = review_in(clinic_a), review_in(clinic_a)
    b1 = review_in(clinic_b)
    with schema_context(clinic_a.schema_name):
        clock.hours = itertools.count(0, 2)
        writer = access_in(world, "alpha_writer", clinic_a)
        legal = access_in(world, "a_legal", clinic_a)
        blocked = reply_services.reply_draft_create(review_id=a1.pk, access=writer, text=BLOCK_TEXT)
        reply_services.reply_submit(draft_id=blocked.pk, access=writer)  # legal is asked
        reply_services.reply_override(draft_id=blocked.pk, access=legal, reason=OVERRIDE)
        kept = reply_services.reply_draft_create(review_id=a2.pk, access=writer, text=BLOCK_TEXT)
        reply_services.reply_submit(draft_id=kept.pk, access=writer)
        reply_services.reply_override_refuse(draft_id=kept.pk, access=legal, comment=BLOCK_KEPT)
    with schema_context(clinic_b.schema_name):
        clock.hours = itertools.count(1, 2)
        writer = access_in(world, "alpha_writer", clinic_b)
        manager = access_in(world, "alpha_manager", clinic_b)
        approver = access_in(world, "b_approver", clinic_b)
        ok = reply_services.reply_draft_create(review_id=b1.pk, access=writer, text=OK_TEXT)
        reply_services.reply_submit(draft_id=ok.pk, access=writer)
        reply_services.reply_approve(draft_id=ok.pk, access=manager)
        ok = reply_services.reply_approve(draft_id=ok.pk, access=approver)
        assert ok.status == "approved"


# The scenario's decisions as the log lists them, newest first: the two clinics interleaved.
EVERY = [
    ("block_kept", "clinic-a"),
    ("submitted", "clinic-a"),  # its writer asked legal to lift the block
    ("approved", "clinic-b"),  # the clinic's approval
    ("approved", "clinic-b"),  # the agency's approval
    ("overridden", "clinic-a"),
    ("submitted", "clinic-b"),
    ("submitted", "clinic-a"),  # its writer asked legal to lift the block
]
ROW = re.compile(r'data-decision="([a-z_]+)" data-clinic="([a-z0-9-]+)"')


def listed(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content[:800]
    return ROW.findall(response.content.decode())


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- what it lists -----------------------------------------------------------------------------


def test_both_clinics_decisions_are_merged_newest_first_and_named(decided, login, clinic_a):
    # when
    response = login("alpha_manager").get(URL)

    # then
    assert listed(response) == EVERY
    html = response.content.decode()
    assert "Clinic A" in html and "Clinic B" in html
    assert OVERRIDE in html and BLOCK_KEPT in html
    # each row links to the clinic's own log, on the day of the decision, at its entry
    with schema_context(clinic_a.schema_name):
        override = AuditEntry.objects.get(action="guard_overridden")
    assert (
        f'href="/clinics/clinic-a/approvals-log/?decided_from=2026-11-03&amp;'
        f'decided_to=2026-11-03#decision-{override.pk}"'
    ) in html


def test_the_link_opens_the_clinics_log_at_the_decision(decided, login, clinic_a):
    client = login("alpha_manager")
    html = client.get(URL, {"decision": "overridden"}).content.decode()
    link = re.search(r'href="(/clinics/clinic-a/approvals-log/[^"#]*)#decision-(\d+)"', html)
    assert link is not None
    clinic_page = client.get(link.group(1).replace("&amp;", "&"))
    assert clinic_page.status_code == 200
    assert f'id="decision-{link.group(2)}"' in clinic_page.content.decode()


def test_a_paused_clinic_is_listed(decided, login, clinic_b):
    Clinic.objects.filter(pk=clinic_b.pk).update(deactivated_at=T0)
    rows = listed(login("alpha_owner").get(URL, {"clinic": "clinic-b"}))
    assert [clinic for _d, clinic in rows] == ["clinic-b"] * 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"clinic": "clinic-b"},
         [("approved", "clinic-b"), ("approved", "clinic-b"), ("submitted", "clinic-b")]),
        ({"decision": "overridden"}, [("overridden", "clinic-a")]),
        ({"decision": "block_kept"}, [("block_kept", "clinic-a")]),
        ({"decision": "approved"}, [("approved", "clinic-b"), ("approved", "clinic-b")]),
        ({"decision": "rejected"}, []),
        ({"step": "legal"}, [("block_kept", "clinic-a"), ("overridden", "clinic-a")]),
        ({"step": "client"}, [("approved", "clinic-b")]),
        ({"decision": "approved", "clinic": "clinic-a"}, []),
        ({"kind": "statement"}, []),
        ({"decided_from": "2026-11-03", "decided_to": "2026-11-03"}, EVERY),
        ({"decided_from": "2026-11-04"}, []),
        ({"decided_to": "2026-11-02"}, []),
    ],
    ids=["clinic", "overridden", "block-kept", "approved", "rejected", "legal-step",
         "client-step", "clinic-and-decision", "kind", "one-day", "after", "before"],
)  # fmt: skip
def test_filters(decided, login, params, expected):
    assert listed(login("alpha_manager").get(URL, params)) == expected


def test_days_are_whole_utc_days(world, login, clinic_a):
    # given: a clinic in New York, a decision at 02:30 UTC on 3 November (the 2nd there)
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        AuditEntry.objects.create(
            created_at=datetime(2026, 11, 3, 2, 30, tzinfo=UTC), object_type="statement",
            object_id=1, action="approved", actor_label="user:1", actor_name="Early Bird",
            version=1, detail={"step": "agency", "role": "manager"},
        )  # fmt: skip
    client = login("alpha_manager")

    def on(day: str):
        return listed(client.get(URL, {"decided_from": day, "decided_to": day}))

    # then: the agency's log reads UTC days, not the clinic's
    assert on("2026-11-03") == [("approved", "clinic-a")]
    assert on("2026-11-02") == []
    html = client.get(URL).content.decode()
    # and links to the clinic's log on the clinic's own day
    assert (
        "/clinics/clinic-a/approvals-log/?decided_from=2026-11-02&amp;decided_to=2026-11-02" in html
    )


def test_paging_walks_every_decision_once(decided, login, monkeypatch):
    monkeypatch.setattr(views_agency_approvals_log, "PAGE_SIZE", 4)
    client = login("alpha_manager")
    first = client.get(URL, {"step": ""})
    got = listed(first)
    older = re.search(
        r'href="\?([^"]*after=[0-9-]+)" data-testid="older-page"', first.content.decode()
    )
    assert older is not None and len(got) == 4
    second = client.get(f"{URL}?{older.group(1).replace('&amp;', '&')}")
    got += listed(second)
    assert 'data-testid="older-page"' not in second.content.decode()
    assert 'data-testid="newest-page"' in second.content.decode()
    assert got == EVERY


# --- the CSV file --------------------------------------------------------------------------------


def test_csv_has_every_decision_with_its_clinic(decided, login):
    rows = csv_rows(login("alpha_owner").get(URL, {"format": "csv"}))
    assert [(r["decision_code"], r["clinic_slug"]) for r in rows] == listed(
        login("alpha_owner").get(URL)
    )
    [overridden] = [r for r in rows if r["decision_code"] == "overridden"]
    assert overridden["decided_at"].startswith("2026-11-03T")
    assert overridden["decided_at"].endswith("+00:00")
    assert overridden["clinic"] == "Clinic A"
    assert overridden["reason"] == OVERRIDE
    assert overridden["person"] == "A Legal"
    assert overridden["clinic_log"].startswith("/clinics/clinic-a/approvals-log/?decided_from=")


def test_csv_has_the_findings_column_as_the_clinics_log(decided, login, clinic_a):
    # when: the agency's file, and clinic A's own
    rows = csv_rows(login("alpha_manager").get(URL, {"format": "csv"}))
    own = csv_rows(
        login("alpha_manager").get("/clinics/clinic-a/approvals-log/", {"format": "csv"})
    )

    # then: the column the clinic's file has, last, with the same cell for each decision
    assert list(rows[0])[-1] == "findings"
    by_code = {r["decision_code"]: r["findings"] for r in rows if r["clinic_slug"] == "clinic-a"}
    assert by_code["overridden"].startswith("block ")
    assert by_code["block_kept"].startswith("block ")
    [overridden] = [r for r in own if r["decision"] == "Privacy block overridden"]
    assert by_code["overridden"] == overridden["findings"]
    # and a decision with nothing found has an empty cell
    assert [r["findings"] for r in rows if r["decision_code"] in ("approved", "submitted")] == [
        ""
    ] * 5


def test_csv_keeps_the_filters(decided, login):
    rows = csv_rows(login("alpha_manager").get(URL, {"format": "csv", "decision": "block_kept"}))
    assert [(r["clinic"], r["decision_code"], r["reason"]) for r in rows] == [
        ("Clinic A", "block_kept", BLOCK_KEPT)
    ]


def test_csv_reads_every_clinic_in_chunks(decided, login, monkeypatch):
    monkeypatch.setattr(views_agency_approvals_log, "CSV_CHUNK", 2)
    rows = csv_rows(login("alpha_manager").get(URL, {"format": "csv"}))
    assert [r["decision_code"] for r in rows] == [
        d for d, _c in listed(login("alpha_manager").get(URL))
    ]


# --- bad filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"decision": "nope"},
        {"step": "boss"},
        {"kind": "tweet"},
        {"clinic": "clinic-c"},  # another agency's
        {"clinic": "no-such-clinic"},
        {"decided_from": "2026-13-01"},
        {"decided_from": "yesterday"},
        {"decided_from": "0001-01-01"},
        {"decided_to": "9999-12-31"},
        {"decided_from": "2026-11-05", "decided_to": "2026-11-01"},
        {"after": "garbage"},
        {"after": "99999999999999999999-1-1"},
        {"after": "-1-1-1"},
        {"after": "1-1"},
        {"after": "x" * 500},
        {"format": "xml"},
        {"desicion": "overridden"},
        {"decision": "overridden", "format": "xml"},
        {"decision": "nope", "format": "csv"},
    ],
    ids=lambda p: ",".join(f"{k}={v[:20]}" for k, v in p.items()),
)
def test_a_bad_filter_is_a_400_naming_it(decided, login, params):
    response = login("alpha_manager").get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert 'data-decision="' not in html  # nothing listed


# --- who may read it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 404),  # a clinic's people: outside the agency, no such page
        ("a_legal", 404),
        ("b_approver", 404),
    ],
)
def test_who_may_read_it(decided, login, name, status):
    response = login(name).get(URL)
    assert response.status_code == status
    if status == 200:
        assert listed(response) == EVERY
    else:
        assert 'data-decision="' not in response.content.decode()


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"] or "next=" in response["Location"]


def test_another_agency_sees_none_of_alpha(decided, login):
    response = login("beta_owner").get(URL)
    assert listed(response) == []
    assert "Clinic A" not in response.content.decode()
    assert csv_rows(login("beta_owner").get(URL, {"format": "csv"})) == []
    assert login("beta_owner").get(URL, {"clinic": "clinic-a"}).status_code == 400


def test_the_agency_nav_links_it_for_managers_only(world, login):
    assert (
        'href="/agency/approvals-log/"'
        in login("alpha_manager").get("/agency/settings/people/").content.decode()
    )
    writer_page = login("alpha_writer").get("/agency/settings/people/")
    assert writer_page.status_code == 200
    assert 'href="/agency/approvals-log/"' not in writer_page.content.decode()
    assert (
        'href="/agency/approvals-log/"'
        in login("alpha_owner").get("/agency/settings/people/").content.decode()
    )
