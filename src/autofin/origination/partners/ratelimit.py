"""Per-partner rate limits as token buckets: in Redis when configured (shared by every process), else in memory.

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute / 60`` tokens a second; a request takes one
token or is refused with the seconds until the next token (Retry-After).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


class Limiter(Protocol):
    def take(self, key: str, per_minute: int) -> Verdict: ...


def _refill(tokens: float, last: float, now: float, per_minute: int) -> float:
    return min(float(per_minute), tokens + max(0.0, now - last) * per_minute / 60.0)


def _wait(tokens: float, per_minute: int) -> int:
    return max(1, math.ceil((1.0 - tokens) * 60.0 / per_minute))


class MemoryLimiter:
    """Buckets in this process (the embedded default)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, per_minute: int) -> Verdict:
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            tokens = _refill(tokens, last, now, per_minute)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return Verdict(True)
            self._buckets[key] = (tokens, now)
            return Verdict(False, _wait(tokens, per_minute))


# KEYS[1] bucket; ARGV: capacity (= per minute), refill per second, now in ms. Returns {allowed, wait ms}.
_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + math.max(0, now - ts) / 1000.0 * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, wait}
"""


class RedisLimiter:
    """Buckets in Redis, updated atomically by one Lua script (the server's clock-free: we pass our time)."""

    def __init__(self, url: str, prefix: str = "autofin:partner-rate:") -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(_SCRIPT)
        self._prefix = prefix

    def take(self, key: str, per_minute: int) -> Verdict:
        now_ms = int(time.time() * 1000)
        allowed, wait_ms = self._script(keys=[self._prefix + key], args=[per_minute, per_minute / 60.0, now_ms])
        if int(allowed):
            return Verdict(True)
        return Verdict(False, max(1, math.ceil(int(wait_ms) / 1000)))


def make_limiter(redis_url: str, prefix: str = "autofin:partner-rate:") -> Limiter:
    return RedisLimiter(redis_url, prefix=prefix) if redis_url else MemoryLimiter()
