"""A clinic's state reaches every web process at once: the clinic a request is routed to is
cached in the shared Redis (`clinics.routes.clinic_for_segment`), never in one process's
memory, and a change made by another process (a deactivation, a reactivation) drops it at
commit. Each process used to keep its own copy for 30 s: a deactivated clinic's portal was
still served by the processes that had not made the change.

These run outside the test transaction (committed rows), as the web processes do; the change
is made by another Python process, as another gunicorn worker would."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
from django.conf import settings
from django.utils import timezone

from agency.models import Agency
from clinics.models import Clinic, Domain
from clinics.routes import (
    ROUTE_HOLD_SECONDS,
    _route_key,
    clinic_for_segment,
    routes_forget_all,
)
from core import fastcache
from tests.fixtures import workers
from tests.fixtures.browser import ROOT
from tests.fixtures.tenants import Client

# The other process: Django set up once, then it runs each piece of code it is sent (read as a
# JSON string, one a line) and answers a line, "ok" or the traceback. It lives for the module,
# as another gunicorn worker lives beside this one: setting Django up (the reply guard's
# libraries) is most of a process's start, and a new one for each change took seconds.
_ANSWER = "carewatch-test-answer: "  # what else it prints (a library's notice) is not read
_OTHER_PROCESS_LOOP = (
    f"ANSWER = {_ANSWER!r}\n"
    + """
import json, sys, traceback
import django
django.setup()
from django.db import connections
for line in sys.stdin:
    try:
        exec(json.loads(line), {})
        answer = "ok"
    except BaseException:
        answer = traceback.format_exc()
    finally:
        connections.close_all()  # nothing held between changes (locks, a transaction)
    sys.stdout.write(ANSWER + json.dumps(answer) + "\\n")
    sys.stdout.flush()
"""
)
_OTHER_PROCESS_TIMEOUT = 120
_other_processes: list[subprocess.Popen] = []


def _another_process() -> subprocess.Popen:
    if _other_processes and _other_processes[-1].poll() is None:
        return _other_processes[-1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": workers.test_database_url(),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
    }
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process (below)
    proc = subprocess.Popen(
        [sys.executable, "-c", _OTHER_PROCESS_LOOP],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
        text=True,
    )  # fmt: skip
    proc.errors = errors
    _other_processes.append(proc)
    return proc


@pytest.fixture(scope="module", autouse=True)
def _other_process_stopped():
    yield
    for proc in _other_processes:
        if proc.poll() is None:
            proc.stdin.close()  # its loop ends
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        proc.errors.close()
    _other_processes.clear()


def _in_another_process(code: str) -> None:
    """Run `code` (Django set up) in another Python process against the test database and
    the suite's Redis; it has finished (and committed) when this returns."""
    proc = _another_process()
    proc.stdin.write(json.dumps(code) + "\n")
    proc.stdin.flush()
    deadline = time.monotonic() + _OTHER_PROCESS_TIMEOUT
    line = ""
    while not line.startswith(_ANSWER):
        ready, _, _ = select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            proc.kill()
            pytest.fail(f"the other process did not answer in {_OTHER_PROCESS_TIMEOUT} s")
        line = proc.stdout.readline()
        if not line:
            proc.wait(5)
            proc.errors.seek(0)
            pytest.fail(f"the other process exited:\n{proc.errors.read()[-3000:].decode()}")
    answer = json.loads(line.removeprefix(_ANSWER))
    assert answer == "ok", answer[-3000:]


def _owner_does(action: str, tenant) -> str:
    owner = tenant.users["owner"]
    return (
        "from accounts.actors import Actor\n"
        "from accounts.models import User\n"
        "from clinics import lifecycle\n"
        "from clinics.models import Clinic\n"
        f"clinic = Clinic.objects.get(pk={tenant.clinic.pk})\n"
        f"actor = Actor(user=User.objects.get(pk={owner.pk}))\n"
        + (
            "lifecycle.clinic_deactivate(clinic=clinic, actor=actor, confirm_name=clinic.name)\n"
            if action == "deactivate"
            else "lifecycle.clinic_reactivate(clinic=clinic, actor=actor)\n"
        )
    )


# Longer than any stall of a loaded machine between the other process's commit and the next
# step here; the entry is dropped by the next test's routes_forget_all anyway.
_TEST_HOLD_SECONDS = 600


@pytest.fixture
def portal(committed_tenant):
    tenant = committed_tenant()
    routes_forget_all()  # later than the creation's short hold on the new clinic's entry
    client = Client()
    client.force_login(tenant.users["approver"])  # a clinic person: no second factor
    return tenant, client, f"/clinics/{tenant.clinic.slug}/portal/report/"


def test_a_deactivation_in_another_process_refuses_the_next_request_here(portal):
    tenant, client, url = portal
    assert client.get(url).status_code == 200
    # the clinic is cached where every process reads it
    cached = fastcache.get_object(_route_key(tenant.clinic.slug))
    assert isinstance(cached, Clinic) and cached.pk == tenant.clinic.pk

    # when another process (another worker) deactivates the clinic
    _in_another_process(_owner_does("deactivate", tenant))

    # then the very next request here is refused, as every later one
    for _ in range(3):
        refused = client.get(url)
        assert refused.status_code == 403
        assert "Your agency has paused this portal" in refused.content.decode()

    # and a reactivation elsewhere opens it again at once
    _in_another_process(_owner_does("reactivate", tenant))
    assert client.get(url).status_code == 200


def test_a_row_read_before_a_change_cannot_be_cached_after_it(portal):
    tenant, client, url = portal
    slug = tenant.clinic.slug
    stale = clinic_for_segment(slug)  # read (and cached) before the change
    assert stale.deactivated_at is None

    # The other process holds the entry for longer than the product's few seconds: what is
    # asserted is that the change holds it, not how long (the hold's length is asserted below).
    # With the real hold, the other process's exit and this process's next step could take
    # longer than ROUTE_HOLD_SECONDS on a loaded machine, and the hold be gone before the
    # stale write below (it failed that way in CI).
    # (The other process lives on: its hold is put back after the change.)
    _in_another_process(
        f"import clinics.routes\nclinics.routes.ROUTE_HOLD_SECONDS = {_TEST_HOLD_SECONDS}\n"
        "try:\n"
        + textwrap.indent(_owner_does("deactivate", tenant), "    ")
        + f"finally:\n    clinics.routes.ROUTE_HOLD_SECONDS = {ROUTE_HOLD_SECONDS}\n"
    )
    assert fastcache.client().get(_route_key(slug)) == b""  # held (core.fastcache.hold)
    assert fastcache.client().ttl(_route_key(slug)) > ROUTE_HOLD_SECONDS  # the test's hold

    # a request that read the row before the change committed stores it now: refused
    fastcache.set_object(_route_key(slug), stale, ttl=60, only_new=True)
    assert fastcache.get_object(_route_key(slug)) is None
    assert clinic_for_segment(slug).deactivated_at is not None
    assert client.get(url).status_code == 403
    assert ROUTE_HOLD_SECONDS <= 10  # the hold is short: the entry is cached again after it


# A queryset's update() or bulk_update() sends no post_save: the managers of Clinic, Domain and
# Agency are heard (core.models.HeardQuerySet), so these writes drop the route too.
def _deactivate_by_update(clinic):
    Clinic.objects.filter(pk=clinic.pk).update(deactivated_at=timezone.now())


def _deactivate_by_bulk_update(clinic):
    row = Clinic.objects.get(pk=clinic.pk)  # a copy: the fixture's object stays as it is
    row.deactivated_at = timezone.now()
    Clinic.objects.bulk_update([row], ["deactivated_at"])


def _rename_agency_by_update(clinic):
    Agency.objects.filter(pk=clinic.agency_id).update(display_name="Renamed Agency")


def _move_domain_by_update(clinic):
    Domain.objects.filter(tenant_id=clinic.pk).update(domain=f"{clinic.slug}-moved")


@pytest.mark.parametrize(
    ("write", "seen"),
    [
        pytest.param(_deactivate_by_update, lambda c: c.deactivated_at is not None, id="clinic-update"),
        pytest.param(_deactivate_by_bulk_update, lambda c: c.deactivated_at is not None, id="clinic-bulk-update"),
        pytest.param(_rename_agency_by_update, lambda c: c.agency.display_name == "Renamed Agency", id="agency-update"),
        pytest.param(_move_domain_by_update, lambda c: c is None, id="domain-update"),
    ],
)  # fmt: skip
def test_a_queryset_update_drops_the_cached_route(clinic_a, write, seen):
    # given the clinic cached as it is
    slug = clinic_a.slug
    cached = clinic_for_segment(slug)
    assert cached.deactivated_at is None and cached.agency.display_name != "Renamed Agency"
    assert fastcache.get_object(_route_key(slug)) is not None

    # when its row, its domain or its agency is changed with a queryset's update()
    write(clinic_a)

    # then the next read through the cache sees the change, not the cached row
    assert fastcache.get_object(_route_key(slug)) is None
    assert seen(clinic_for_segment(slug))


def test_a_deactivation_by_update_in_another_process_refuses_the_next_request_here(portal):
    tenant, client, url = portal
    assert client.get(url).status_code == 200
    assert fastcache.get_object(_route_key(tenant.clinic.slug)) is not None

    # when another process deactivates the clinic with a queryset's update()
    _in_another_process(
        "from django.utils import timezone\n"
        "from clinics.models import Clinic\n"
        f"Clinic.objects.filter(pk={tenant.clinic.pk}).update(deactivated_at=timezone.now())\n"
    )

    # then the very next request here is refused (the cached route lived 60 s before)
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Your agency has paused this portal" in refused.content.decode()
