"""Structured logs: one JSON object per line on stderr, for `shouwang serve` and its
workers. Every line made while a request is answered carries its request id; the request
line adds who asked, the status and the time taken. Messages never hold personal data
(callers log masked numbers and ids, never names, ID numbers, phones or query strings)."""

import json
import logging
import logging.config
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("shouwang_request_id", default=None)

# Fields a log call may add with extra={...}; everything else in a record is logging's own.
FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms", "client")
# A full ID number or mobile number that slipped into a message is masked on the way out.
_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    return _MOBILE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            # The wall clock, on purpose: log lines are when things happened, not the
            # application's (possibly frozen) clock.
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            line["request_id"] = rid
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            # A real bug: keep the traceback (one JSON string), scrubbed like the message.
            line["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def config(level: str = "INFO") -> dict[str, Any]:
    """A logging dict-config (uvicorn's log_config): everything as JSON lines on stderr,
    shouwang.* at `level` (INFO by default, so the request log and texts sent reach it)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "backend.core.logs.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "shouwang": {"level": level},
            "uvicorn": {"level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            # Query strings may carry a phone or a receipt code: our request line replaces it.
            "uvicorn.access": {"level": "WARNING"},
        },
    }
