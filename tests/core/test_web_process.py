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
