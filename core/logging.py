"""Structured logs: every line names the clinic (schema) it was written in."""

import json
import logging

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
