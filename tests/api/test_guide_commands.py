"""The shell commands of docs/integrate.md and docs/webhooks.md (the blocks that talk to `$BASE`) run as written
against a live server holding the guide's demo clinic and manager, and print what the guide
says. Only the guide's placeholders are filled in: the authenticator code and a token id."""

from __future__ import annotations

import re
import subprocess
import threading
import uuid
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from agency.models import Agency
from agency.services import agency_member_add
from tests.api.test_generated_client import _closing, _Quiet, _ThreadedServer
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import clinic_committed_create, clinic_drop

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = [DOCS / "integrate.md", DOCS / "webhooks.md"]  # in this order: the second uses $TOKEN


def guide_commands(text: str) -> list[str]:
    return [block for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S) if "$BASE" in block]


@pytest.fixture
def demo(django_db_setup, django_db_blocker):
    """The guide's demo world (riverside-dental, Max the manager) behind a live server."""
    with django_db_blocker.unblock():
        agency_slug = f"brightside-{uuid.uuid4().hex[:6]}"
        made = clinic_committed_create(
            slug="riverside-dental", name="Riverside Dental", agency_slug=agency_slug
        )
        user = agency_member_add(
            agency=made.agency, email="max.manager@brightside.example", full_name="Max Manager",
            role="manager", password="carewatch-demo",
        ).user  # fmt: skip
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        server = make_server(
            "127.0.0.1", 0, _closing(get_wsgi_application()), _ThreadedServer, _Quiet
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", device
        finally:
            server.shutdown()
            server.server_close()
            clinic_drop(made.clinic)
            User.objects.filter(pk=user.pk).delete()
            Agency.objects.filter(slug=agency_slug).delete()


def test_the_guide_commands_run_as_written(demo, settings):
    # as `make run` configures it: the guide's local receiver is the one private target allowed
    settings.WEBHOOKS_PRIVATE_HOSTS_ALLOWED = ["127.0.0.1:9000", "localhost:9000"]
    base, device = demo
    blocks = [block for guide in GUIDES for block in guide_commands(guide.read_text())]
    script = "\n".join(blocks)
    script = script.replace('"otp":"123456"', f'"otp":"{totp_now(device)}"')
    script = script.replace("<id>", "999999")  # another person's (or no) token: 404
    script = script.replace("BASE=http://localhost:8000", f"BASE={base}")

    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60
    )

    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert '"riverside-dental"' in out  # the clinics the token reaches
    assert '"counts":{"created":2,"updated":0,"unchanged":0,"rejected":0}' in out.replace(" ", "")
    assert '"code":"not_found"' in out.replace(" ", "")  # revoking a token that is not yours
    assert '"next":' in out  # the scores feed's resumable link
    assert '"url":"http://127.0.0.1:9000/carewatch"' in out  # the local receiver subscribed
    assert '"secret":"cwhs_' in out
