"""What the IMDb client raises. Callers catch `ImdbUnavailable` and answer from what is stored.

No message ever holds the API key: they are built from paths and status codes only, and
the underlying `requests` exceptions (whose request objects carry the headers) are not chained.
"""


class ImdbError(Exception):
    """Base class of the IMDb client's errors."""


class ImdbUnavailable(ImdbError):
    """The API cannot answer now (down, slow, refusing the key, or the circuit is open)."""


class ImdbCircuitOpen(ImdbUnavailable):
    """Recent calls failed, so the client is not calling the API until the cool-down passes."""


class ImdbRateLimited(ImdbUnavailable):
    """The API kept answering 429, or asked to wait longer than the call's time budget."""


class ImdbAuthenticationFailed(ImdbUnavailable):
    """The API refused the key (401/403): a configuration problem, never retried."""
