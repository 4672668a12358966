"""Keep credentials out of log lines, and each request to one line.

socket.io-client may send its access token as `?token=` in the URL, and uvicorn's access
log writes every URL with its query string.
"""

import logging
import re

CREDENTIAL_IN_QUERY = re.compile(r"(?i)([?&](?:token|access|refresh|access_token|password)=)[^&\s\"]*")


def redact_credentials(text: str) -> str:
    return CREDENTIAL_IN_QUERY.sub(r"\1[redacted]", text)


class RedactCredentials(logging.Filter):
    """Redact credentials from a record's message and arguments (uvicorn's access log passes
    the URL as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_credentials(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_credentials(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def install_credential_redaction(*logger_names: str) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
            logger.addFilter(RedactCredentials())


class SkipClientErrorResponses(logging.Filter):
    """Drop Django's line for a response below 500: uvicorn's access line already says it.

    Django logs every 4xx response it makes (`django.request` at WARNING, `django.security.*`
    at ERROR for a suspicious request such as a bad Host header), so a 404 was two lines,
    and scanners' probes doubled the log. Those records carry `status_code`; a 5xx keeps its
    line, with its traceback. A filter on the handler rather than a level on the loggers,
    because `django.security.*` says ERROR for a 400 too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (isinstance(status, int) and status < 500 and record.name.startswith("django."))
