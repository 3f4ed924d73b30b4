import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from config.wsgi import application
from django.test import Client
from responses.guard import check_reply
result = check_reply("Call us at 555-0100 about your visit on March 3.")
assert result.verdict == "block", result.verdict
print("torch-loaded" if getattr(sys.modules.get("torch"), "__version__", None) else "no-torch")
"""


def test_the_web_process_runs_the_guard_without_importing_torch():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "no-torch"


STARTUP_PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every app's views, services and selectors
import responses.signals, crisis.selectors, portal.selectors
print(sorted(m for m in ("presidio_analyzer", "spacy", "transformers") if m in sys.modules))
"""


def test_a_process_that_checks_no_reply_does_not_import_the_guards_engine():
    # every worker, web process and manage.py command starts Django; the guard's engine
    # (Presidio, spaCy, transformers: about 4 s of CPU) is imported on first use only
    out = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
