import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

pytest_plugins = [
    "tests.fixtures.tenants",
    "tests.fixtures.workers",
    "tests.fixtures.browser",
    "tests.fixtures.platforms",
    "tests.fixtures.rows",
    "tests.fixtures.staff_clinics",
]

# Seconds a test file took in a whole run (scripts/test_durations.py refreshes them), and what
# a file not listed there is taken to take per test.
DURATIONS = Path(__file__).with_name("durations.json")
SECONDS_PER_UNLISTED_TEST = 0.3


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Longest test files first. `make test` hands whole files to its processes (pytest-xdist
    `--dist loadfile --no-loadscope-reorder`: in this order); a two-minute file started last
    would keep one process busy while the other waits. Within a file the order stays."""
    try:
        known = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        known = {}
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def seconds(path: str) -> float:
        return known.get(path, SECONDS_PER_UNLISTED_TEST * len(files[path]))

    items[:] = [item for path in sorted(files, key=lambda p: -seconds(p)) for item in files[path]]


@pytest.fixture(autouse=True)
def _fresh_rate_budgets():
    """Each test starts with full per-key rate budgets: the suite sends far more requests a
    minute with the world's keys than the production limit allows one integrator. The same for
    the password-reset counters (per address and per e-mail, an hour each): the world's people
    ask for resets in many files, and which of them share a process depends on timing."""
    from django.core.cache import cache

    from core import fastcache

    try:
        client = fastcache.client()
        keys = [
            key
            for pattern in ("carewatch:throttle:*", cache.make_key("pwreset:*"))
            for key in client.scan_iter(pattern, count=1000)
        ]
        if keys:
            client.delete(*keys)
    except Exception:  # noqa: BLE001, S110 - no Redis: the throttle fails open anyway
        pass


@pytest.fixture(autouse=True)
def _notice_bursts_off(settings):
    """What waits for a person is e-mailed at once, each one, as before bursts
    (`clinics.bursts`): the suite's flows run people's minutes in milliseconds, so nearly every
    second e-mail to a person would wait for a burst's. The tests of bursts, and of flows read
    through them, ask for `notice_bursts`."""
    settings.NOTICE_BURST_WINDOW = timedelta(0)


@pytest.fixture
def notice_bursts(settings):
    """Bursts on, with the production window (5 minutes): one e-mail per burst."""
    settings.NOTICE_BURST_WINDOW = timedelta(minutes=5)


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued by name (the ports in core, `core.queueing`) are recorded here, (name,
    args), instead of going to the broker. tests/webhooks has its own: deliveries queued."""
    from types import SimpleNamespace

    sent: list[tuple[str, tuple]] = []

    def send_task(name, args=(), **options):
        sent.append((name, tuple(args)))

    monkeypatch.setattr("core.queueing.current_app", SimpleNamespace(send_task=send_task))
    return sent


@pytest.fixture(autouse=True)
def _world_as_built():
    """After each test, the session's world objects as they were built (see
    tests.fixtures.tenants.world_objects_restore)."""
    yield
    from tests.fixtures.tenants import world_objects_restore

    world_objects_restore()


class WorldChanged(Exception):
    """A test left the world's committed rows changed (`world_rows_check`)."""


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After each test's teardown (its transaction rolled back, its committed rows removed by
    its own fixtures), the world's committed rows must be as they were built: a test that left
    them changed errors here, at its own teardown, instead of the tests after it in its
    process failing in its place, in some orders only. After a file's last test, the world's
    clinics must hold as many committed rows as before the file (`clinic_rows_check`): a file
    that left some errors there, once (the next file is measured against what it left). (After
    the process's last test the test database is gone: nothing comes after it to fail.)"""
    result = yield
    if nextitem is None:
        return result
    from pytest_django.plugin import blocking_manager_key

    from tests.fixtures.tenants import clinic_rows_check, world_rows_check

    blocker = item.config.stash[blocking_manager_key]
    if changed := world_rows_check(blocker):
        raise WorldChanged(
            f"{item.nodeid} left the world's committed rows changed ({changed}): a test that "
            "commits must use rows of its own, or put the world's back"
        )
    if nextitem.path != item.path and (changed := clinic_rows_check(blocker)):
        # the file's module fixtures are torn down by now (the next test is in another file)
        raise WorldChanged(
            f"{item.path.name} left committed rows in the world's clinics ({changed}): a test "
            "that commits in clinic A or B must delete what it and the workers it started "
            "stored, or use a clinic of its own (`committed_clinic`)"
        )
    return result


@pytest.fixture(autouse=True)
def _routes_fresh():
    """Clinics are cached in Redis by slug (clinics.routes); a save drops its entry, but
    a test's rollback (or a flush) sends no signal, so a clinic a test changed (its reply
    target, its deactivation) would outlive the test in the next one's pages."""
    from clinics.routes import routes_forget_all

    routes_forget_all()
    yield
    routes_forget_all()


@pytest.fixture(autouse=True)
def _connecting_set_up(settings):
    """The suite's server is one where connecting Google and Facebook is set up (the agency's
    OAuth apps configured), as in production: a channel that is not connected waits to be
    connected. A test of a server where it is not (replies there are posted by hand) clears
    these; the tests that sign in at the fake platforms set the fake's own."""
    settings.GOOGLE_OAUTH_CLIENT_ID = "suite-google-client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "suite-google-secret"  # noqa: S105 - not a secret
    settings.FACEBOOK_APP_ID = "suite-facebook-app"
    settings.FACEBOOK_APP_SECRET = "suite-facebook-secret"  # noqa: S105 - not a secret


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_modify_db_settings,
):
    """pytest-django's, except that the test database is always created: tests that hand
    committed rows to another process (a Celery worker, pg_dump) use it without the `db`
    fixture, and would otherwise run against the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=django_db_keepdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)
