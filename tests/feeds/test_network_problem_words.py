"""A platform that cannot be reached is said in words on the sources page ("Could not connect to
yelp: the address could not be found (DNS)"), never a Python exception's name ("gaierror")
(walk-through 3, F8)."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl

import pytest

from feeds.connectors.errors import TransientError
from feeds.connectors.http import HttpOptions, JsonHttpClient, network_problem_words


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (socket.gaierror(-2, "Name or service not known"), "the address could not be found (DNS)"),
        (TimeoutError("timed out"), "the wait for it ran out (timeout)"),
        (ConnectionRefusedError(111, "Connection refused"), "the connection was refused"),
        (ConnectionResetError(104, "reset"), "the connection was cut off"),
        (http.client.RemoteDisconnected("closed"), "the connection was closed without an answer"),
        (ssl.SSLCertVerificationError("bad cert"),
         "its security certificate could not be verified (TLS)"),
        (ssl.SSLError("handshake"), "the secure connection failed (TLS)"),
        (http.client.BadStatusLine("???"), "its answer could not be read"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "the network could not reach it"),
        (OSError(errno.EPERM, "odd"), "a network error"),
    ],
    ids=["dns", "timeout", "refused", "reset", "closed", "certificate", "tls", "bad-answer",
         "unreachable", "other"],
)  # fmt: skip
def test_network_problems_are_said_in_words(exc, words):
    assert network_problem_words(exc) == words


@pytest.mark.parametrize(
    ("where", "exc", "message"),
    [
        ("connect", socket.gaierror(-2, "Name or service not known"),
         "Could not connect to yelp: the address could not be found (DNS)"),
        ("request", TimeoutError("timed out"),
         "yelp did not answer: the wait for it ran out (timeout)"),
    ],
    ids=["dns-on-connect", "timeout-on-request"],
)  # fmt: skip
def test_the_source_error_names_no_exception_class(monkeypatch, where, exc, message):
    def fail(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr(http.client.HTTPConnection, where, fail)
    if where == "request":
        monkeypatch.setattr(http.client.HTTPConnection, "connect", lambda self: None)
    client = JsonHttpClient(
        "http://api.yelp.invalid/",
        platform="yelp",
        classify=lambda info: TransientError("unused", platform="yelp"),
        options=HttpOptions(max_retries=0, sleep=lambda _s: None),
    )

    with pytest.raises(TransientError) as failed:
        client.request("GET", "businesses/x/reviews")

    assert str(failed.value).startswith(message)
    assert type(exc).__name__ not in str(failed.value)
