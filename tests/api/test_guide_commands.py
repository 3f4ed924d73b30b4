"""docs/integrate.md, docs/webhooks.md and docs/inbound-webhooks.md, whole: every shell block that talks to `$BASE` runs as
written, in order, in one shell, against a live server holding the guide's demo world
(riverside-dental, Max the manager, Avery the clinic's approver, an open incident), with the
work `make run`'s worker does done by a thread here (scoring with a fixed scorer, sending
webhook deliveries with the real sender). The output a block prints must match the block the
guide shows after it (`…` stands for anything on one line, or for whole lines on a line of its
own). Only the guide's placeholders are filled in: the authenticator code and the receiver's
port (9000, taken by another process here).

The webhook payload examples of docs/webhooks.md are the deliveries this run records (a
subscription to every event is added for it); the test fails when an example and the real
payload differ in their fields, and `UPDATE_GUIDE_PAYLOADS=1` rewrites the examples."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.models import User
from agency.models import Agency
from agency.services import agency_member_add
from clinics.services import clinic_member_add
from crisis.models import EventKind, Incident
from crisis.services import detectors_run
from feeds.models import Review
from feeds.services import items_ingest
from responses.models import OutboxItem, OutboxStatus
from responses.tasks import outbox_deliver_task
from scoring.ml.engine import default_model_version
from scoring.services import scores_write
from tests.api.test_generated_client import _closing, _Quiet, _ThreadedServer
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from webhooks.deliver import delivery_attempt
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.services import subscription_create

DOCS = Path(__file__).resolve().parents[2] / "docs"
# in this order: the later ones use $TOKEN
GUIDES = [DOCS / "integrate.md", DOCS / "webhooks.md", DOCS / "inbound-webhooks.md"]
MARK = "@@guide-block-{}@@"
MODEL = default_model_version()  # the shipped model's version, as the examples show it
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
_PAYLOAD = re.compile(r"<!-- payload: ([a-z_.]+) -->\n```json\n(.*?)```", re.S)


def guide_blocks(text: str) -> list[tuple[str, str | None]]:
    """(command block, the output block that follows it or None) for each `sh` block that
    talks to `$BASE`. An output block is the next fenced block, `text` or `json`, with nothing
    but blank lines between."""
    fences = list(_FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "sh" or "$BASE" not in fence.group(2):
            continue
        expected = None
        if i + 1 < len(fences):
            after = fences[i + 1]
            if after.group(1) in ("text", "json") and not text[fence.end() : after.start()].strip():
                expected = after.group(2)
        blocks.append((fence.group(2), expected))
    return blocks


def output_matches(expected: str, actual: str) -> bool:
    """Line by line: `…` matches anything on its line; a line that is only `…` matches any
    number of lines."""
    pattern = []
    for line in expected.strip().splitlines():
        if line.strip() == "…":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            parts = [re.escape(part) for part in line.strip().split("…")]
            pattern.append("[^\n]*".join(parts) + r"[ \t]*\n")
    return re.fullmatch("".join(pattern), actual.strip() + "\n") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Worker(threading.Thread):
    """What `make run`'s Celery workers do for the guide: score new reviews (a fixed scorer:
    the model is not the subject here), run the detectors on them (which open incidents and
    notify), hand approved replies to the outbox's sender and send due webhook deliveries (the
    real senders)."""

    def __init__(self, schema: str):
        super().__init__(daemon=True)
        self.schema, self.stop, self.errors = schema, threading.Event(), []

    def run(self):
        try:
            while not self.stop.wait(0.2):
                try:
                    with schema_context(self.schema):
                        self._score()
                        for item_id in OutboxItem.objects.filter(
                            status=OutboxStatus.PENDING
                        ).values_list("pk", flat=True):
                            outbox_deliver_task(item_id)
                        due = WebhookDelivery.objects.filter(
                            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
                        ).values_list("pk", flat=True)
                        for delivery_id in list(due):
                            delivery_attempt(delivery_id=delivery_id)
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    self.errors.append(repr(exc))
        finally:
            connection.close()

    @staticmethod
    def _score():
        unscored = Review.objects.filter(scores__isnull=True)
        results = []
        for review in unscored:
            bad = (review.rating or 1) <= 3  # a mention without a rating counts as negative

            class Result:
                model_version = MODEL
                label = "negative" if bad else "positive"
                score = -0.8 if bad else 0.9
                confidence = 0.9
                # the keys the model's topics carry (scoring.ml.engine), so the payload
                # examples show every field a real delivery has
                topics = (
                    [{"name": "wait_time", "triggers": ["waiting"], "sentiment": "negative"}]
                    if bad
                    else []
                )
                flags = []

            results.append((review.pk, Result()))
        if results:
            scores_write(results=results)
            detectors_run(review_ids=[review_id for review_id, _ in results])


@pytest.fixture
def demo(django_db_setup, django_db_blocker, settings):
    """The guide's demo world behind a live server, with the worker's work done by a thread."""
    receiver_port, dead_port = _free_port(), _free_port()
    # as `make run` configures it: the guide's local receiver is the one private target allowed
    # (and, here, the catch-all subscription that records every payload for the test)
    settings.WEBHOOKS_PRIVATE_HOSTS_ALLOWED = [
        f"127.0.0.1:{receiver_port}",
        f"127.0.0.1:{dead_port}",
    ]
    # and, as `make run` has it, no platform's OAuth app: connecting a channel is not set up,
    # so the guide's reply to an unconnected channel waits to be posted by hand (`manual`)
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    settings.FACEBOOK_APP_ID = settings.FACEBOOK_APP_SECRET = ""
    with django_db_blocker.unblock():
        agency_slug = f"brightside-{uuid.uuid4().hex[:6]}"
        made = clinic_committed_create(
            slug="riverside-dental", name="Riverside Dental", agency_slug=agency_slug,
            phone="+1 555 0100",
        )  # fmt: skip
        user = agency_member_add(
            agency=made.agency, email="max.manager@brightside.example", full_name="Max Manager",
            role="manager", password="carewatch-demo",
        ).user  # fmt: skip
        approver = clinic_member_add(
            clinic=made.clinic, email="approver@riverside-dental.example",
            full_name="Avery Approver", role="approver", crisis_roles=["comms"],
            password="carewatch-demo",
        ).user  # fmt: skip
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        writer = agency_member_add(
            agency=made.agency, email="wren.writer@brightside.example", full_name="Wren Writer",
            role="writer", password="carewatch-demo",
        ).user  # fmt: skip
        # the same authenticator key: one code fills the guide's one placeholder for both
        writer_device = TOTPDevice.objects.create(
            user=writer, name="phone", confirmed=True, key=device.key
        )
        with schema_context(made.clinic.schema_name):
            recorder, _ = subscription_create(
                url=f"http://127.0.0.1:{dead_port}/record", events=WebhookEvent.values
            )
        server = make_server(
            "127.0.0.1", 0, _closing(get_wsgi_application()), _ThreadedServer, _Quiet
        )
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        worker = _Worker(made.clinic.schema_name)
        worker.start()
        try:
            yield {
                "base": f"http://127.0.0.1:{server.server_port}",
                "device": device,
                "writer_device": writer_device,
                "clinic": made.clinic,
                "recorder": recorder,
                "receiver_port": receiver_port,
                "worker": worker,
            }
        finally:
            worker.stop.set()
            worker.join(10)
            server.shutdown()
            server.server_close()
            clinic_drop(made.clinic)
            User.objects.filter(pk__in=[user.pk, writer.pk, approver.pk]).delete()
            Agency.objects.filter(slug=agency_slug).delete()


def _run_guides(demo, tmp_path, receiver_port: int) -> list[tuple[str, str | None, str]]:
    blocks = [block for guide in GUIDES for block in guide_blocks(guide.read_text())]
    script = "\n".join(
        f"echo '{MARK.format(i)}'\n{command}" for i, (command, _) in enumerate(blocks)
    )
    script = script.replace('"otp":"123456"', f'"otp":"{totp_now(demo["device"])}"')
    script = script.replace("127.0.0.1:9000", f"127.0.0.1:{receiver_port}")
    script = script.replace("BASE=http://localhost:8000", f"BASE={demo['base']}")
    (tmp_path / "docs").symlink_to(DOCS)  # the guide runs from a checkout's root
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(receiver_port),
    }
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + "\nkill $RECEIVER 2>/dev/null || true"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stderr}\n--- printed ---\n{run.stdout}"
    printed = run.stdout.replace(demo["base"], "http://localhost:8000")
    printed = printed.replace(f"127.0.0.1:{receiver_port}", "127.0.0.1:9000")
    outputs = re.split(r"@@guide-block-\d+@@\n", printed)[1:]
    assert len(outputs) == len(blocks), run.stdout
    return [
        (command, expected, out) for (command, expected), out in zip(blocks, outputs, strict=True)
    ]


def _payload_fields(value, path=""):
    """Every field path of a payload (`incident.trigger.numbers` and so on), lists by their
    first item; the values of `numbers` are the detector's own and vary."""
    if isinstance(value, dict):
        found = set()
        for key, inner in value.items():
            found |= {f"{path}{key}"}
            if not path.endswith("numbers."):
                found |= _payload_fields(inner, f"{path}{key}.")
        return found
    if isinstance(value, list) and value:
        return _payload_fields(value[0], path)
    return set()


def test_the_guides_run_as_written_and_print_what_they_show(demo, tmp_path):
    ran = _run_guides(demo, tmp_path, demo["receiver_port"])

    wrong = [
        f"$ {command.strip()}\n--- the guide shows ---\n{expected.strip()}\n"
        f"--- it printed ---\n{out.strip()}"
        for command, expected, out in ran
        if expected is not None and not output_matches(expected, out)
    ]
    assert wrong == [], "\n\n".join(wrong)
    assert demo["worker"].errors == []
    assert sum(expected is not None for _, expected, _ in ran) >= 15
    # the statement path of integrate.md section 5, for its webhook payload below
    _statement_published(demo)
    # an open incident that grows, for `incident.grew`'s payload below
    _incident_grew(demo)
    # a review edited on its platform, for `review.updated`'s payload below
    _review_edited(demo)

    # the payload examples of docs/webhooks.md are real deliveries of this run
    with schema_context(demo["clinic"].schema_name):
        real = {}
        for delivery in WebhookDelivery.objects.filter(subscription=demo["recorder"]).order_by(
            "pk"
        ):
            real.setdefault(delivery.event, delivery.payload)
    assert set(real) == set(WebhookEvent.values), sorted(set(WebhookEvent.values) - set(real))
    text = (DOCS / "webhooks.md").read_text()
    if os.environ.get("UPDATE_GUIDE_PAYLOADS") == "1":
        text = _PAYLOAD.sub(
            lambda m: (
                f"<!-- payload: {m.group(1)} -->\n```json\n"
                f"{json.dumps(real[m.group(1)], indent=1, ensure_ascii=False)}\n```"
            ),
            text,
        )
        (DOCS / "webhooks.md").write_text(text)
    shown = {event: json.loads(body) for event, body in _PAYLOAD.findall(text)}
    assert set(shown) == {"review.created", "review.updated", "review.scored", "incident.grew",
                          "incident.resolved", "reply.published", "statement.published",
                          "privacy_request.completed"}  # fmt: skip
    pairs = {"incident.opened": "incident.resolved", "reply.approved": "reply.published",
             "privacy_request.received": "privacy_request.completed"}  # fmt: skip
    stale = [
        event
        for event, payload in real.items()
        if _payload_fields(payload) != _payload_fields(shown[pairs.get(event, event)])
    ]
    assert stale == [], f"run UPDATE_GUIDE_PAYLOADS=1 pytest {__file__}"


def _review_edited(demo) -> None:
    """webhooks.md's g-2002 as its platform shows it later: its author edited the text and the
    rating (a poll or a push brings it), so `review.updated` says what changed."""
    with schema_context(demo["clinic"].schema_name):
        report = items_ingest(
            raw_items=[
                {"source": "google", "external_id": "g-2002", "rating": 3,
                 "text": "Waited over an hour, but they called back and apologised.",
                 "published_at": "2026-11-29T08:00:00Z", "edited_at": "2026-11-29T10:15:00Z"}
            ]
        )  # fmt: skip
    assert report.counts["updated"] == 1, report.as_dict()


def _incident_grew(demo) -> None:
    """An open incident whose severity the detectors raised since it opened, 20 minutes ago
    (past the growth alert's throttle): the next run alerts its people again and sends
    `incident.grew`."""
    with schema_context(demo["clinic"].schema_name):
        now = timezone.now()
        numbers = {"word": "refund", "count": 1, "window_hours": 24}
        incident = Incident.objects.create(
            kind="watch_word", key="refund", title="Watch word “refund”: 1 mention",
            severity="high", opened_at=now - timedelta(minutes=20), last_detected_at=now,
            trigger={"kind": "watch_word", "numbers": numbers,
                     "explanation": "1 mention in 24 h uses the watch word “refund”."},
        )  # fmt: skip
        incident.events.create(
            kind=EventKind.SEVERITY_RAISED, message="Severity raised from medium to high.",
            actor="Carewatch detectors", data={"severity_from": "medium", "severity_to": "high"},
            at=now - timedelta(minutes=5),
        )  # fmt: skip
        detectors_run(now=now)


def _statement_published(demo) -> None:
    """A statement through its approval to publication, as the guide says it goes."""
    clinic = "/clinics/riverside-dental/api/v1"
    writer_token = Client().post(
        "/api/v1/auth/token/",
        {"email": "wren.writer@brightside.example", "password": "carewatch-demo",
         "otp": totp_now(demo["writer_device"]), "name": "statement"},
        "application/json",
    ).json()["token"]  # fmt: skip
    max_token = Client().post(
        "/api/v1/auth/token/",
        {"email": "max.manager@brightside.example", "password": "carewatch-demo",
         "otp": totp_now(demo["device"]), "name": "statement"},
        "application/json",
    ).json()["token"]  # fmt: skip
    avery_token = Client().post(
        "/api/v1/auth/token/",
        {"email": "approver@riverside-dental.example", "password": "carewatch-demo",
         "name": "statement"},
        "application/json",
    ).json()["token"]  # fmt: skip
    manager = Client(HTTP_AUTHORIZATION=f"Bearer {max_token}")
    writer = Client(HTTP_AUTHORIZATION=f"Bearer {writer_token}")
    avery = Client(HTTP_AUTHORIZATION=f"Bearer {avery_token}")
    made = writer.post(
        f"{clinic}/statements/",
        {"title": "About today's delays", "body": "Our clinic runs late today because of a "
         "power cut. We are sorry for the wait. Questions: +1 555 0100."},
        "application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    for client, path in ((writer, "submit"), (manager, "approve"), (avery, "approve")):
        done = client.post(f"{clinic}/statements/{sid}/{path}/", {}, "application/json")
        assert done.status_code == 200, (path, done.content)
    published = writer.post(
        f"{clinic}/statements/{sid}/publish/",
        {"expected_version": done.json()["version"]},
        "application/json",
    )
    assert published.status_code == 200, published.content


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ('{"id":…,"a":1}', '{"id":42,"a":1}\n', True),
        ('{"id":…,"a":1}', '{"id":42,"a":2}\n', False),
        ("one\n…\nlast", "one\ntwo\nthree\nlast\n", True),
        ("one\nlast", "one\ntwo\nlast\n", False),
        ("401", "401\n", True),
    ],
)
def test_output_matching(expected, actual, matches):
    assert output_matches(expected, actual) is matches
