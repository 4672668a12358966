"""Whole answers to GET requests under /api/, served again from the event loop before Django.

A cached read (scrapbook/response_cache.py) spares a request its queries, not the rest: a
thread hop, eleven middleware, DRF's dispatch and the token's checks cost the cached movie
page twice the CPU of a bare Django view (docs/PERFORMANCE.md). Here, once Django has
answered a GET whose answer it built from cached reads alone, the whole answer (status 200,
headers, body) is stored with the generation tokens those reads were built under. The same
request again is answered from the event loop with one round trip to the cache, as long as
every one of those tokens is still current: the rule `cached_value` applies, so a write
makes the stored answer stale exactly when it makes its parts stale.

Which answers may be stored is declared by each view, per action, in `stored_answers`:

- SHARED: the answer is everyone's (the catalogue): the key leaves the caller's token out;
- PER_CALLER: each caller's own (their watchlist, their feed): the key holds the token;
- ANONYMOUS: only the answer to a request without a token (a list that shows the caller's
  own likes);
- COMPOSED: the anonymous answer, and for a caller, the anonymous answer with the caller's
  own part written in (`Composition`: the movie page and its `me` block). A caller rarely
  asks for one movie's page twice, but asks for many: what is stored for them is their
  parts of every page at once (their watchlist and reviews, one entry), and a page's answer
  to them is composed from the two entries in the same one round trip.

A path whose view declares nothing goes straight to Django, as does every other method.
"The same request" is the same method, scheme, path, query string and KEYED_HEADERS, the
request headers Scrapbook reads: Host, Accept, Origin (CORS), cookies and, for answers of
each caller's own, the token, so another origin's answer is never served, nor another
user's. An answer is stored only when:

- the view said its answer is made of its cached reads alone (`answer_servable_again`:
  cached_response, the movie page, the profile), and no read of the request went without
  the cache (cache off or down) and nothing was written (`invalidate`);
- it is a 200 that sets no cookie and varies on no header outside KEYED_HEADERS;
- a request that carried a token was authenticated with it: the caller's account is one of
  the reads (deactivated, deleted or a new password: a new generation), and the stored
  answer expires with the token (`record_token_expiry`). A caller's parts (COMPOSED) are
  stored under their token and the reads they were built from, the account's among them,
  and expire with the token too.

The store (scrapbook/answer_stores.py) is the Django cache's: with REDIS_URL, Redis, where a
Lua script checks the tokens and returns the answer in the one round trip (shared by every
worker, as the generations are); otherwise the process's own cache. STORED_ANSWERS=0 turns it off;
API_CACHE_SECONDS=0 too. What a stored answer skips, besides the CPU: the views' background
refresh of a movie's IMDb details (the movie page is stored only while they are fresh), and
Django's request signals.
"""

import functools
import hashlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve

from .answer_stores import (
    ANONYMOUS_ANSWER,
    CALLER_PARTS,
    parts_entry,
    store_of_running_loop,
)

# What a view declares of its GET answers, in `stored_answers` (per action for a viewset).
SHARED = "shared"
PER_CALLER = "per-caller"
ANONYMOUS = "anonymous"
COMPOSED = "composed"

API_PREFIX = "/api/"
# The request headers that Scrapbook's middleware and views read, by name: the only ones in
# the key. Any other header (User-Agent, a proxy's X-Request-Id or X-Forwarded-For, which
# uvicorn has already made the client's address) would only split one answer into many.
KEYED_HEADERS = frozenset(
    {
        b"accept",  # DRF's content negotiation
        b"accept-language",
        b"authorization",  # the caller, for PER_CALLER answers
        b"cookie",
        b"host",  # ALLOWED_HOSTS, and the absolute URLs of pagination links
        b"origin",  # CORS
        b"x-forwarded-host",  # behind TRUSTED_PROXIES: USE_X_FORWARDED_HOST
        b"x-forwarded-port",
        b"x-forwarded-proto",  # SECURE_PROXY_SSL_HEADER
    }
)
# Answers past this size are not stored: a page of 100 movies is about 60 kB.
MAX_STORED_BYTES = 1_000_000
KEY_PREFIX = "stored-answer:"
PARTS_KEY_PREFIX = "stored-parts:"


@dataclass(frozen=True)
class Composition:
    """How a view's answer to a caller is its anonymous answer with the caller's part written
    in (COMPOSED), declared by the view as `composition`.

    The anonymous answer ends with `anonymous_end`, whose `hole` the caller's part of the
    item fills; `item` names the item from the URL's keyword arguments (None: Django
    answers). `shared_reads` are the cached reads the anonymous answer is built from,
    `caller_reads` those the caller's parts are built from (the caller's account among them).
    """

    name: str
    anonymous_end: bytes
    hole: bytes
    item: Callable[[dict], str | None]
    shared_reads: tuple[str, ...]
    caller_reads: tuple[str, ...]

    def write_in(self, anonymous_body: bytes, part: bytes) -> bytes | None:
        if not anonymous_body.endswith(self.anonymous_end):
            return None
        start = len(anonymous_body) - len(self.anonymous_end)
        return anonymous_body[:start] + self.anonymous_end.replace(self.hole, part, 1)


@dataclass(frozen=True)
class CallerParts:
    """What a view answering a caller provides for COMPOSED answers: the anonymous answer's
    body, and the caller's part of each item: `parts` (None for an item whose answer only
    Django gives, e.g. a movie the caller reviewed), `default` for every other item."""

    anonymous_body: bytes
    default: bytes = b""
    parts: dict = field(default_factory=dict)


@dataclass
class AnswerRecording:
    """What one request's reads were built from, as Django answers it."""

    generations: dict = field(default_factory=dict)  # cache key -> token
    servable: bool = False  # the view: the answer is its cached reads
    spoiled: bool = False  # a read without the cache, or a write
    token_expires_at: float | None = None  # the caller's token's `exp`
    by_read: dict = field(default_factory=dict)  # read name -> {cache key: token}
    wanted: frozenset = frozenset()  # COMPOSED: what the store lacked (ANONYMOUS_ANSWER, CALLER_PARTS)
    caller_parts: CallerParts | None = None  # COMPOSED: what the view provided of them


_recording: ContextVar[AnswerRecording | None] = ContextVar("answer_recording", default=None)


def record_generations(keys, tokens, read: str = "") -> None:
    """The read `read` of the running request was built under these generations (`tokens`
    None: without the cache)."""
    recording = _recording.get()
    if recording is None:
        return
    if tokens is None:
        recording.spoiled = True
    else:
        recording.generations.update(zip(keys, tokens, strict=True))
        recording.by_read.setdefault(read, {}).update(zip(keys, tokens, strict=True))


def caller_parts_wanted() -> frozenset:
    """What the store lacks of the running COMPOSED request's answer (ANONYMOUS_ANSWER,
    CALLER_PARTS): what `record_caller_parts` is asked to provide."""
    recording = _recording.get()
    return frozenset() if recording is None else recording.wanted


def record_caller_parts(anonymous_body: bytes, parts: Callable[[], tuple[bytes, dict] | None]) -> None:
    """The running COMPOSED request's anonymous answer, and `parts()`: the caller's part of
    every item, `(default, {item: part or None})`, or None when the view cannot tell them all
    (called only when the store lacks them)."""
    recording = _recording.get()
    if recording is None or not recording.wanted:
        return
    provided = CallerParts(anonymous_body)
    if CALLER_PARTS in recording.wanted:
        built = parts()
        if built is not None:
            provided = CallerParts(anonymous_body, *built)
    recording.caller_parts = provided


def record_write() -> None:
    """The running request wrote: its answer is no read."""
    recording = _recording.get()
    if recording is not None:
        recording.spoiled = True


def record_token_expiry(expires_at) -> None:
    """The caller's access token, verified, expires at `expires_at` (seconds since the epoch)."""
    recording = _recording.get()
    if recording is not None and expires_at is not None:
        recording.token_expires_at = float(expires_at)


def answer_servable_again() -> None:
    """The view's answer is made of the cached reads it made, and of nothing else."""
    recording = _recording.get()
    if recording is not None:
        recording.servable = True


def enabled() -> bool:
    return settings.STORED_ANSWERS and settings.API_CACHE_SECONDS > 0


@functools.lru_cache(maxsize=10_000)
def declared_for(path: str) -> str | None:
    """What the view of `path` declares of its GET answers (SHARED, PER_CALLER, ANONYMOUS),
    or None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    declared = getattr(view_class, "stored_answers", None)
    if isinstance(declared, dict):  # a viewset's, by action
        declared = declared.get((getattr(match.func, "actions", None) or {}).get("get"))
    return declared


@functools.lru_cache(maxsize=10_000)
def composition_for(path: str) -> tuple[Composition, dict] | None:
    """The composition the view of `path` declares, with the URL's keyword arguments."""
    match = resolve(path)
    view_class = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    composition = getattr(view_class, "composition", None)
    return None if composition is None else (composition, match.kwargs)


@receiver(setting_changed)
def forget_declarations(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        declared_for.cache_clear()
        composition_for.cache_clear()


def request_key(scope) -> tuple[str, str] | None:
    """The stored answer's key for this request and what its view declares; None for a
    request never answered so."""
    path = scope["path"]
    if scope["method"] != "GET" or not path.startswith(API_PREFIX):
        return None
    declared = declared_for(path)
    if declared is None:
        return None
    digest = hashlib.blake2b(digest_size=20)
    for part in (scope.get("scheme", "http"), scope.get("root_path", ""), path):
        digest.update(part.encode() + b"\0")
    digest.update(scope.get("query_string", b"") + b"\0")
    for name, value in sorted(scope["headers"]):
        name = name.lower()
        if name in (b"content-length", b"transfer-encoding"):
            return None  # a GET with a body: Django's to answer
        if name == b"authorization":
            if declared == ANONYMOUS:
                return None
            if declared in (SHARED, COMPOSED):
                continue  # the same answer whoever asks; a COMPOSED one, the anonymous answer
        if name in KEYED_HEADERS:
            digest.update(name + b":" + value + b"\0")
    return KEY_PREFIX + digest.hexdigest(), declared


def _authorization(scope) -> bytes | None:
    """The Authorization header as Django reads it: several are joined with commas (and no
    token then authenticates anyone)."""
    values = [value for name, value in scope["headers"] if name.lower() == b"authorization"]
    return b",".join(values) if values else None


def parts_key(composition: Composition, authorization: bytes) -> str:
    """Where a caller's parts are stored: under their token (the Authorization header)."""
    digest = hashlib.blake2b(composition.name.encode() + b"\0" + authorization, digest_size=20)
    return PARTS_KEY_PREFIX + digest.hexdigest()


def _with_content_length(headers: list, length: int) -> list:
    return [[name, value] for name, value in headers if name.lower() != "content-length"] + [
        ["content-length", str(length)]
    ]


def _storable_headers(headers, keyed=KEYED_HEADERS) -> list | None:
    """The answer's headers as stored, or None when the answer must not be stored: it sets a
    cookie, or varies on a request header outside the key (`keyed`)."""
    stored = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"set-cookie":
            return None
        if lowered == b"vary":
            varies_on = {part.strip().lower().encode() for part in value.decode("latin-1").split(",")}
            if not varies_on <= keyed:  # "*" included
                return None
        stored.append([name.decode("latin-1"), value.decode("latin-1")])
    return stored


def _generations_of(recording: AnswerRecording, reads: tuple[str, ...]) -> dict | None:
    """The generations the reads `reads` of the request were built under; None unless each made."""
    if any(read not in recording.by_read for read in reads):
        return None
    return {key: token for read in reads for key, token in recording.by_read[read].items()}


class StoredAnswers:
    """ASGI middleware: stored answers to GET requests under /api/, before `app` (Django)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        keyed = request_key(scope) if scope["type"] == "http" and enabled() else None
        if keyed is None:
            return await self.app(scope, receive, send)
        key, declared = keyed
        store = store_of_running_loop()
        if declared == COMPOSED and (authorization := _authorization(scope)) is not None:
            return await self._compose(store, key, authorization, scope, receive, send)
        found = await store.answer(key)
        if found is not None:
            await self._send(send, *found)
            return
        await self._answer_and_store(store, key, declared, scope, receive, send)

    async def _compose(self, store, key, authorization, scope, receive, send):
        """A caller's COMPOSED answer: the anonymous answer with their part written in, or
        Django's, from which what the store lacked is stored."""
        composition, url_kwargs = composition_for(scope["path"])
        item = composition.item(url_kwargs)
        callers_key = parts_key(composition, authorization)
        wanted = frozenset({ANONYMOUS_ANSWER, CALLER_PARTS})
        if item is not None:
            found = await store.composed(key, callers_key, item)
            if isinstance(found, tuple):
                headers, anonymous_body, part = found
                body = composition.write_in(anonymous_body, part)
                if body is not None:
                    await self._send(send, _with_content_length(headers, len(body)), body)
                    return
            else:
                wanted = found
        recording = AnswerRecording(wanted=wanted)
        answer = await self._answer(recording, scope, receive, send)
        provided = recording.caller_parts
        if answer["status"] != 200 or provided is None or not recording.servable or recording.spoiled:
            return
        if ANONYMOUS_ANSWER in wanted and composition.write_in(provided.anonymous_body, b"") is not None:
            generations = _generations_of(recording, composition.shared_reads)
            headers = _storable_headers(answer["headers"], KEYED_HEADERS - {b"authorization"})
            if generations and headers is not None:
                headers = _with_content_length(headers, len(provided.anonymous_body))
                seconds = float(settings.API_CACHE_SECONDS)
                await store.store(key, generations, headers, provided.anonymous_body, seconds)
        seconds = self._seconds_to_keep(scope, PER_CALLER, recording)
        generations = _generations_of(recording, composition.caller_reads)
        if CALLER_PARTS in wanted and provided.default and seconds is not None and generations:
            entry = parts_entry(provided.default, provided.parts)
            if entry is not None and len(entry) <= MAX_STORED_BYTES:
                await store.store_parts(callers_key, generations, entry, seconds)

    @staticmethod
    async def _send(send, headers: list, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, recording: AnswerRecording, scope, receive, send) -> dict:
        """Django's answer, sent as it comes, with what it was built from in `recording`."""
        answer = {"status": None, "headers": None, "body": [], "size": 0}

        async def send_and_keep(message):
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body" and answer["size"] <= MAX_STORED_BYTES:
                answer["body"].append(message.get("body", b""))
                answer["size"] += len(message.get("body", b""))
            await send(message)

        token = _recording.set(recording)
        try:
            await self.app(scope, receive, send_and_keep)
        finally:
            _recording.reset(token)
        return answer

    async def _answer_and_store(self, store, key, declared, scope, receive, send):
        recording = AnswerRecording()
        answer = await self._answer(recording, scope, receive, send)
        seconds = self._seconds_to_keep(scope, declared, recording)
        if answer["status"] != 200 or seconds is None or answer["size"] > MAX_STORED_BYTES:
            return
        keyed = KEYED_HEADERS - {b"authorization"} if declared == SHARED else KEYED_HEADERS
        headers = _storable_headers(answer["headers"], keyed)
        if headers is not None:
            await store.store(key, recording.generations, headers, b"".join(answer["body"]), seconds)

    @staticmethod
    def _seconds_to_keep(scope, declared: str, recording: AnswerRecording) -> float | None:
        if not recording.servable or recording.spoiled or not recording.generations:
            return None
        seconds = float(settings.API_CACHE_SECONDS)
        if declared == PER_CALLER:
            if recording.token_expires_at is None:
                return None  # no token, or one that did not authenticate the caller
            seconds = min(seconds, recording.token_expires_at - time.time())
        return seconds if seconds >= 1 else None
