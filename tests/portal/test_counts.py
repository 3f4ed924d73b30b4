"""The portal's badges (`portal_counts`, on every portal page): what each person can act on,
in a number of queries that does not grow with the texts waiting."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from clinics.services import clinic_member_add
from portal.selectors import portal_counts, review_cards
from responses.services import replies as reply_services
from tests.portal.helpers import (
    REPLIES,
    access_for,
    reply_waiting_for_clinic,
    statement_waiting_for_clinic,
)
from tests.responses.conftest import BLOCK_TEXT, review_in

REASON = "The reviewer published their own chart details; approved by counsel."


def _counted(clinic, access) -> tuple[int, dict]:
    with schema_context(clinic.schema_name), CaptureQueriesContext(connection) as queries:
        counts = portal_counts(access)
    return len(queries), counts


def _reply(clinic, world, n: int):
    return reply_waiting_for_clinic(
        clinic=clinic, review=review_in(clinic, "csv", text=f"Review {n}: the wait was long."),
        writer=world.users["alpha_writer"], manager=world.users["alpha_manager"],
        text=REPLIES[n % len(REPLIES)][0],
    )  # fmt: skip


def _statement(clinic, world, n: int):
    return statement_waiting_for_clinic(
        clinic=clinic, writer=world.users["alpha_writer"], manager=world.users["alpha_manager"],
        title=f"About the wait {n}", body="We have changed how we schedule appointments.",
    )  # fmt: skip


def _blocked(clinic, world):
    """A reply the privacy check blocks, which its writer submitted: it waits for legal."""
    review = review_in(clinic, "csv", text="They lost my chart.")
    with schema_context(clinic.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic)
        draft = reply_services.reply_draft_create(
            review_id=review.pk, access=writer, text=BLOCK_TEXT
        )
        return reply_services.reply_submit(draft_id=draft.pk, access=writer)


def test_the_clinics_approver_counts_cost_the_same_for_one_text_or_many(world, clinic_a):
    # given an approver of the clinic who is also its legal person, and one reply and one
    # statement waiting for the clinic's approval
    person = clinic_member_add(
        clinic=clinic_a, email="approver-legal@clinics.test", full_name="Approver Legal",
        role="approver", crisis_roles=["legal"],
    ).user  # fmt: skip
    access = access_for(person, clinic_a)
    _reply(clinic_a, world, 0)
    _statement(clinic_a, world, 0)
    one, counts = _counted(clinic_a, access)
    assert (counts["replies"], counts["statements"]) == (1, 1)
    # when four more replies and two more statements wait, one of the replies a text whose
    # privacy block this person lifted (a step of its version: another person approves it)
    for n in range(1, 4):
        _reply(clinic_a, world, n)
    for n in range(1, 3):
        _statement(clinic_a, world, n)
    lifted = _blocked(clinic_a, world)
    with schema_context(clinic_a.schema_name):
        reply_services.reply_override(draft_id=lifted.pk, access=access, reason=REASON)
        reply_services.reply_submit(
            draft_id=lifted.pk, access=access_for(world.users["alpha_writer"], clinic_a)
        )
        lifted = reply_services.reply_approve(
            draft_id=lifted.pk, access=access_for(world.users["alpha_manager"], clinic_a)
        )
    assert lifted.status == "pending_client"
    many, counts = _counted(clinic_a, access)
    # then the badges count what this person may approve, in as many queries as for one
    assert (counts["replies"], counts["statements"]) == (4, 3)
    assert many == one
    # the clinic's other approver may approve the lifted one too
    _queries, theirs = _counted(clinic_a, access_for(world.users["a_approver"], clinic_a))
    assert (theirs["replies"], theirs["statements"]) == (5, 3)


def test_legals_review_badge_costs_the_same_for_one_block_or_many(world, clinic_a):
    access = access_for(world.users["a_legal"], clinic_a)
    _blocked(clinic_a, world)
    one, counts = _counted(clinic_a, access)
    assert counts["review"] == 1
    for _ in range(4):
        _blocked(clinic_a, world)
    many, counts = _counted(clinic_a, access)
    assert counts["review"] == 5
    assert many == one
    # the badge agrees with the cards legal's page shows
    with schema_context(clinic_a.schema_name):
        cards = review_cards(access)
    assert cards["mine"] == 5 and len(cards["cards"]) == 5
