import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **os.environ,
        "CAREWATCH_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "p" * 20 + "q" * 20 + "r" * 20 + "-Zx9!",
        "ALLOWED_HOSTS": "carewatch.example",
        "CREDENTIALS_KEY": "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM=",
    }
    # The browser tests' Playwright needs this in the test process; a deployment never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {
        "CAREWATCH_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY" in result.stderr


def test_celery_is_configured_for_at_least_once_delivery():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert {q.name for q in conf.task_queues} == {"default", "ml"}
    assert conf.task_default_queue == "default"
    assert type(app).__module__ == "tenant_schemas_celery.app"


def test_a_celery_pool_child_is_forked_from_a_frozen_heap():
    """The parent freezes its heap right before each fork (config/celery.py), so a child's
    first full collection copies nothing of it (bench/soak/gc_fork.py measures the pages)."""
    code = (
        "import gc, django; django.setup()\n"
        "from celery.signals import worker_before_create_process\n"
        "import config.celery\n"
        "assert gc.get_freeze_count() == 0\n"
        "kept = [object() for _ in range(3)]\n"
        "worker_before_create_process.send(sender=None)\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    frozen, tracked = map(int, out.stdout.split())
    assert frozen > 100_000  # Django, Celery and the project's modules
    assert tracked < 1_000  # nothing left for a child's collector to walk


def test_cache_keys_are_tenant_aware():
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"


def test_health_reports_postgres_redis_and_queue_depth(db):
    response = Client().get("/health/")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["postgres"] == "ok" and body["checks"]["redis"] == "ok"
    assert set(body["checks"]["queues"]) == {"default", "ml"}
    assert body["checks"]["queues_behind"] == []
    assert response["Cache-Control"] == "no-store"


def test_health_is_degraded_but_200_when_a_queue_is_deeper_than_the_threshold(db, settings):
    settings.HEALTH_QUEUE_WARN = -1  # any depth, even 0, is over it
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["queues_behind"] == ["default", "ml"]


def test_health_is_503_with_retry_after_when_redis_does_not_answer(db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = Client().get("/health/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("error: ")


def test_pages_carry_security_headers(world, db):
    response = Client().get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_brand_stylesheet_carries_the_agency_colour(world, db):
    response = Client().get("/brand/beta.css")
    assert response.status_code == 200
    assert response.content.decode().strip() == (
        ":root{--brand:#7a1fa2;--on-brand:#ffffff;--brand-line:#7a1fa2}"
    )
    assert Client().get("/brand/nobody.css").status_code == 404


def test_a_light_brand_colour_gets_dark_text_on_the_staff_pages(world, db):
    from agency.branding import contrast
    from agency.models import Agency

    Agency.objects.filter(slug="beta").update(primary_colour="#FFD700")
    css = Client().get("/brand/beta.css").content.decode()
    brand, on_brand = (css.split(f"--{name}:")[1][:7] for name in ("brand", "on-brand"))
    # white on gold read 1.4:1: the text of the bar and buttons is ink, and reads
    assert on_brand != "#ffffff"
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (brand, on_brand)]
    assert contrast(*rgb) >= 4.5


def test_openapi_document_is_generated(world, db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/clinics/" in response.content.decode()


# --- logs ------------------------------------------------------------------------------------

PHRASE = "periwinkle-walrus-4417"  # distinctive: nothing else in the code or the logs has it
PATIENT = "Dana Rivera"


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_ingest_and_scoring_log_json_with_the_clinic_and_never_the_review_text(
    world, django_db_blocker, celery_worker_process
):
    """A review whose text holds a distinctive phrase and a patient's name is ingested (one
    good item and one refused), scored by a real worker, and the one that kills the worker
    is parked: no log line, here or in the worker, carries the phrase or the name; every line
    is JSON and names its clinic."""
    import logging

    from django_tenants.utils import schema_context

    from core.logging import ClinicFilter, JsonFormatter
    from feeds.models import Review, Source
    from scoring.models import ReviewScore, ScoringFailure
    from tests.fixtures.workers import source_rows_delete, wait_for

    clinic = world.clinics["a"]
    worker = celery_worker_process(
        queues="ml,default",
        extra_env={"LOG_JSON": "true", "LOG_LEVEL": "DEBUG", "CAREWATCH_FAULT_KILL_ON": "KILLME"},
    )
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.addFilter(ClinicFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    with django_db_blocker.unblock():
        with schema_context(clinic.schema_name):
            source = Source.objects.create(kind="api", name="log privacy")
        try:
            api = Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}")
            url = f"/clinics/{clinic.slug}/api/v1/reviews/ingest/"
            item = {
                "source_id": source.pk, "rating": 1, "published_at": "2026-11-02T10:00:00Z",
                "author_name": PATIENT,
            }  # fmt: skip
            ok = api.post(url, json.dumps([
                {**item, "external_id": "log-1",
                 "text": f"My name is {PATIENT}; the {PHRASE} visit was awful and rude."},
                {**item, "external_id": "log-2", "text": f"KILLME {PATIENT} {PHRASE}"},
            ]), content_type="application/json")  # fmt: skip
            refused = api.post(  # not JSON: refused whole
                url, f'[{{"text": "{PATIENT} {PHRASE}"', content_type="application/json"
            )
            assert ok.status_code == 200, ok.content
            assert refused.status_code == 400
            with schema_context(clinic.schema_name):
                good = Review.objects.get(source=source, external_id="log-1").pk
                bad = Review.objects.get(source=source, external_id="log-2").pk

            def settled():
                with schema_context(clinic.schema_name):
                    return (
                        ReviewScore.objects.filter(review_id=good).exists()
                        and ScoringFailure.objects.filter(
                            review_id=bad, parked_at__isnull=False
                        ).exists()
                    )

            assert wait_for(settled, timeout=180, interval=0.5)
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            # stopped first: its task clusters the scored review's claim after the score is
            # stored, and a cluster committed while these rows are deleted fails the delete
            worker.stop()
            with schema_context(clinic.schema_name):
                source_rows_delete(source)
    here, there = captured.getvalue(), worker.log.read_text(errors="replace")
    for text in (here, there):
        assert PHRASE not in text
        assert PATIENT not in text
    # every log line is JSON with a clinic; the worker's task lines name the clinic
    lines = _json_lines(here) + _json_lines(there)
    assert all(line.get("clinic") for line in lines)
    banner = [line for line in there.splitlines() if line.strip() and not line.startswith("{")]
    assert not [line for line in banner if "INFO" in line or "ERROR" in line], banner[:5]
    task_lines = [  # what the task did (its receipt, in the main process, is "public")
        line
        for line in _json_lines(there)
        if "scoring.tasks.reviews_score[" in line["message"]
        and line["logger"] == "celery.app.trace"
        # the parent's report of the child the fault killed is written outside any clinic
        and "WorkerLostError" not in line["message"]
    ]
    assert task_lines and {line["clinic"] for line in task_lines} <= {clinic.schema_name}
    parked = [line for line in _json_lines(there) if "parked" in line["message"]]
    assert parked and parked[0]["clinic"] == clinic.schema_name
    refusal = [line for line in _json_lines(here) if line["logger"] == "django.request"]
    assert refusal and refusal[0]["clinic"] == clinic.schema_name


def test_gunicorn_access_lines_are_json_with_the_clinic_and_no_query_string():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from config.gunicorn import JsonAccessLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = JsonAccessLogger(cfg)
    out = io.StringIO()
    logger.access_log.handlers[0].stream = out
    environ = {
        "PATH_INFO": "/clinics/clinic-a/api/v1/reviews/",
        "QUERY_STRING": f"q={PATIENT}",
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": f"https://x.test/?q={PATIENT}",
    }
    logger.access(SimpleNamespace(status="200 OK"), None, environ, timedelta(milliseconds=12))
    line = json.loads(out.getvalue())
    assert line["clinic"] == "clinic_clinic_a"
    assert (line["method"], line["path"], line["status"]) == ("GET", environ["PATH_INFO"], 200)
    assert PATIENT not in out.getvalue()


# --- processes -------------------------------------------------------------------------------


def _compose_services(profile: str | None) -> dict:
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: spec
        for name, spec in services.items()
        if not spec.get("profiles") or (profile and profile in spec["profiles"])
    }


def _command(spec) -> str:
    command = spec.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def test_compose_runs_each_process_separately_and_the_scale_profile_two_ml_workers():
    plain, scale = _compose_services(None), _compose_services("scale")

    def ml_workers(services):
        return sorted(
            name
            for name, spec in services.items()
            if "-Q ml" in _command(spec)
            and spec["environment"].get("CAREWATCH_WORKER_QUEUES") == "ml"
        )

    assert len(ml_workers(plain)) == 1
    assert len(ml_workers(scale)) == 2
    assert "gunicorn" in _command(plain["web"])
    assert "-Q default" in _command(plain["worker"])
    assert plain["worker"]["environment"]["CAREWATCH_WORKER_QUEUES"] == "default"
    assert " beat " in f" {_command(plain['beat'])} "
    # only PostgreSQL keeps data on disk; the app processes share one volume, the uploaded
    # logos (the web process stores them, workers put them in the review's PDF)
    volumes = {name: spec.get("volumes") for name, spec in scale.items() if spec.get("volumes")}
    assert volumes.pop("postgres") == ["pgdata:/var/lib/postgresql/data"]
    assert set(volumes) == {"migrate", "web", "worker", "worker-ml", "worker-ml-2", "beat"}
    assert all(v == ["media:/app/media"] for v in volumes.values())


def test_procfile_runs_web_default_worker_ml_worker_and_beat_separately():
    lines = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(lines) == {"web", "worker-default", "worker-ml", "beat"}
    assert "-Q default " in lines["worker-default"] and "QUEUES=default " in lines["worker-default"]
    assert "-Q ml " in lines["worker-ml"] and "QUEUES=ml " in lines["worker-ml"]


def test_a_logged_request_shows_method_and_path_but_not_its_query_string():
    import logging

    from django.test import RequestFactory

    from core.logging import ClinicFilter, JsonFormatter

    request = RequestFactory().get("/clinics/clinic-a/api/v1/reviews/", {"q": PATIENT})
    record = logging.makeLogRecord(
        {"name": "django.request", "msg": "Not Found: %s", "args": (request.path,),
         "levelname": "WARNING", "request": request, "status_code": 404}
    )  # fmt: skip
    ClinicFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request"] == "GET /clinics/clinic-a/api/v1/reviews/"
    assert PATIENT not in json.dumps(line)
