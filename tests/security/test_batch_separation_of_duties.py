"""The separation-of-duties matrix for reply batches: one answer for many mentions is approved
through the same rule (`approval_refusal`) as a single reply, every step × every kind of actor,
and a refused step changes neither the batch nor any of its drafts. Nobody gives two steps of
one batch version (the matrix), and the author approves nothing."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from responses.models import ReplyBatch, ReplyDraft
from responses.services.batches import reply_batch_create
from tests.responses.conftest import OK_TEXT, review_in
from tests.security.test_f5_agency_cannot_give_client_approval import (  # noqa: F401 - fixture
    MATRIX,
    PENDING,
    STEPS,
    actors,
    refused_status,
)


def _batch_at(clinic, world, step: str) -> ReplyBatch:
    writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic)
    reviews = [review_in(clinic), review_in(clinic)]
    with schema_context(clinic.schema_name):
        batch = reply_batch_create(access=writer, review_ids=[r.pk for r in reviews], text=OK_TEXT)
        ReplyBatch.objects.filter(pk=batch.pk).update(status=PENDING[step], route=list(STEPS))
        ReplyDraft.objects.filter(batch=batch).update(status=PENDING[step], route=list(STEPS))
        return ReplyBatch.objects.get(pk=batch.pk)


def test_every_batch_step_by_every_kind_of_actor(actors, world, clinic_a):  # noqa: F811
    outcomes = {}
    # a refusal changes nothing (asserted below), so the batch waiting at a step serves every
    # actor refused there; the one who gives the step uses it up, and the next gets a new one
    waiting: dict[str, ReplyBatch] = {}
    for kind, client in actors.items():
        for step in STEPS:
            if step not in waiting:
                waiting[step] = _batch_at(clinic_a, world, step)
            batch = waiting.pop(step) if step in MATRIX[kind] else waiting[step]
            response = client.post(
                f"/clinics/clinic-a/api/v1/reply-batches/{batch.pk}/approve/",
                {"expected_version": batch.version},
                content_type="application/json",
            )
            with schema_context(clinic_a.schema_name):
                now = ReplyBatch.objects.get(pk=batch.pk).status
                drafts = set(
                    ReplyDraft.objects.filter(batch=batch).values_list("status", flat=True)
                )
            outcomes[(kind, step)] = response.status_code
            if step in MATRIX[kind]:
                assert response.status_code == 200, (kind, step, response.json())
                assert now != PENDING[step] and drafts == {now}
            else:
                expected = refused_status(kind, step)
                assert response.status_code == expected, (kind, step, response.status_code)
                assert (now, drafts) == (PENDING[step], {PENDING[step]}), (kind, step)
    assert len(outcomes) == len(MATRIX) * len(STEPS) == 52


def test_the_writer_approves_nothing_and_the_agency_gives_only_its_own_step(world, clinic_a, login):
    batch = _batch_at(clinic_a, world, "agency")
    url = f"/clinics/clinic-a/api/v1/reply-batches/{batch.pk}/"
    owner, writer = login("alpha_owner"), login("alpha_writer")
    assert (
        writer.post(f"{url}approve/", {"expected_version": 1}, content_type="application/json")
    ).status_code == 403
    assert (
        owner.post(f"{url}approve/", {"expected_version": 1}, content_type="application/json")
    ).status_code == 200
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=batch.pk).status == "pending_legal"
    # the agency's approval does not carry it through legal's step
    again = owner.post(f"{url}approve/", {"expected_version": 1}, content_type="application/json")
    assert again.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=batch.pk).status == "pending_legal"
