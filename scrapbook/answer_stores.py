"""Where stored answers are kept (scrapbook/stored_answers.py): the Django cache's Redis,
read in one round trip by a Lua script that checks the generations where they are, or the
process's own cache without Redis. An answer's entry is stored with the generation tokens it
was built under, and read back only while they are all current; a caller's parts (COMPOSED)
are one entry too, read with the anonymous answer they are written into.
"""

import asyncio
import json
import logging
import time
import weakref

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

from .internals.django_redis_cache import raw_redis_value

logger = logging.getLogger(__name__)

# What a composed answer's request found missing or stale in the store, for Django's answer
# to provide (`AnswerRecording.wanted`).
ANONYMOUS_ANSWER = "anonymous answer"
CALLER_PARTS = "caller's parts"


def parts_entry(default: bytes, parts: dict) -> bytes | None:
    """The caller's parts as stored: the default part, then a line `<item>\t<part>` for each
    item (an empty part: Django answers); None when one cannot be stored so."""
    lines = [default]
    for item, part in parts.items():
        line = item.encode() + b"\t" + (part or b"")
        lines.append(line)
    if any(b"\n" in line for line in lines) or any(b"\t" in item.encode() for item in parts):
        return None
    return b"\n".join(lines)


def part_of(entry: bytes, item: str) -> bytes | None:
    """The item's part in a stored parts entry (`parts_entry`), b"" for Django's."""
    default, _, lines = entry.partition(b"\n")
    needle = b"\n" + item.encode() + b"\t"
    at = (b"\n" + lines).find(needle)
    if at < 0:
        return default
    start = at + len(needle) - 1
    end = lines.find(b"\n", start)
    return lines[start : None if end < 0 else end]


class CacheAnswerStore:
    """Stored answers in the process's own Django cache (local memory)."""

    def __init__(self, cache):
        self.cache = cache

    async def answer(self, key: str):
        stored = self.cache.get(key)
        if stored is None:
            return None
        generations, headers, body = stored
        current = self.cache.get_many(list(generations))
        if any(current.get(name) != token for name, token in generations.items()):
            return None
        return headers, body

    async def store(self, key: str, generations: dict, headers: list, body: bytes, seconds: float):
        self.cache.set(key, (generations, headers, body), timeout=seconds)

    async def composed(self, key: str, parts_key: str, item: str):
        """`(headers, anonymous body, the item's part)` while both entries are current; else
        what is missing or stale ({ANONYMOUS_ANSWER, CALLER_PARTS}; empty: the item's part
        is Django's to give)."""
        stored = self.cache.get_many([key, parts_key])
        missing = set()
        for name, label in ((key, ANONYMOUS_ANSWER), (parts_key, CALLER_PARTS)):
            entry = stored.get(name)
            if entry is None:
                missing.add(label)
                continue
            current = self.cache.get_many(list(entry[0]))
            if any(current.get(generation) != token for generation, token in entry[0].items()):
                missing.add(label)
        if missing:
            return frozenset(missing)
        part = part_of(stored[parts_key][1], item)
        if not part:
            return frozenset()
        _, headers, body = stored[key]
        return headers, body, part

    async def store_parts(self, parts_key: str, generations: dict, entry: bytes, seconds: float):
        self.cache.set(parts_key, (generations, entry), timeout=seconds)


# The tokens compared where the generations are, in the one round trip: an entry is
# "<generation keys>\n<their tokens>\n<value>", each list separated by spaces; `current`
# returns its value while every token is current, else false.
_CURRENT_ENTRY = """
local function current(entry)
  if not entry then return false end
  local keys_end = string.find(entry, '\\n', 1, true)
  local tokens_end = string.find(entry, '\\n', keys_end + 1, true)
  local names = {}
  for name in string.gmatch(string.sub(entry, 1, keys_end - 1), '%S+') do names[#names + 1] = name end
  local tokens = redis.call('MGET', unpack(names))
  for position = 1, #names do
    if not tokens[position] then return false end
  end
  if table.concat(tokens, ' ') ~= string.sub(entry, keys_end + 1, tokens_end - 1) then return false end
  return string.sub(entry, tokens_end + 1)
end
"""
# A stored answer (KEYS[1]): "<headers as JSON>\n<body>" while current.
_ANSWER_IF_CURRENT = _CURRENT_ENTRY + "return current(redis.call('GET', KEYS[1]))\n"
# A composed answer (COMPOSED): the anonymous answer's entry (KEYS[1]) and the caller's parts'
# entry (KEYS[2], whose value is "<default part>\n<item>\t<part>\n..."), and the part of the
# item ARGV[1]. Returns {answer, part}, or what is missing or stale: 1 the anonymous answer,
# 2 the parts, 3 both, 0 neither (the item's part is empty: Django answers).
_COMPOSED_IF_CURRENT = (
    _CURRENT_ENTRY
    + """
local answer = current(redis.call('GET', KEYS[1]))
local parts = current(redis.call('GET', KEYS[2]))
if not answer or not parts then
  return (answer and 0 or 1) + (parts and 0 or 2)
end
local default_end = string.find(parts, '\\n', 1, true) or (#parts + 1)
local part = string.sub(parts, 1, default_end - 1)
local needle = '\\n' .. ARGV[1] .. '\\t'
local at = string.find(parts, needle, 1, true)
if at then
  local start = at + #needle
  local stop = string.find(parts, '\\n', start, true) or (#parts + 1)
  part = string.sub(parts, start, stop - 1)
end
if part == '' then return 0 end
return {answer, part}
"""
)


class RedisAnswerStore:
    """Stored answers in the Django cache's Redis, read with redis-py's asyncio client.

    The script reads generation keys it is not given as KEYS: fine on one Redis server
    (Scrapbook's deployment), not on a Redis Cluster.
    """

    retry_after_seconds = 5.0

    def __init__(self, cache: RedisCache):
        import redis.asyncio

        self.cache = cache
        location = settings.CACHES["default"]["LOCATION"]
        url = location if isinstance(location, str) else location[0]
        self.client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.script = self.client.register_script(_ANSWER_IF_CURRENT)
        self.composed_script = self.client.register_script(_COMPOSED_IF_CURRENT)
        self.down_until = 0.0

    async def answer(self, key: str):
        if self.down_until > time.monotonic():
            return None
        try:
            found = await self.script(keys=[self.cache.make_key(key)])
        except Exception as error:  # any failure: Django answers, as without this store
            self._mark_down(error)
            return None
        if found is None:
            return None
        head, _, body = found.partition(b"\n")
        return json.loads(head), body

    async def store(self, key: str, generations: dict, headers: list, body: bytes, seconds: float):
        await self._set(key, generations, json.dumps(headers).encode() + b"\n" + body, seconds)

    async def composed(self, key: str, parts_key: str, item: str):
        """As CacheAnswerStore.composed, in one round trip."""
        if self.down_until > time.monotonic():
            return frozenset({ANONYMOUS_ANSWER, CALLER_PARTS})
        try:
            found = await self.composed_script(
                keys=[self.cache.make_key(key), self.cache.make_key(parts_key)], args=[item]
            )
        except Exception as error:  # any failure: Django answers, as without this store
            self._mark_down(error)
            return frozenset({ANONYMOUS_ANSWER, CALLER_PARTS})
        if isinstance(found, int):
            return frozenset(
                label for bit, label in ((1, ANONYMOUS_ANSWER), (2, CALLER_PARTS)) if found & bit
            )
        answer, part = found
        head, _, body = answer.partition(b"\n")
        return json.loads(head), body, part

    async def store_parts(self, parts_key: str, generations: dict, entry: bytes, seconds: float):
        await self._set(parts_key, generations, entry, seconds)

    async def _set(self, key: str, generations: dict, value: bytes, seconds: float):
        """Store `value` under `key` after the generations it is current under (the scripts' format)."""
        if self.down_until > time.monotonic():
            return
        names = [self.cache.make_key(name) for name in generations]
        tokens = [raw_redis_value(token) for token in generations.values()]
        if None in tokens or any(b" " in name.encode() or b"\n" in name.encode() for name in names):
            return
        entry = b"\n".join([" ".join(names).encode(), b" ".join(tokens), value])
        try:
            await self.client.set(self.cache.make_key(key), entry, px=max(1, int(seconds * 1000)))
        except Exception as error:
            self._mark_down(error)

    def _mark_down(self, error) -> None:
        if self.down_until <= time.monotonic():
            logger.warning("Stored answers unreachable in Redis, Django answers: %s", error)
        self.down_until = time.monotonic() + self.retry_after_seconds


# The store of each event loop: an asyncio Redis client belongs to the loop it was made on.
# Made once per loop, not looked up per request: `caches["default"]` builds a cache object
# in each new asyncio context, about 45 µs, a tenth of what a stored answer costs.
_stores = weakref.WeakKeyDictionary()


def store_of_running_loop() -> CacheAnswerStore | RedisAnswerStore:
    loop = asyncio.get_running_loop()
    store = _stores.get(loop)
    if store is None:
        cache = caches["default"]
        store = RedisAnswerStore(cache) if isinstance(cache, RedisCache) else CacheAnswerStore(cache)
        _stores[loop] = store
    return store


@receiver(setting_changed)
def forget_stores(setting, **kwargs):
    if setting == "CACHES":
        _stores.clear()
