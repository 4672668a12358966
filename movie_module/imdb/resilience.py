"""Thread-safe building blocks of the client: circuit breaker, token bucket, single-flight.

All three live in the process (uvicorn runs sync views in threads). The breaker is per
process on purpose: it reacts to what this process sees without a cache round-trip per call,
and keeps working when Redis is the thing that is down; with W workers at most W x threshold
calls fail before every worker has stopped calling.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from .errors import ImdbCircuitOpen

T = TypeVar("T")


class CircuitBreaker:
    """Closed, it lets calls through and counts consecutive failures. At `threshold` it opens:
    calls are refused for `cooldown_seconds`. Then it is half-open: one trial call goes
    through; its success closes the breaker, its failure opens it again.
    """

    def __init__(
        self, *, threshold: int, cooldown_seconds: float, clock: Callable[[], float] = time.monotonic
    ):
        self.threshold = max(1, threshold)
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started_at: float | None = None

    @property
    def state(self) -> str:
        """'closed', 'open' or 'half_open'."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half_open" if self._trial_allowed(self._clock()) else "open"

    def before_call(self) -> None:
        """Let a call through, or raise `ImdbCircuitOpen`."""
        with self._lock:
            if self._opened_at is None:
                return
            now = self._clock()
            if not self._trial_allowed(now):
                raise ImdbCircuitOpen(
                    f"IMDb API calls paused after {self._failures} consecutive failures; "
                    f"retrying after a {self.cooldown_seconds:g} s cool-down"
                )
            self._trial_started_at = now

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_started_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_started_at = None
            if self._failures >= self.threshold:
                self._opened_at = self._clock()

    def _trial_allowed(self, now: float) -> bool:
        if now < self._opened_at + self.cooldown_seconds:
            return False
        # One trial at a time; a trial that never reported back frees the slot after a cool-down.
        return self._trial_started_at is None or now >= self._trial_started_at + self.cooldown_seconds


class TokenBucket:
    """Paces calls to `rate` per second with bursts of up to `burst`, first come first served."""

    def __init__(self, *, rate: float, burst: float = 1, clock: Callable[[], float] = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def acquire(self, timeout: float) -> bool:
        """Take a token, sleeping until one is due; False (nothing taken) if that is past `timeout`."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            # Reserve the token now (the balance may go negative) so waiters are served in order.
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > timeout:
                return False
            self._tokens -= 1
        if wait > 0:
            time.sleep(wait)
        return True


class SingleFlight:
    """Concurrent calls for one key share one execution: the first runs, the others wait for
    its result (or its exception)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[str, Future] = {}

    def run(self, key: str, function: Callable[[], T], *, wait_seconds: float) -> T:
        """`function()`'s result, computed once for all concurrent callers of `key`.

        A caller that waited more than `wait_seconds` for another's result gets `TimeoutError`.
        """
        with self._lock:
            future = self._calls.get(key)
            leader = future is None
            if leader:
                future = self._calls[key] = Future()
        if not leader:
            return future.result(timeout=wait_seconds)
        try:
            result = function()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._calls[key]
