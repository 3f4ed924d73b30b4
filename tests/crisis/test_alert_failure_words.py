"""When an alert could not be delivered, the incident's timeline (the room, the API) says why
in words a manager understands ("the mail server did not answer", "Slack refused the message
(HTTP 403)"), never a Python exception's name; the exception stays in the log for the
engineers. The chat channels answer from a local fake, the mail server from a local socket."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.models import EventKind, IncidentEvent
from crisis.services import (
    incident_notify_opened,
    incidents_escalate_due,
)
from crisis.services.alerting import chat_webhook_set
from tests.crisis.conftest import NOW, acting
from tests.crisis.fake_chat import FakeChat

MIN = timedelta(minutes=1)
# what a person must never read on a timeline
TECHNICAL = ("Error", "Exception", "SMTP", "URLError", "ConnectError", "Timeout")


@pytest.fixture
def fake_chat():
    chat = FakeChat().start()
    yield chat
    chat.stop()


class FakeSmtp:
    """A mail server on 127.0.0.1 that misbehaves: `silent` accepts and never answers;
    `refuses-sign-in` greets, offers AUTH and refuses every sign-in."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.mode == "silent":
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        try:
            conn.sendall(b"220 mail.test ready\r\n")
            for line in conn.makefile("rb"):
                verb = line.split(b" ", 1)[0].strip().upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n")
                elif verb == b"AUTH":
                    conn.sendall(b"535 5.7.8 Authentication credentials invalid\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return

    def stop(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_server(settings):
    """Point Django's SMTP backend at a local server that behaves as asked."""
    servers = []

    def _use(mode: str) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 0.5
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
        if mode == "closed":
            settings.EMAIL_PORT = _closed_port()
            return
        server = FakeSmtp(mode)
        servers.append(server)
        settings.EMAIL_PORT = server.port
        if mode == "refuses-sign-in":
            settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "carewatch", "wrong"

    yield _use
    for server in servers:
        server.stop()


def _failed(incident) -> list[str]:
    with schema_context("clinic_clinic_a"):
        return list(
            IncidentEvent.objects.filter(incident=incident, kind=EventKind.NOTIFY_FAILED)
            .order_by("pk")
            .values_list("message", flat=True)
        )


def _plain(text: str) -> None:
    for word in TECHNICAL:
        assert word not in text, (word, text)


@pytest.mark.parametrize(
    ("mode", "words", "logged"),
    [
        pytest.param("silent", "the mail server did not answer", "TimeoutError", id="no-answer"),
        pytest.param(
            "closed", "the mail server could not be reached", "ConnectionRefusedError",
            id="unreachable",
        ),
        pytest.param(
            "refuses-sign-in",
            "the mail server refused Carewatch's sign-in (its mail settings need checking)",
            "SMTPAuthenticationError", id="sign-in-refused",
        ),
    ],
)  # fmt: skip
def test_alert_emails_that_did_not_go_say_why_in_words_and_log_the_exception(
    clinic_a, incident, mail_server, mode, words, logged, caplog, login,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    mail_server(mode)
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    [message] = _failed(incident)
    assert message.startswith(f"Alert e-mails not sent: {words}. In-app: ")
    _plain(message)
    # the engineers find the exception in the log
    assert logged in caplog.text
    # the room and the API say the same words
    manager = login("alpha_manager")
    room = manager.get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert f"Alert e-mails not sent: {words.replace(chr(39), '&#x27;')}." in room
    detail = manager.get(f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/").json()
    [event] = [e for e in detail["timeline"] if e["kind"] == EventKind.NOTIFY_FAILED]
    assert event["message"] == message


def test_an_escalation_email_that_did_not_go_says_why_in_words(
    clinic_a, incident, mail_server, caplog, django_capture_on_commit_callbacks
):
    mail_server("silent")
    with django_capture_on_commit_callbacks(execute=True), schema_context(clinic_a.schema_name):
        assert [i.pk for i in incidents_escalate_due(now=NOW + 15 * MIN)] == [incident.pk]
    assert _failed(incident) == ["Escalation e-mails not sent: the mail server did not answer."]
    assert "TimeoutError" in caplog.text


def test_chat_channels_that_refused_or_could_not_be_reached_say_so_in_words(
    clinic_a, world, incident, fake_chat, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    # given the agency's Slack webhook, deleted on Slack's side, and the clinic's Teams
    # webhook at an address where nothing answers
    chat_webhook_set(
        agency_id=clinic_a.agency_id, clinic=None, kind="slack",
        url=f"{fake_chat.base_url}/slack", actor=acting("test"),
    )  # fmt: skip
    chat_webhook_set(
        agency_id=clinic_a.agency_id, clinic=clinic_a, kind="teams",
        url=f"http://127.0.0.1:{_closed_port()}/teams", actor=acting("test"),
    )  # fmt: skip
    fake_chat.answers["/slack"] = (403, "invalid_token", 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    assert sorted(_failed(incident)) == [
        "Microsoft Teams (clinic channel): not posted — Microsoft Teams could not be reached (a "
        "wrong address, or it or the network is down).",
        "Slack (agency channel): not posted — Slack refused the message (HTTP 403).",
    ]
    for message in _failed(incident):
        _plain(message)
    with schema_context("clinic_clinic_a"):
        outcomes = sorted(
            e.data["outcome"] for e in IncidentEvent.objects.filter(data__has_key="chat")
        )
    assert all("Error" not in o for o in outcomes)
    # the engineers' log keeps the technical reason
    assert "ConnectError" in caplog.text and "HTTP 403 invalid_token" in caplog.text
    # the e-mails still went
    assert len(mailoutbox) == 4
