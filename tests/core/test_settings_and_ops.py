import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import Client

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **os.environ,
        "CAREWATCH_ENV": "production",
        "SECRET_KEY": "p" * 20 + "q" * 20 + "r" * 20 + "-Zx9!",
        "ALLOWED_HOSTS": "carewatch.example",
        "CREDENTIALS_KEY": "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM=",
    }
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
        "CAREWATCH_ENV": "production"
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


def test_cache_keys_are_tenant_aware():
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"


def test_health_reports_postgres_redis_and_queue_depth(db):
    body = Client().get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["postgres"] == "ok" and body["checks"]["redis"] == "ok"
    assert set(body["checks"]["queues"]) == {"default", "ml"}


def test_pages_carry_security_headers(world, db):
    response = Client().get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_brand_stylesheet_carries_the_agency_colour(world, db):
    response = Client().get("/brand/beta.css")
    assert response.status_code == 200
    assert response.content.decode().strip() == ":root{--brand:#7A1FA2}"
    assert Client().get("/brand/nobody.css").status_code == 404


def test_openapi_document_is_generated(world, db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/clinics/" in response.content.decode()
