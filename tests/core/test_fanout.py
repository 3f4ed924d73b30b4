"""Beat's fan-out over every clinic: one task per clinic (or per due source) carrying that
clinic's schema, each with a time limit, so one slow clinic holds up nobody else; and the
connection that visited every clinic ends on public."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from clinics.models import Clinic
from clinics.schemas import clinic_schemas_each
from core.crypto import encrypt_json
from crisis.tasks import detectors_run_all_task, detectors_run_clinic_task
from feeds.models import Source
from feeds.tasks import source_poll_task, sources_poll_dispatch_task


def _record(monkeypatch, task) -> list[tuple[str, tuple]]:
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        task, "apply_async", lambda args, **kw: sent.append((connection.schema_name, tuple(args)))
    )
    return sent


def test_detectors_fan_out_one_task_per_clinic_in_its_schema(world, db, monkeypatch):
    sent = _record(monkeypatch, detectors_run_clinic_task)
    queued = detectors_run_all_task()
    schemas = set(Clinic.objects.values_list("schema_name", flat=True))
    assert queued == len(schemas) == len(sent)
    assert {schema for schema, _ in sent} == schemas
    assert connection.schema_name == "public"


CONNECTED = {"credentials_encrypted": encrypt_json({"access_token": "t"})}


def test_dispatcher_queues_one_poll_per_due_source_in_its_clinic(world, db, monkeypatch):
    a, c = world.clinics["a"], world.clinics["c"]
    with schema_context(a.schema_name):
        Source.objects.update(enabled=False)
        due_a = Source.objects.create(kind="google", name="due A", settings={}, **CONNECTED)
        Source.objects.create(kind="api", name="never polled", settings={})
        Source.objects.create(kind="google", name="not connected: nothing to poll with")
    with schema_context(c.schema_name):
        Source.objects.update(enabled=False)
        due_c = Source.objects.create(kind="yelp", name="due C", settings={}, **CONNECTED)
    with schema_context(world.clinics["b"].schema_name):
        Source.objects.update(enabled=False)
    sent = _record(monkeypatch, source_poll_task)

    assert sources_poll_dispatch_task() == 2
    assert sorted(sent) == sorted([(a.schema_name, (due_a.pk,)), (c.schema_name, (due_c.pk,))])
    assert sources_poll_dispatch_task() == 0  # claimed: the next round does not queue them again
    assert connection.schema_name == "public"


def test_per_clinic_tasks_have_time_limits():
    assert (detectors_run_clinic_task.soft_time_limit, detectors_run_clinic_task.time_limit) == (
        120,
        180,
    )
    assert (source_poll_task.soft_time_limit, source_poll_task.time_limit) == (240, 300)


def test_visiting_every_clinic_ends_on_public(world, db):
    seen = []
    for schema in clinic_schemas_each():
        seen.append((schema, connection.schema_name))
    assert seen and all(schema == current for schema, current in seen)
    assert {s for s, _ in seen} == set(Clinic.objects.values_list("schema_name", flat=True))
    assert connection.schema_name == "public"
