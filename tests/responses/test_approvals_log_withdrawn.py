"""The approvals log lists a text given up while it waited for a step: discarded by a person
who writes, or withdrawn because its review was settled (resolved in bulk, taken down); who,
when, at which step it waited, the version and the reason. A draft never submitted is not a
decision. The decision filter takes `discarded`, the step filter finds them (also those
recorded before the step was), on the staff page, the portal, the CSV file and the API."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from accounts.actors import Actor
from feeds.models import Review, Source
from feeds.services.ingest import ItemIn, reviews_upsert
from responses.models import AuditEntry, ReplyDraft
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from responses.services.common import audit_record
from tests.responses.approvals_log import (
    API,
    PAGE,
    PORTAL,
    access_in,
    api_rows,
    csv_rows,
    same_queries_for_one_or_many,
)
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in

INBOX = "/clinics/clinic-a/inbox/"
BODY = "The clinic is closed on Monday for maintenance. Call +1 555 0100 for urgent care."


@pytest.fixture
def given_up(world, clinic_a, login) -> dict[str, int]:
    """Texts given up while they waited, each through the real services and pages."""
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        owner = access_in(world, "alpha_owner", clinic_a)
        # a reply the writer discards while it waits for the clinic
        at_client = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=at_client.pk, access=writer)
        reply_services.reply_approve(draft_id=at_client.pk, access=owner)
        reply_services.reply_discard(draft_id=at_client.pk, access=writer)
        # a draft never submitted, discarded: nothing waited for anyone, not a decision
        never = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_discard(draft_id=never.pk, access=writer)
        # a blocked reply its writer submitted (it waited for legal), discarded by the owner
        blocked = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=blocked.pk, access=writer)
        reply_services.reply_discard(draft_id=blocked.pk, access=owner)
        # a statement the writer discards while it waits for the agency
        statement = statement_services.statement_create(access=writer, title="Closed", body=BODY)
        statement_services.statement_submit(statement_id=statement.pk, access=writer)
        statement_services.statement_discard(statement_id=statement.pk, access=writer)
        # a reply whose review is resolved in bulk while it waits for the agency
        resolved = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=resolved.pk, access=writer)
    login("alpha_manager").post(
        INBOX, {"review": [resolved.review_id, never.review_id], "status": "resolved"}
    )
    return {"at_client": at_client.pk, "never": never.pk, "blocked": blocked.pk,
            "statement": statement.pk, "resolved": resolved.pk}  # fmt: skip


def test_each_text_given_up_while_it_waited_is_listed_with_its_step_and_reason(given_up, login):
    rows = api_rows(login("alpha_manager"), decision="discarded")

    got = [
        (r["kind"], r["reply_id"] or r["statement_id"], r["step"], r["person"]["name"],
         r["person"]["role"], r["decision_words"], r["reason"], r["version"])
        for r in reversed(rows)
    ]  # fmt: skip
    g = given_up
    assert got == [
        ("reply", g["at_client"], "client", "Alpha Writer", "writer",
         "Discarded while waiting for the clinic approval", "", 1),
        ("reply", g["blocked"], "legal", "Alpha Owner", "owner",
         "Discarded while blocked, waiting for legal review", "", 1),
        ("statement", g["statement"], "agency", "Alpha Writer", "writer",
         "Discarded while waiting for the agency approval", "", 1),
        ("reply", g["resolved"], "agency", "Alpha Manager", "manager",
         "Withdrawn while waiting for the agency approval: its review was settled",
         "The review was resolved in bulk from the inbox by Alpha Manager.", 1),
    ]  # fmt: skip
    assert {r["decision"] for r in rows} == {"discarded"}
    assert rows[0]["text"] == OK_TEXT and rows[0]["step_label"] == "Agency approval"
    # the draft never submitted is no decision of the log
    everything = api_rows(login("alpha_manager"))
    assert g["never"] not in {r["reply_id"] for r in everything}


FILTERS = {
    "client step": ({"step": "client", "decision": "discarded"}, ["at_client"]),
    "legal step": ({"step": "legal", "decision": "discarded"}, ["blocked"]),
    "agency step": ({"step": "agency", "decision": "discarded"}, ["statement", "resolved"]),
    "statements": ({"kind": "statement", "decision": "discarded"}, ["statement"]),
}


@pytest.mark.parametrize(("params", "names"), FILTERS.values(), ids=FILTERS.keys())
def test_the_filters_find_them(given_up, login, params, names):
    rows = api_rows(login("alpha_manager"), **params)

    assert sorted(r["reply_id"] or r["statement_id"] for r in rows) == sorted(
        given_up[n] for n in names
    )


def test_an_entry_recorded_before_the_step_was_is_found_by_its_status(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk,
            access=access_in(world, "alpha_writer", clinic_a),
            text=OK_TEXT,
        )
        old = audit_record(object_type="reply", object_id=draft.pk, review_id=draft.review_id,
                           action="discarded", who=Actor(user=world.users["alpha_writer"]),
                           version=1, from_status="pending_clinician", to_status="discarded")  # fmt: skip
    client = login("alpha_manager")

    [row] = api_rows(client, step="clinician")

    assert (row["id"], row["decision"], row["step"]) == (old.pk, "discarded", "clinician")
    assert row["decision_words"] == "Discarded while waiting for the clinician review"
    assert row["person"]["role"] == "writer"  # their role now


def test_the_pages_and_the_csv_show_them(given_up, login):
    staff = login("alpha_owner")
    html = staff.get(PAGE, {"decision": "discarded"}).content.decode()
    assert html.count('data-decision="discarded"') == 4
    assert "Withdrawn while waiting for the agency approval: its review was settled" in html
    assert "The review was resolved in bulk from the inbox by Alpha Manager." in html
    assert (
        '<option value="discarded" selected>Discarded or withdrawn while waiting</option>' in html
    )

    rows = csv_rows(staff.get(PAGE, {"decision": "discarded", "format": "csv"}))
    assert [(r["decision"], r["step"], r["reason"]) for r in rows][0] == (
        "Withdrawn while waiting for the agency approval: its review was settled",
        "Agency approval",
        "The review was resolved in bulk from the inbox by Alpha Manager.",
    )
    assert len(rows) == 4

    # the clinic's approver reads what reached the clinic: the reply withdrawn at its step and
    # the block its legal people were asked about, not the agency's own
    portal = login("a_approver").get(PORTAL, {"decision": "discarded"}).content.decode()
    assert portal.count('data-decision="discarded"') == 2
    assert "Discarded while waiting for the clinic approval</strong> by Alpha Writer" in portal
    assert "Discarded while blocked, waiting for legal review</strong> by Alpha Owner" in portal


def test_a_withdrawal_by_carewatch_can_be_filtered_by_its_label(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        review = Review.objects.get(pk=draft.review_id)
        reviews_upsert(
            source=Source.objects.get(pk=review.source_id),
            items=[ItemIn(external_id=review.external_id, text=review.text,
                          published_at=review.published_at, author_name=review.author_name,
                          rating=review.rating, deleted=True)],
        )  # fmt: skip
    client = login("alpha_manager")

    [row] = api_rows(client, person="system:reviews")

    assert (row["reply_id"], row["person"]["name"], row["person"]["role"]) == (
        draft.pk,
        "Carewatch",
        "",
    )
    assert row["reason"] == "The review was taken down on its platform."
    html = client.get(PAGE).content.decode()
    assert '<option value="system:reviews">Carewatch</option>' in html
    assert client.get(API, {"person": "system:nobody"}).status_code == 400


def test_the_decision_filter_still_refuses_what_it_does_not_know(given_up, login):
    answer = login("alpha_manager").get(API, {"decision": "withdrawn"})

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["decision"]


def test_the_openapi_document_lists_the_new_decision():
    schema = SchemaGenerator(urlconf="config.urls_openapi").get_schema(request=None, public=True)

    enum = schema["components"]["schemas"]["ApprovalsLogDecisionEnum"]["enum"]

    assert enum == ["approved", "rejected", "block_kept", "overridden", "discarded", "submitted"]


@pytest.mark.parametrize(
    ("url", "reader", "each"),
    [(PAGE, "alpha_manager", 6), (PORTAL, "a_approver", 6), (API, "alpha_manager", 6)],
    ids=["page", "portal", "api"],
)
def test_withdrawals_read_in_the_same_queries_for_one_or_many(
    world, clinic_a, login, url, reader, each
):
    client = login(reader)
    writer, manager = (access_in(world, n, clinic_a) for n in ("alpha_writer", "alpha_manager"))

    def give_up(n: int) -> None:
        # two replies approved by the agency: one discarded at the clinic's step, one withdrawn
        # there (its review set aside); both reached the clinic, so the clinic reads the
        # agency's approvals too; nothing is left waiting (the portal counts what waits)
        ids = []
        with schema_context(clinic_a.schema_name):
            for _ in range(n):
                for _ in range(2):
                    draft = reply_services.reply_draft_create(
                        review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
                    )
                    reply_services.reply_submit(draft_id=draft.pk, access=writer)
                    reply_services.reply_approve(draft_id=draft.pk, access=manager)
                    ids.append(draft)
                reply_services.reply_discard(draft_id=ids[-2].pk, access=writer)
        login("alpha_manager").post(
            INBOX, {"review": [d.review_id for d in ids[1::2]], "status": "ignored"}
        )
        with schema_context(clinic_a.schema_name):
            assert (
                not ReplyDraft.objects.filter(pk__in=[d.pk for d in ids])
                .exclude(status="discarded")
                .exists()
            )

    same_queries_for_one_or_many(client, url, each, give_up)
    with schema_context(clinic_a.schema_name):
        assert AuditEntry.objects.filter(action="withdrawn").count() == 5
