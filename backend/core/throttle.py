"""The app's one rate limiter (the `limits` library, its storage named by the settings):
a request is counted against every limit that applies to it, or refused with 429 and
Retry-After. The public report form, the status look-up and API clients use it."""

import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache

from limits import parse
from limits.errors import StorageError as LimitsError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.core.errors import RETRY_SOON, TooMany, Unavailable
from backend.core.settings import get_settings

log = logging.getLogger("shouwang.limits")


@lru_cache
def _storage(uri: str) -> Storage:
    # wrap_exceptions: a Redis that went away raises limits' StorageError, not redis' own.
    options = {"wrap_exceptions": True} if not uri.startswith("memory") else {}
    return storage_from_string(uri, **options)


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
