"""The app's one rate limiter (the `limits` library, its storage named by the settings):
a request is counted against every limit that applies to it, or refused with 429 and
Retry-After. The public report form, the status look-up and API clients use it."""

import logging
import math
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from limits import parse
from limits.errors import StorageError as LimitsError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.core.errors import RETRY_SOON, TooMany, Unavailable
from backend.core.settings import get_settings

log = logging.getLogger("shouwang.limits")


class _SweptMemory(MemoryStorage):
    """limits' in-process storage, its sweep of expired counts started at most once a
    second. The library starts a Timer thread 10 ms after any count, which walks every key:
    with each self-report from a new phone and network (new keys each), nearly every report
    started a thread and walked thousands of keys (2.1 ms of CPU a report in a loop of
    3,000; 0.2 ms with this). A count is judged by its own time, so a later sweep only
    frees memory later."""

    SWEEP_SECONDS = 1.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the library's private hook
        now = time.monotonic()
        if now >= self._next_sweep and not self.timer.is_alive():
            self._next_sweep = now + self.SWEEP_SECONDS
            self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


@lru_cache
def _storage(uri: str) -> Storage:
    if uri.startswith("memory"):
        return _SweptMemory()
    # wrap_exceptions: a Redis that went away raises limits' StorageError, not redis' own.
    return storage_from_string(uri, wrap_exceptions=True)


def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage(get_settings().rate_limit_storage))


def admit(
    checks: list[tuple[str, str, str]],
    refuse: Callable[[str, int], TooMany],
    *,
    unavailable: str = "服务器暂时无法处理,请稍后再试",
) -> None:
    """Count one request against every (rule, kind, key) limit, or refuse it (none counted)
    with `refuse(kind, seconds to wait)`, given Retry-After. The counts unreachable (Redis
    down) is 503 with Retry-After and `unavailable`: nobody gets past a limit meanwhile."""
    try:
        _count(checks, refuse)
    except LimitsError as exc:
        log.error("rate-limit storage unreachable: %s", exc.__class__.__name__)
        raise Unavailable(unavailable, code="limits_unavailable", headers=dict(RETRY_SOON)) from exc


def _count(checks: list[tuple[str, str, str]], refuse: Callable[[str, int], TooMany]) -> None:
    limiter = _limiter()
    parsed = [(parse(rule), kind, key) for rule, kind, key in checks]
    for item, kind, key in parsed:
        if not limiter.test(item, kind, key):
            stats = limiter.get_window_stats(item, kind, key)
            # The limits library keeps its windows on the wall clock, so Retry-After is
            # counted on it too, never on clock.now() (which tests may freeze elsewhere).
            wait = max(1, math.ceil(stats.reset_time - time.time()))  # noqa: TID251
            error = refuse(kind, wait)
            error.detail = {"retry_after": wait, "limit": kind}
            error.headers = {"Retry-After": str(wait)}
            raise error
    for item, kind, key in parsed:
        limiter.hit(item, kind, key)


def valid_rule(rule: str) -> bool:
    """Whether `rule` is in the limits notation ("600/minute", "10 per second")."""
    try:
        parse(rule)
    except ValueError:
        return False
    return True


def readable(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def reset() -> None:
    """Forget every count (tests)."""
    _storage(get_settings().rate_limit_storage).reset()
