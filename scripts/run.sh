#!/usr/bin/env bash
# `make run`: from a fresh clone to web + worker + beat with demo data. The web process is
# gunicorn with the production config (a bounded number of workers, one database connection
# each); `make dev` uses runserver, whose per-request threads must not keep connections
# (CONN_MAX_AGE=0 there: each thread's connection would otherwise live until collected).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
# The guide's local webhook receiver (docs/webhooks.md) is the one private address allowed.
export WEBHOOKS_PRIVATE_HOSTS_ALLOWED=${WEBHOOKS_PRIVATE_HOSTS_ALLOWED:-127.0.0.1:9000,localhost:9000}
bash scripts/bootstrap_venv.sh
PY=.venv/bin/python
PORT=${PORT:-8000}
# links in e-mails, alerts and statements point at this server unless told otherwise
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://localhost:${PORT}}
# gunicorn "as in production": no debug pages (tracebacks, URL lists) unless asked for;
# `make dev` (runserver) keeps them
if [ -z "${CAREWATCH_PROCFILE:-}" ]; then export DEBUG=${DEBUG:-false}; fi
$PY scripts/services.py --create-db
$PY manage.py migrate_all
$PY manage.py seed_demo
$PY manage.py collectstatic --noinput -v 0
cat <<MSG

  Carewatch is starting.
    Web admin and client portal:  http://localhost:${PORT}/
    A clinic (path routing):      http://localhost:${PORT}/clinics/<clinic-slug>/
    API docs (Swagger / Redoc):   http://localhost:${PORT}/api/docs/  ·  /api/redoc/
    Health:                       http://localhost:${PORT}/health/
  Stop with Ctrl-C.

MSG
export PORT
exec .venv/bin/honcho start -f "${CAREWATCH_PROCFILE:-Procfile}"
