"""The three kinds of text that go through the approval workflow (a reply, a statement, one
reply to many mentions), by the names pages and forms use for them."""

from __future__ import annotations

from clinics.access import ClinicAccess
from core.errors import ValidationFailed
from responses.services import batches, replies, statements
from responses.services.workflow import (
    Flow,
    Waiting,
    remind,
    take_back_refusal,
    waiting_on,
    waiting_on_each,
)

FLOWS: dict[str, Flow] = {"reply": replies.FLOW, "statement": statements.FLOW,
                          "batch": batches.FLOW}  # fmt: skip


def waiting_for(kind: str, obj, *, cache: dict | None = None) -> Waiting | None:
    """Whom the text waits for now, with when they were told (see `workflow.waiting_on`)."""
    return waiting_on(FLOWS[kind], obj, cache=cache)


def waiting_for_each(
    kind: str, objs, *, cache: dict | None = None, acted: dict[int, set[str]] | None = None
) -> dict[int, Waiting | None]:
    """`waiting_for` for many texts of one kind, in a fixed number of queries
    (`workflow.waiting_on_each`)."""
    return waiting_on_each(FLOWS[kind], objs, cache=cache, acted=acted)


def take_back_offered(kind: str, obj, access: ClinicAccess) -> bool:
    """Whether `access` may take back their approval of `obj` now (`workflow.take_back_refusal`:
    theirs, the last thing that happened to it): the text's page offers it. One query."""
    if obj is None:
        return False
    return take_back_refusal(access, FLOWS[kind], obj)[0] is not None


def approval_remind(
    *,
    kind: str,
    pk: int,
    access: ClinicAccess,
    expected_status: str | None = None,
    expected_version: int | None = None,
) -> Waiting:
    """Tell the people the text waits for again (see `workflow.remind`); `expected_*`: the
    status and version the caller read (409 `stale` when the text changed since)."""
    flow = FLOWS.get(kind)
    if flow is None:
        raise ValidationFailed("Unknown kind of text.", fields={"kind": ["Unknown kind."]})
    return remind(
        flow,
        pk=pk,
        access=access,
        expected_status=expected_status,
        expected_version=expected_version,
    )
