"""Tasks already queued for a clinic that is deleted before they run (a delivery, a detector
run, a webhook retry) end quietly: one info line each, no traceback, nothing run in another
schema. The worker's schema switch (tenant-schemas-celery, through `clinics.paused.ClinicTask`)
finds no clinic: it raised `DoesNotExist` in its signal handler and the task then failed on
its first query in the public schema."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate, clinic_delete
from clinics.models import Clinic
from clinics.services import clinic_create
from config.celery import app
from core.queueing import tasks_enqueue
from crisis.tasks import detectors_run_clinic_task
from responses.tasks import outbox_deliver_task
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.fixtures.workers import wait_for

GONE = "skipped: its clinic no longer exists"


def _deleted(world, clinic: Clinic) -> None:
    owner = Actor(user=world.users["alpha_owner"])
    clinic_deactivate(clinic=clinic, actor=owner, confirm_name=clinic.name)
    clinic_delete(clinic=clinic, actor=owner, confirm_name=clinic.name, confirmed=True)
    connection.set_schema_to_public()
    assert not schema_exists(clinic.schema_name)
    assert not Clinic.objects.filter(pk=clinic.pk).exists()


@pytest.mark.django_db
def test_a_task_run_for_a_deleted_clinic_ends_with_one_info_line(world, caplog):
    # given a clinic, deleted after a delivery and a detector run were queued for it
    clinic = clinic_create(agency=world.agencies["alpha"], name="Gone Eager", slug="gone-eager")
    schema = clinic.schema_name
    _deleted(world, clinic)

    # when the worker runs them (eagerly here: the same tracer, signals and schema switch)
    with caplog.at_level(logging.INFO):
        results = [
            task.apply(args, headers={"_schema_name": schema})
            for task, args in ((outbox_deliver_task, (1,)), (detectors_run_clinic_task, ()))
        ]

    # then each ends without an error and says so once, at info
    assert [(r.state, r.result) for r in results] == [("SUCCESS", None), ("SUCCESS", None)]
    assert [(r.levelname, r.getMessage()) for r in caplog.records if GONE in r.getMessage()] == [
        ("INFO", f"responses.tasks.outbox_deliver {GONE} (schema {schema})"),
        ("INFO", f"crisis.tasks.detectors_run_clinic {GONE} (schema {schema})"),
    ]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    # and the connection is back where it was, usable
    assert connection.schema_name == "public"
    assert Clinic.objects.filter(pk=world.clinics["a"].pk).exists()


@pytest.mark.slow
def test_tasks_queued_before_a_clinic_was_deleted_end_quietly_in_a_real_worker(
    world, django_db_blocker, celery_worker_process
):
    with django_db_blocker.unblock():
        clinic = clinic_committed_create(
            slug=f"gone-{uuid.uuid4().hex[:8]}", name="Gone Clinic", agency=world.agencies["alpha"]
        ).clinic
        schema = clinic.schema_name
        try:
            # given a delivery and a detector run queued for the clinic, not run yet
            assert tasks_enqueue("responses.tasks.outbox_deliver", [(1,)], schema_name=schema) == 1
            assert tasks_enqueue(detectors_run_clinic_task, [()], schema_name=schema) == 1
            # when the clinic is deleted (its row and schema gone, as `clinic_delete` leaves
            # it; dropped the suite's way, so no append-only security-log line outlives the
            # test), then a worker takes them
            clinic_drop(clinic)
            assert not schema_exists(schema)
            worker = celery_worker_process(queues="default")
            # and a task of a clinic that exists, queued after them, still runs
            tasks_enqueue(
                detectors_run_clinic_task, [()], schema_name=world.clinics["b"].schema_name
            )

            def log() -> str:
                return worker.log.read_text(errors="replace")

            assert wait_for(lambda: log().count(" succeeded in ") >= 3, timeout=60), log()[-3000:]
            # then each of the deleted clinic's tasks ends with one info line, and nothing
            # in the worker's log is an error or a traceback
            lines = [line for line in log().splitlines() if GONE in line]
            assert len(lines) == 2, log()[-3000:]
            assert all(" INFO " in line and f"(schema {schema})" in line for line in lines)
            assert "Traceback" not in log() and " ERROR " not in log(), log()[-3000:]
            assert "DoesNotExist" not in log() and "does not exist" not in log()
        finally:
            clinic_drop(clinic)
            app.control.purge()
