"""The approvals log: every approval decision of a clinic's replies, batches and statements,
once, with who decided (name and role then), the step, the decision with its reason, what it
was about and the text of the version decided on; its filters (a bad one is named, on the page
and as a 400 of the API); the CSV file (formulas neutralised); and who may read it (the
agency's owners and managers, the clinic's approvers and legal and clinician people, keys with
the `approve` scope), the clinic side reading only what reached it and its own steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.credentials import api_key_create
from clinics.models import Clinic
from clinics.services import clinic_member_add
from responses.models import AuditEntry, OutboxItem, ReplyBatch, ReplyDraft, Statement
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from responses.services.common import audit_record
from responses.services.outbox import outbox_deliver, outbox_mark_posted
from tests.responses.approvals_log import (
    API,
    PAGE,
    PORTAL,
    access_in,
    api_rows,
    csv_rows,
    same_queries_for_one_or_many,
)
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, TONE_TEXT, review_in

REJECTION = "Too defensive: drop the second sentence."
OVERRIDE = "The patient published these details themselves on the same page."
BLOCK_KEPT = "Take the chart out: we never confirm a visit."
CLIENT_NO = '=HYPERLINK("http://evil.example","Say when we reopen")'
STATEMENT_BODY = "The clinic is closed on Monday for maintenance. Call +1 555 0100 for urgent care."


@dataclass
class Decided:
    """The texts of the scenario, each brought to its decisions through the real services."""

    ok: ReplyDraft  # approved by the agency (manager) and the clinic (approver)
    sent_back: ReplyDraft  # approved by the agency, rejected by legal with a reason
    overridden: ReplyDraft  # the guard blocks it; legal overrides with a reason
    kept: ReplyDraft  # the guard blocks it; legal keeps the block and sends it back
    statement: Statement  # approved by the agency, rejected by the clinic's approver
    batch: ReplyBatch  # one answer to three mentions, approved by the agency's owner


def decide_everything(world, clinic: Clinic) -> Decided:
    reviews = [review_in(clinic) for _ in range(7)]
    with schema_context(clinic.schema_name):
        writer = access_in(world, "alpha_writer", clinic)
        manager = access_in(world, "alpha_manager", clinic)
        owner = access_in(world, "alpha_owner", clinic)
        approver = access_in(world, "a_approver", clinic)
        legal = access_in(world, "a_legal", clinic)

        ok = reply_services.reply_draft_create(review_id=reviews[0].pk, access=writer, text=OK_TEXT)
        reply_services.reply_submit(draft_id=ok.pk, access=writer)
        reply_services.reply_approve(draft_id=ok.pk, access=manager)
        ok = reply_services.reply_approve(draft_id=ok.pk, access=approver)
        assert ok.status == "approved"

        sent_back = reply_services.reply_draft_create(
            review_id=reviews[1].pk, access=writer, text=TONE_TEXT
        )
        reply_services.reply_submit(draft_id=sent_back.pk, access=writer)
        sent_back = reply_services.reply_approve(draft_id=sent_back.pk, access=manager)
        assert sent_back.status == "pending_legal"
        sent_back = reply_services.reply_reject(
            draft_id=sent_back.pk, access=legal, comment=REJECTION
        )

        overridden = reply_services.reply_draft_create(
            review_id=reviews[2].pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=overridden.pk, access=writer)  # legal is asked
        overridden = reply_services.reply_override(
            draft_id=overridden.pk, access=legal, reason=OVERRIDE
        )

        kept = reply_services.reply_draft_create(
            review_id=reviews[3].pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=kept.pk, access=writer)
        kept = reply_services.reply_override_refuse(
            draft_id=kept.pk, access=legal, comment=BLOCK_KEPT
        )

        statement = statement_services.statement_create(
            access=writer, title="Closed on Monday", body=STATEMENT_BODY
        )
        statement_services.statement_submit(statement_id=statement.pk, access=writer)
        statement = statement_services.statement_approve(statement_id=statement.pk, access=manager)
        assert statement.status == "pending_client", statement.route
        statement = statement_services.statement_reject(
            statement_id=statement.pk, access=approver, comment=CLIENT_NO
        )

        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews[4:]], text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        batch = batch_services.reply_batch_approve(
            batch_id=batch.pk, access=owner, expected_version=batch.version
        )
        assert batch.status == "pending_client"
    return Decided(ok, sent_back, overridden, kept, statement, batch)


@pytest.fixture
def decided(world, clinic_a) -> Decided:
    return decide_everything(world, clinic_a)


# --- what the log holds ----------------------------------------------------------------------


def test_each_decision_is_listed_once_with_its_person_step_and_reason(decided, login, world):
    rows = api_rows(login("alpha_manager"))

    got = [
        (r["decision"], r["step"], r["person"]["name"], r["person"]["role"], r["kind"],
         r["reply_id"] or r["batch_id"] or r["statement_id"], r["reason"])
        for r in reversed(rows)  # oldest first, as decided
    ]  # fmt: skip
    d = decided
    assert got == [
        ("submitted", "", "Alpha Writer", "writer", "reply", d.ok.pk, ""),
        ("approved", "agency", "Alpha Manager", "manager", "reply", d.ok.pk, ""),
        ("approved", "client", "A Approver", "approver (Comms / PR)", "reply", d.ok.pk, ""),
        ("submitted", "", "Alpha Writer", "writer", "reply", d.sent_back.pk, ""),
        ("approved", "agency", "Alpha Manager", "manager", "reply", d.sent_back.pk, ""),
        ("rejected", "legal", "A Legal", "Legal / compliance", "reply",
         d.sent_back.pk, REJECTION),
        ("submitted", "", "Alpha Writer", "writer", "reply", d.overridden.pk, ""),
        ("overridden", "legal", "A Legal", "Legal / compliance", "reply",
         d.overridden.pk, OVERRIDE),
        ("submitted", "", "Alpha Writer", "writer", "reply", d.kept.pk, ""),
        ("block_kept", "legal", "A Legal", "Legal / compliance", "reply", d.kept.pk,
         BLOCK_KEPT),
        ("submitted", "", "Alpha Writer", "writer", "statement", d.statement.pk, ""),
        ("approved", "agency", "Alpha Manager", "manager", "statement", d.statement.pk, ""),
        ("rejected", "client", "A Approver", "approver (Comms / PR)", "statement",
         d.statement.pk, CLIENT_NO),
        ("submitted", "", "Alpha Writer", "writer", "reply", d.batch.pk, ""),
        ("approved", "agency", "Alpha Owner", "owner", "reply", d.batch.pk, ""),
    ]  # fmt: skip
    assert [r["decided_at"] for r in rows] == sorted((r["decided_at"] for r in rows), reverse=True)
    # the batch is one decision, "approved as a batch of 3", not one per mention's reply
    [batch] = [r for r in rows if r["batch_id"] and r["decision"] == "approved"]
    assert batch["decision_words"] == "Approved as a batch of 3 replies"
    assert (batch["batch_size"], batch["reply_id"], batch["version"]) == (3, None, 1)
    assert batch["what"] == f"One answer to 3 mentions (batch {d.batch.pk})"
    assert batch["text"] == OK_TEXT
    # a reply says which review it answers and carries the text decided on
    first = rows[-2]  # after its submission
    assert first["what"].startswith("Reply to Sam R.’s 2★ Google Business Profile review of ")
    assert (first["review_id"], first["version"], first["text"]) == (d.ok.review_id, 1, OK_TEXT)
    assert first["person"]["label"] == f"user:{world.users['alpha_manager'].pk}"
    assert first["step_label"] == "Agency approval"
    [statement_no] = [r for r in rows if r["statement_id"] and r["decision"] == "rejected"]
    assert statement_no["what"] == "Statement “Closed on Monday”"
    assert statement_no["text"] == f"Closed on Monday\n\n{STATEMENT_BODY}"
    assert statement_no["decision_words"] == "Rejected: sent back for changes"


def test_the_staff_page_shows_each_decision_in_words_with_links(decided, login, clinic_a):
    page = login("alpha_owner").get(PAGE)

    assert page.status_code == 200
    html = page.content.decode()
    with schema_context(clinic_a.schema_name):
        entries = {
            (e.object_type, e.object_id, e.action): e.pk
            for e in AuditEntry.objects.filter(action__in=["approved", "rejected",
                                                           "guard_overridden", "override_refused"])
        }  # fmt: skip
    row = _row(html, entries[("reply", decided.overridden.pk, "guard_overridden")])
    assert "Privacy block overridden" in row and "A Legal" in row
    assert "Legal / compliance" in row and "Legal review" in row
    assert "The patient published these details themselves" in row
    assert f'href="/clinics/clinic-a/replies/review/{decided.overridden.review_id}/"' in row
    assert "Version 1" in row and "We reviewed your chart" in row
    row = _row(html, entries[("reply_batch", decided.batch.pk, "approved")])
    assert "Approved as a batch of 3 replies" in row and "Alpha Owner" in row
    assert f'href="/clinics/clinic-a/replies/batches/{decided.batch.pk}/"' in row
    row = _row(html, entries[("statement", decided.statement.pk, "rejected")])
    assert "Rejected: sent back for changes" in row and "Clinic approval" in row
    assert f'href="/clinics/clinic-a/statements/{decided.statement.pk}/"' in row
    # found from the clinic's staff navigation, next to the outbox
    assert (
        '<a href="/clinics/clinic-a/approvals-log/" aria-current="page">Approvals log</a>' in html
    )
    outbox = login("alpha_owner").get("/clinics/clinic-a/outbox/").content.decode()
    assert 'href="/clinics/clinic-a/approvals-log/">Approvals log</a>' in outbox
    writer = login("alpha_writer").get("/clinics/clinic-a/outbox/").content.decode()
    assert "approvals-log" not in writer


def _row(html: str, entry_id: int) -> str:
    start = html.index(f'id="decision-{entry_id}"')
    return html[start : html.index("</tr>", start)]


def test_an_entry_recorded_before_roles_were_shows_the_role_now(world, clinic_a, login):
    # given decisions recorded without the role (before the log existed): one by a person
    # still in the clinic, one by a person who left
    gone = clinic_member_add(
        clinic=clinic_a, email="gone@clinics.test", full_name="Gone Approver", role="approver"
    ).user
    with schema_context(clinic_a.schema_name):
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk,
            access=access_in(world, "alpha_writer", clinic_a),
            text=OK_TEXT,
        )
        for user in (world.users["a_approver"], gone):
            audit_record(object_type="reply", object_id=draft.pk, review_id=draft.review_id,
                         action="approved", who=Actor(user=user), version=1,
                         detail={"step": "client"})  # fmt: skip
    gone.clinic_memberships.all().delete()

    rows = api_rows(login("alpha_manager"))

    assert [(r["person"]["name"], r["person"]["role"]) for r in rows] == [
        ("Gone Approver", "no role here now"),
        ("A Approver", "approver (Comms / PR)"),
    ]


# --- filters -----------------------------------------------------------------------------------

FILTER_CASES = {
    "legal step": ({"step": "legal"}, ["rejected", "overridden", "block_kept"]),
    "client step": ({"step": "client"}, ["approved", "rejected"]),
    "agency step": ({"step": "agency"}, ["approved"] * 4),
    "rejected": ({"decision": "rejected"}, ["rejected", "rejected"]),
    "overridden": ({"decision": "overridden"}, ["overridden"]),
    "block kept": ({"decision": "block_kept"}, ["block_kept"]),
    "statements": ({"kind": "statement"}, ["submitted", "approved", "rejected"]),
    "replies with batches": ({"kind": "reply"}, ["approved"] * 3 + ["rejected", "overridden",
                                                                    "block_kept", "approved"]
                             + ["submitted"] * 5),
    "submitted": ({"decision": "submitted"}, ["submitted"] * 6),
    "approved at the client step": ({"step": "client", "decision": "approved"}, ["approved"]),
}  # fmt: skip


@pytest.mark.parametrize(("params", "decisions"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_filters_narrow_the_log(decided, login, params, decisions):
    rows = api_rows(login("alpha_manager"), **params)

    assert sorted(r["decision"] for r in rows) == sorted(decisions)
    for name, value in params.items():
        assert {r[name] for r in rows} == {value}


def test_the_person_filter_lists_one_persons_decisions(decided, login, world):
    legal = f"user:{world.users['a_legal'].pk}"

    rows = api_rows(login("alpha_manager"), person=legal)

    assert [r["decision"] for r in rows] == ["block_kept", "overridden", "rejected"]
    # the page offers each person who decided, by name
    html = login("alpha_manager").get(PAGE, {"person": legal}).content.decode()
    assert f'<option value="{legal}" selected>A Legal</option>' in html
    assert html.count('data-decision="') == 3


def test_the_date_range_is_days_of_the_clinics_time_zone(world, clinic_a, login):
    # given a clinic in New York and decisions late on 3 March and early on 4 March, local time
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    zone = ZoneInfo("America/New_York")
    with schema_context(clinic_a.schema_name):
        late = AuditEntry.objects.create(
            created_at=datetime(2026, 3, 3, 23, 30, tzinfo=zone), object_type="statement",
            object_id=1, action="approved", actor_label="user:1", actor_name="Early Bird",
            version=1, detail={"step": "agency", "role": "manager"},
        )  # fmt: skip
        early = AuditEntry.objects.create(
            created_at=datetime(2026, 3, 4, 0, 30, tzinfo=zone), object_type="statement",
            object_id=1, action="approved", actor_label="user:1", actor_name="Early Bird",
            version=1, detail={"step": "client", "role": "approver"},
        )  # fmt: skip
    client = login("alpha_manager")

    def ids(**params):
        return [r["id"] for r in api_rows(client, **params)]

    assert ids(decided_from="2026-03-03", decided_to="2026-03-03") == [late.pk]
    assert ids(decided_from="2026-03-04", decided_to="2026-03-04") == [early.pk]
    assert ids(decided_from="2026-03-03") == [early.pk, late.pk]
    assert ids(decided_to="2026-03-02") == []


BAD_FILTERS = {
    "a step it does not know": ({"step": "ceo"}, "step", "Step"),
    "a decision it does not know": ({"decision": "maybe"}, "decision", "Decision"),
    "a kind it does not know": ({"kind": "tweet"}, "kind", "Kind"),
    "a date it cannot read": ({"decided_from": "03/04/2026"}, "decided_from", "From"),
    "the end before the start": (
        {"decided_from": "2026-03-04", "decided_to": "2026-03-01"}, "decided_to", "To",
    ),
    "a day out of range": ({"decided_to": "9999-12-31"}, "decided_to", "To"),
    "a person it cannot read": ({"person": "bob"}, "person", "Person"),
    "a person with no decision here": ({"person": "user:999999"}, "person", "Person"),
    "a filter it does not have": ({"approver": "me"}, "approver", "approver"),
}  # fmt: skip


@pytest.mark.parametrize(("params", "field", "words"), BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
def test_a_bad_filter_is_named_never_ignored(decided, login, params, field, words):
    client = login("alpha_manager")

    answer = client.get(API, params)
    page = client.get(PAGE, params)
    csv_file = client.get(PAGE, {**params, "format": "csv"})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and list(answer.json()["fields"]) == [field]
    assert "`" not in str(answer.json())  # words for people, not Markdown
    assert page.status_code == 400
    html = page.content.decode()
    assert "Nothing is listed: a filter could not be used." in html
    assert f"“{words}”:" in html and 'data-decision="' not in html
    # the file is not the whole log either
    assert csv_file.status_code == 400 and csv_file["Content-Type"].startswith("text/html")


def test_a_person_it_cannot_read_is_said_with_the_forms_it_takes(decided, login):
    answer = login("alpha_manager").get(API, {"person": "bob"})
    assert answer.json()["fields"]["person"] == [
        "Give a person as “user:<id>”, an API key as “api-key:<prefix>” or a part of Carewatch "
        "as “system:<part>”."
    ]


def test_the_page_makes_only_a_csv_file(decided, login):
    page = login("alpha_manager").get(PAGE, {"format": "xlsx"})

    assert page.status_code == 400
    assert "“Download”: The log downloads as csv only." in page.content.decode()


def test_the_page_is_paginated_and_the_filters_stay_on_every_page(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        for n in range(55):
            audit_record(object_type="statement", object_id=n + 1, action="approved",
                         who=Actor(user=world.users["alpha_manager"]), version=1,
                         detail={"step": "agency", "role": "manager"})  # fmt: skip
    client = login("alpha_manager")

    first = client.get(PAGE, {"step": "agency"}).content.decode()
    second = client.get(PAGE, {"step": "agency", "page": 2}).content.decode()

    assert first.count('data-decision="') == 50 and second.count('data-decision="') == 5
    assert 'href="?step=agency&amp;page=2">Older</a>' in first
    assert "Page 2 of 2" in second


def test_the_api_pages_with_cursors(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        for n in range(3):
            audit_record(object_type="statement", object_id=n + 1, action="approved",
                         who=Actor(user=world.users["alpha_manager"]), version=1,
                         detail={"step": "agency", "role": "manager"})  # fmt: skip
    client = login("alpha_manager")

    first = client.get(API, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [r["statement_id"] for r in first["results"] + second["results"]] == [3, 2, 1]
    assert second["next"] is None
    assert client.get(API, {"cursor": "nonsense"}).status_code == 400
    assert client.get(API, {"page_size": 0}).json()["fields"] == {
        "page_size": ["Must be a whole number from 1 to 1000."]
    }


# --- the CSV file ------------------------------------------------------------------------------


def test_the_csv_holds_the_filtered_log_with_formulas_neutralised(decided, login):
    response = login("alpha_manager").get(PAGE, {"kind": "statement", "format": "csv"})

    assert response["Content-Disposition"].startswith(
        'attachment; filename="approvals-log-clinic-a-'
    )
    rows = csv_rows(response)
    assert [(r["decision"], r["step"], r["person"], r["role"]) for r in rows] == [
        ("Rejected: sent back for changes", "Clinic approval", "A Approver",
         "approver (Comms / PR)"),
        ("Approved", "Agency approval", "Alpha Manager", "manager"),
        ("Submitted for approval", "", "Alpha Writer", "writer"),
    ]  # fmt: skip
    # a reason that starts like a formula is shown, never run
    assert rows[0]["reason"] == "'" + CLIENT_NO
    assert rows[0]["what"] == "Statement “Closed on Monday”"
    assert rows[0]["text"] == f"Closed on Monday\n\n{STATEMENT_BODY}"
    assert rows[0]["statement_id"] == str(decided.statement.pk) and rows[0]["version"] == "1"
    assert datetime.fromisoformat(rows[0]["decided_at"]).utcoffset() == timedelta(0)


def test_the_whole_csv_is_every_decision_once(decided, login):
    rows = csv_rows(login("alpha_owner").get(PAGE, {"format": "csv"}))

    assert len(rows) == 15  # 9 decisions and the 6 submissions
    assert [r["decision"] for r in rows].count("Approved as a batch of 3 replies") == 1


# --- who may read it ---------------------------------------------------------------------------


@pytest.fixture
def callers(world, login, clinic_a):
    clinician = clinic_member_add(
        clinic=clinic_a, email="log_clinician@clinics.test", full_name="Log Clinician",
        role="viewer", crisis_roles=["clinician"],
    ).user  # fmt: skip
    alpha = world.agencies["alpha"]

    names = iter(range(100))

    def key(clinic, scopes, creator=None):
        _, issued = api_key_create(agency=alpha, clinic=clinic, name=f"log {next(names)}",
                                   scopes=scopes, created_by=creator)  # fmt: skip
        return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    person = Client()
    person.force_login(clinician)
    return {
        "agency owner": login("alpha_owner"),
        "agency manager": login("alpha_manager"),
        "agency writer": login("alpha_writer"),
        "agency analyst": login("alpha_analyst"),
        "clinic approver": login("a_approver"),
        "clinic legal": login("a_legal"),
        "clinic clinician": person,
        "clinic viewer": login("a_viewer"),
        "another clinic's approver": login("b_approver"),
        "another agency's owner": login("beta_owner"),
        "clinic key (read, write)": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}"),
        "clinic key (read)": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a_read']}"),
        "clinic key (approve) by agency staff": key(
            clinic_a, ["read", "approve"], world.users["alpha_manager"]
        ),
        "clinic key (approve) by the clinic's approver": key(
            clinic_a, ["read", "approve"], world.users["a_approver"]
        ),
        "agency key (read, write)": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_alpha']}"),
        "agency key (approve)": key(None, ["approve"], world.users["alpha_owner"]),
        "another clinic's key": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_b']}"),
        "another agency's key": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_beta']}"),
        "nobody": Client(),
    }


# caller -> (API, staff page, portal page); "all": every decision, "clinic": what reached the
# clinic and its own steps, "clinic's legal": what reached the clinic, its legal step included
ACCESS = {
    "agency owner": ("all", "all", "all"),
    "agency manager": ("all", "all", "all"),
    "agency writer": (403, 403, 403),
    "agency analyst": (403, 403, 403),
    "clinic approver": ("clinic", "portal", "clinic"),
    "clinic legal": ("clinic's legal", "portal", "clinic's legal"),
    "clinic clinician": ("clinic", "portal", "clinic"),
    "clinic viewer": (403, "portal", 403),
    "another clinic's approver": (404, 404, 404),
    "another agency's owner": (404, 404, 404),
    "clinic key (read, write)": (403, None, None),
    "clinic key (read)": (403, None, None),
    "clinic key (approve) by agency staff": ("all", None, None),
    "clinic key (approve) by the clinic's approver": ("clinic", None, None),
    "agency key (read, write)": (403, None, None),
    "agency key (approve)": ("all", None, None),
    "another clinic's key": (404, None, None),
    "another agency's key": (404, None, None),
    "nobody": (401, "login", "login"),
}


def _seen(decided, rows: list[dict]) -> str:
    ids = {(r["kind"], r["reply_id"] or r["batch_id"] or r["statement_id"], r["decision"],
            r["step"]) for r in rows}  # fmt: skip
    d = decided
    clinic = {
        ("reply", d.ok.pk, "approved", "agency"),  # reached the clinic
        ("reply", d.ok.pk, "approved", "client"),
        ("reply", d.sent_back.pk, "rejected", "legal"),  # the clinic's own steps
        ("reply", d.overridden.pk, "overridden", "legal"),
        ("reply", d.kept.pk, "block_kept", "legal"),
        # reached the clinic, which rejected it: the agency's approval that sent it is listed
        ("statement", d.statement.pk, "approved", "agency"),
        ("statement", d.statement.pk, "rejected", "client"),
        ("reply", d.batch.pk, "approved", "agency"),  # the batch waits for the clinic
        # who submitted the versions that reached the clinic
        ("reply", d.ok.pk, "submitted", ""),
        ("statement", d.statement.pk, "submitted", ""),
        ("reply", d.batch.pk, "submitted", ""),
        # and who asked legal to lift a privacy block (the clinic's own step)
        ("reply", d.overridden.pk, "submitted", ""),
        ("reply", d.kept.pk, "submitted", ""),
    }
    if ids == clinic:
        return "clinic"
    # legal also reads the agency's approval that sent a reply to its step
    if ids == clinic | {
        ("reply", d.sent_back.pk, "approved", "agency"),
        ("reply", d.sent_back.pk, "submitted", ""),
    }:
        return "clinic's legal"
    # and the agency's rejection of its own draft, and the submissions
    assert len(rows) == 17, ids
    return "all"


def test_who_may_read_the_approvals_log(decided, callers, world, clinic_a):
    # given also a decision on a draft that never reached the clinic: the agency sent it back
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        internal = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=internal.pk, access=writer)
        reply_services.reply_reject(
            draft_id=internal.pk, access=access_in(world, "alpha_manager", clinic_a),
            comment=REJECTION,
        )  # fmt: skip
    outcomes = {}
    for name, client in callers.items():
        api = client.get(API, {"page_size": 100})
        got = [_seen(decided, api.json()["results"]) if api.status_code == 200 else api.status_code]
        if "key" in name:
            got += [None, None]  # keys have no pages
        else:
            page = client.get(PAGE)
            got.append(_page_seen(decided, page))
            got.append(_page_seen(decided, client.get(PORTAL)))
        outcomes[name] = tuple(got)
    assert outcomes == ACCESS


def _page_seen(decided, response) -> str | int:
    if response.status_code == 302:
        where = response["Location"]
        return "portal" if where == "/clinics/clinic-a/portal/approvals-log/" else "login"
    if response.status_code != 200:
        return response.status_code
    listed = response.content.decode().count('data-decision="')
    return {17: "all", 15: "clinic's legal", 13: "clinic"}.get(listed, listed)


# --- queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reader", "each"),
    [(PAGE, "alpha_manager", 9), (PORTAL, "a_approver", 9), (API, "alpha_manager", 9)],
    ids=["page", "portal", "api"],
)
def test_the_log_reads_in_the_same_queries_for_one_decision_or_many(
    world, clinic_a, login, url, reader, each
):
    client = login(reader)
    writer, manager, approver = (
        access_in(world, n, clinic_a) for n in ("alpha_writer", "alpha_manager", "a_approver")
    )

    def decide(n: int) -> None:
        # a reply approved at both steps, a statement approved by the agency and rejected by
        # the clinic (the clinic side reads both decisions: the statement reached it), a batch
        # approved at both steps whose replies went out, one failed and one posted by hand
        # (each mention's publication is read with the others): nothing is left waiting (the
        # portal's badges count what waits, text by text)
        mentions = [(review_in(clinic_a), review_in(clinic_a, "yelp")) for _ in range(n)]
        with schema_context(clinic_a.schema_name):
            for pair in mentions:
                batch = batch_services.reply_batch_create(
                    access=writer, review_ids=[r.pk for r in pair], text=OK_TEXT
                )
                batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
                for who in (manager, approver):
                    batch = batch_services.reply_batch_approve(
                        batch_id=batch.pk, access=who, expected_version=batch.version
                    )
                for item in OutboxItem.objects.filter(draft__batch=batch):
                    if item.status == "manual":
                        outbox_mark_posted(
                            item_id=item.pk, access=manager, url=f"https://x.test/r/{item.pk}"
                        )
                    else:
                        assert outbox_deliver(item_id=item.pk) == "failed"
            for _ in range(n):
                draft = reply_services.reply_draft_create(
                    review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
                )
                reply_services.reply_submit(draft_id=draft.pk, access=writer)
                reply_services.reply_approve(draft_id=draft.pk, access=manager)
                reply_services.reply_approve(draft_id=draft.pk, access=approver)
                statement = statement_services.statement_create(  # not the same twice
                    access=writer, title=f"Closed {draft.pk}", body=STATEMENT_BODY
                )
                statement_services.statement_submit(statement_id=statement.pk, access=writer)
                statement_services.statement_approve(statement_id=statement.pk, access=manager)
                statement_services.statement_reject(
                    statement_id=statement.pk, access=approver, comment="Not yet, wait for Monday."
                )

    same_queries_for_one_or_many(client, url, each, decide)


@pytest.mark.parametrize(("url", "who"), [(PAGE, "alpha_manager"), (PORTAL, "a_approver")])
def test_from_after_to_on_the_page_is_said_at_the_to_field(decided, login, url, who):
    response = login(who).get(url, {"decided_from": "2026-03-04", "decided_to": "2026-03-01"})

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        'name="decided_to" value="2026-03-01" aria-invalid="true" aria-describedby="log-to-error">'
        '<ul class="errorlist" id="log-to-error"><li>The end of the date range is before its '
        "start.</li></ul>"
    ) in html
    assert 'name="decided_from" value="2026-03-04">' in html  # kept as typed, not marked
    assert 'data-decision="' not in html
