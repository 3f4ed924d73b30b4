"""Black-box finding: every 403 (a role's refusal, `PermissionDenied`) wrote a whole traceback
to the web log, which reads like an error. It is now one warning line: who, and which path."""

from __future__ import annotations

import logging
import sys

from core.logging import RefusalFilter

PEOPLE = "/agency/settings/people/"


def test_a_roles_refusal_is_logged_as_one_warning_line_without_a_traceback(login, world, caplog):
    writer = world.users["alpha_writer"]
    client = login("alpha_writer")

    with caplog.at_level(logging.DEBUG, logger="django.request"):
        answer = client.post(PEOPLE, {"action": "add", "email": "x@alpha.test", "role": "writer"})

    assert answer.status_code == 403
    lines = [r for r in caplog.records if r.name == "django.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (f"Forbidden (refused by role): POST {PEOPLE} by user {writer.pk}")
    assert line.exc_info is None and line.exc_text is None
    assert "Traceback" not in caplog.text


def test_other_failures_keep_their_traceback(caplog):
    # a 500's record is not touched by the filter (its traceback is what explains it)
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (),
            sys.exc_info(),
        )  # fmt: skip
    assert RefusalFilter().filter(record) is True
    assert record.exc_info is not None and record.levelno == logging.ERROR
