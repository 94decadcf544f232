"""The app's one rate limiter (the `limits` library, its storage named by the settings):
a request is counted against every limit that applies to it, or refused with 429 and
Retry-After. The public report form, the status look-up and API clients use it."""

import math
import time
from collections.abc import Callable
from functools import lru_cache

from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.core.errors import TooMany
from backend.core.settings import get_settings


@lru_cache
def _storage(uri: str) -> Storage:
    return storage_from_string(uri)


def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage(get_settings().rate_limit_storage))


def admit(checks: list[tuple[str, str, str]], refuse: Callable[[str, int], TooMany]) -> None:
    """Count one request against every (rule, kind, key) limit, or refuse it (none counted)
    with `refuse(kind, seconds to wait)`, given Retry-After."""
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
