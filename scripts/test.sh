#!/usr/bin/env bash
# `make test`: lint, the layers contract, migrations check, the whole suite against the real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
# The suite's queues live in their own Redis database, apart from a running `make run`.
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
export CACHE_URL=${TEST_CACHE_URL:-redis://127.0.0.1:6379/9}
bash scripts/bootstrap_venv.sh
PY=.venv/bin/python
$PY scripts/services.py
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The apps are layers (pyproject.toml [tool.importlinter], docs/architecture.md): imports point down.
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
$PY manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Model changes without a migration: run 'python manage.py makemigrations'." >&2; exit 1; }
# pytest exits non-zero (5) when it collects no test: that fails the run too.
# Two processes (pytest-xdist), a test file each at a time: much of the suite waits on workers,
# browsers and servers it started, so two halve the wall time on two cores. Each process has its
# own test database (pytest-django) and Redis databases (config/settings_test.py).
# PYTEST_WORKERS=0 runs in one process. Files go out longest first (tests/durations.json, refreshed
# by scripts/test_durations.py; tests/conftest.py orders them), so no long file starts last.
# The 25 slowest tests are listed at the end: the suite has a 20-minute budget in CI.
exec $PY -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder --durations=25 "$@"
