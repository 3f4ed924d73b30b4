"""The same publish task run twice at once, by two real worker processes: the reply reaches
the platform once."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from responses.models import AuditEntry, ReplyDraft
from responses.tasks import outbox_deliver_task
from tests.faults.conftest import record_figure
from tests.fixtures.tenants import otp_verify_session
from tests.fixtures.workers import wait_for
from tests.responses.conftest import OK_TEXT, PLATFORM_KINDS, Api, review_in

pytestmark = pytest.mark.slow


def _api(world, name: str, clinic) -> Api:
    """Signed in past the TOTP step, without the `db` fixture: every row here is committed,
    for the workers (other processes) to see."""
    client = Client()
    client.force_login(world.users[name])
    otp_verify_session(client, world.users[name])
    return Api(client, clinic)


def _done(worker) -> list[str]:
    return [
        line.rsplit(": ", 1)[-1].strip().strip("'")
        for line in worker.log.read_text(errors="replace").splitlines()
        if "responses.tasks.outbox_deliver[" in line and " succeeded in " in line
    ]


def test_the_same_publish_task_run_twice_at_once_posts_once(
    world, committed_clinic, platforms, django_db_blocker, celery_worker_process, monkeypatch
):
    clinic = committed_clinic
    env = {"CONNECTOR_BASE_URLS": json.dumps(dict.fromkeys(PLATFORM_KINDS, platforms.base_url))}
    workers = [celery_worker_process(queues="default", extra_env=env) for _ in range(2)]
    # "ready." is the parent's word; its child builds the reply guard after it (seconds, far
    # more on a busy machine) and holds a task it took meanwhile: "at once" needs both built
    assert wait_for(
        lambda: all("reply guard ready" in w.log.read_text(errors="replace") for w in workers),
        timeout=120,
    )
    with django_db_blocker.unblock():
        # given an approved reply whose delivery was not queued (we queue it ourselves below)
        with monkeypatch.context() as patched:
            patched.setattr(outbox_deliver_task, "apply_async", lambda *a, **k: None)
            review = review_in(clinic, fake=platforms)
            writer = _api(world, "alpha_writer", clinic)
            created = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT})
            assert created.status_code == 201, created.content
            draft_id = created.json()["id"]
            writer.post(f"drafts/{draft_id}/submit/")
            _api(world, "alpha_manager", clinic).post(f"drafts/{draft_id}/approve/")
            approved = _api(world, "a_approver", clinic).post(f"drafts/{draft_id}/approve/")
        item_id = approved.json()["outbox"][0]["id"]
        platforms.delay(1, seconds=2.0, platform="google", method="PUT")  # a slow platform

        # when the same delivery task is queued twice and both workers take one at once
        with schema_context(clinic.schema_name):
            outbox_deliver_task.apply_async((item_id,))
            outbox_deliver_task.apply_async((item_id,))
        started = time.monotonic()
        assert wait_for(lambda: len(_done(workers[0]) + _done(workers[1])) == 2, timeout=60)
        elapsed = time.monotonic() - started

        # then both ran (one on each worker), and exactly one PUT reached Google
        results = sorted(_done(workers[0]) + _done(workers[1]))
        puts = platforms.requests_for("google", method="PUT")
        with schema_context(clinic.schema_name):
            status = ReplyDraft.objects.get(pk=draft_id).status
            published = AuditEntry.objects.filter(object_id=draft_id, action="published").count()
    assert [len(_done(w)) for w in workers] == [1, 1]
    assert results == ["sent", "skipped"]
    assert len(puts) == 1
    assert status == "published" and published == 1
    record_figure(
        "publish_twice",
        {"runs": 2, "results": results, "posts": len(puts), "seconds": round(elapsed, 1)},
    )
