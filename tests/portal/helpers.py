"""Replies and statements brought to the clinic's approval step through the real services
(writer drafts and edits, the agency approves), for the portal's tests, in-process and in
the browser."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from responses.models import ReplyDraft, Statement
from responses.services import replies as reply_services
from responses.services import statements as statement_services

REPLIES = [
    (
        "Thank you for your feedback. Please contact us at +1 555 0100 so we can help.",
        "Thank you for your feedback. Please call us at +1 555 0100 so we can help.",
    ),
    (
        "Thank you for taking the time to write. We would like to hear more: call +1 555 0100.",
        None,
    ),
    (
        # (the learned backstop reads "…and have changed our scheduling." as confirming a
        # patient, 0.71: the reply would wait for legal)
        "Thanks for the review. We are sorry about the wait and have changed how we schedule.",
        "Thanks for the review. We are sorry about the wait; we have changed our schedule.",
    ),
]


def access_for(user, clinic):
    return clinic_access(Actor(user=user), clinic)


def reply_waiting_for_clinic(
    *,
    clinic,
    review,
    writer,
    manager,
    text: str,
    edit_to: str | None = None,
    internal_edit_to: str | None = None,
) -> ReplyDraft:
    """A reply to `review` at the clinic's step: drafted, submitted by `writer`, approved by
    `manager` for the agency. `edit_to`: the clinic was sent `text` first, then the writer
    replaced it with `edit_to` (withdrawing the one the clinic had) and the agency approved it
    again, so the clinic sees what changed. `internal_edit_to`: edited inside the agency before
    it was submitted: the clinic never received `text`."""
    with schema_context(clinic.schema_name):
        w, m = access_for(writer, clinic), access_for(manager, clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=w, text=text)
        if internal_edit_to:
            reply_services.reply_draft_update(draft_id=draft.pk, access=w, text=internal_edit_to)
        reply_services.reply_submit(draft_id=draft.pk, access=w)
        draft = reply_services.reply_approve(draft_id=draft.pk, access=m)
        if edit_to:
            reply_services.reply_draft_update(draft_id=draft.pk, access=w, text=edit_to)
            reply_services.reply_submit(draft_id=draft.pk, access=w)
            draft = reply_services.reply_approve(draft_id=draft.pk, access=m)
        assert draft.status == "pending_client", draft.status
        return draft


def statement_waiting_for_clinic(*, clinic, writer, manager, title: str, body: str) -> Statement:
    with schema_context(clinic.schema_name):
        w, m = access_for(writer, clinic), access_for(manager, clinic)
        statement = statement_services.statement_create(access=w, title=title, body=body)
        statement_services.statement_submit(statement_id=statement.pk, access=w)
        statement = statement_services.statement_approve(statement_id=statement.pk, access=m)
        assert statement.status == "pending_client", statement.status
        return statement


def page_queries(client, url: str) -> tuple[int, str]:
    """GET `url`: how many queries the page made, without the session's (saved on every
    request, read from the cache or the database as it happens), and its HTML."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return queries_counted(queries), response.content.decode()


def queries_counted(queries: CaptureQueriesContext) -> int:
    """The page's queries, without the session's (saved on every request, read from the
    cache or the database as it happens) and savepoints."""
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    )
