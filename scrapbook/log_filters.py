"""Keep credentials out of log lines.

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
