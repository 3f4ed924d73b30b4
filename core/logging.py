"""Structured logs: every line names the clinic (schema) it was written in."""

import json
import logging

from django.core.exceptions import PermissionDenied
from django.db import connection

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "clinic"}


class ClinicFilter(logging.Filter):
    """The clinic a line belongs to: the request's clinic when the record carries the request
    (django.request logs after the routing middleware has switched back to public), else the
    schema the connection is in (tasks, services), else "public"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "clinic"):
            try:
                clinic = getattr(getattr(record, "request", None), "clinic", None)
                record.clinic = (
                    clinic.schema_name
                    if clinic is not None
                    else getattr(connection, "schema_name", "public") or "public"
                )
            except Exception:  # noqa: BLE001 - logging must never raise
                record.clinic = "-"
        return True


class RefusalFilter(logging.Filter):
    """A role's refusal (`PermissionDenied`, answered 403) is an expected answer, not an error:
    Django's `django.request` logs it with the exception's traceback, which reads like a crash
    in the web log. It becomes one warning line, who and which path, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[1] if record.exc_info else None
        if not isinstance(exception, PermissionDenied):
            return True
        try:
            request = getattr(record, "request", None)
            user = getattr(request, "user", None)
            who = f"user {user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"
            record.msg = "Forbidden (refused by role): %s %s by %s"
            record.args = (
                getattr(request, "method", "-"),
                getattr(request, "path", "-"),
                who,
            )
        except Exception:  # noqa: BLE001 - logging must never raise
            record.msg, record.args = "Forbidden (refused by role)", ()
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "clinic": getattr(record, "clinic", "-"),
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key == "request":  # its repr has the query string: search terms stay out
                body["request"] = f"{getattr(value, 'method', '')} {getattr(value, 'path', '')}"
            elif key not in _STANDARD and not key.startswith("_"):
                body[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)
