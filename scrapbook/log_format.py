"""The log format, one setting for every logger: LOG_FORMAT=plain (the default) or json.

With `json` every line is one JSON object: `time` (UTC, ISO 8601), `level`, `logger`,
`message`, `pid`, an `exception` with its traceback when there is one; an access line of
uvicorn adds `client`, `method`, `path` (credentials redacted), `http_version` and
`status`, and Django's 5xx line adds `status`, `method` and `path`.

Django configures its loggers from settings.LOGGING when the application is imported, but
uvicorn configures its own before that, and its supervisor (`--workers N`) never imports
the application at all. So `python -m scrapbook.serve` also hands uvicorn
UVICORN_JSON_LOG_CONFIG (`--log-config`): its loggers then have no handler of their own
and propagate to the root logger's JSON handler, which Django's LOGGING replaces in each
worker with the same one.

No import of Django here: uvicorn's supervisor loads this module through its log config.
"""

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from .log_filters import redact_credentials

LOG_FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UVICORN_JSON_LOG_CONFIG = Path(__file__).resolve().parent / "uvicorn_json_logging.json"


def log_format(environ=os.environ) -> str:
    """LOG_FORMAT from the environment, `plain` when unset; a ValueError if unknown."""
    value = environ.get("LOG_FORMAT", "").strip().lower() or "plain"
    if value not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}.")
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in messages and tracebacks are
    escaped by the encoding)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_credentials(record.getMessage()),
            "pid": record.process,
        }
        if record.name == "uvicorn.access":
            entry.update(access_fields(record.args))
        else:
            entry.update(django_request_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def access_fields(args) -> dict:
    """The fields of uvicorn's access record, whose arguments are, as its own
    AccessFormatter reads them, (client address, method, path with query, HTTP version,
    status)."""
    if not (isinstance(args, tuple) and len(args) == 5):
        return {}
    client, method, path, http_version, status = args
    return {
        "client": client,
        "method": method,
        "path": redact_credentials(str(path)),
        "http_version": http_version,
        "status": status,
    }


def django_request_fields(record: logging.LogRecord) -> dict:
    """What Django's request logging passes along (`log_response`'s extra): the status and
    the request."""
    fields = {}
    status = getattr(record, "status_code", None)
    if isinstance(status, int):
        fields["status"] = status
    request = getattr(record, "request", None)
    method, path = getattr(request, "method", None), getattr(request, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        fields["method"] = method
        fields["path"] = redact_credentials(path)
    return fields
