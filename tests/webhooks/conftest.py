from __future__ import annotations

import socket

import pytest
from django.db import connection

from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def local_targets_allowed(settings):
    """Deliveries go to a receiver on 127.0.0.1; the SSRF tests turn this off."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    endpoint = Receiver().start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture
def queued(monkeypatch):
    """Delivery tasks queued (delivery id, schema it was queued in) instead of sent to Redis."""
    from webhooks.tasks import delivery_attempt_task

    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        delivery_attempt_task,
        "apply_async",
        lambda args, **kw: calls.append((args[0], connection.schema_name)),
    )
    return calls


@pytest.fixture
def dns(monkeypatch):
    """dns({"hooks.example": "93.184.216.34", "both.example": [a, b]}): host names resolve to
    these addresses (others as usual)."""
    real = socket.getaddrinfo

    def install(table: dict[str, str | list[str]]):
        def fake(host, port, *args, **kwargs):
            if host not in table:
                return real(host, port, *args, **kwargs)
            found = table[host] if isinstance(table[host], list) else [table[host]]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in found
            ]

        monkeypatch.setattr(socket, "getaddrinfo", fake)

    return install
