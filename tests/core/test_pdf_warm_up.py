"""A new web worker's first PDF does not import WeasyPrint (~0.5 s of CPU on its request): the
master imports it before forking (config/gunicorn.py `when_ready`, `core.pdf.warm_up`);
bench/review_pdf/run.py measures the first review PDF in a new process either way."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import core.pdf
import responses.guard
from config.gunicorn import when_ready

ROOT = Path(__file__).resolve().parents[2]


def test_warm_up_imports_weasyprint_which_core_pdf_alone_does_not():
    probe = (
        "import sys; from core.pdf import warm_up; before = 'weasyprint' in sys.modules; "
        "warm_up(); print(before, 'weasyprint' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_the_web_master_warms_weasyprint_up_before_it_forks(monkeypatch):
    calls = []
    monkeypatch.setattr(responses.guard, "warm_up", lambda: calls.append("guard"))
    monkeypatch.setattr(core.pdf, "warm_up", lambda: calls.append("pdf"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    when_ready(None)
    assert calls == ["guard", "pdf", "freeze"]
