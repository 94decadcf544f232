"""Rate limits on the public report form, per phone number and per client address."""

import math
import time
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


def _checks(phone: str, address: str) -> list[tuple[str, str, str]]:
    settings = get_settings()
    return [
        (settings.report_limit_per_phone, "report-phone", phone),
        (settings.report_limit_per_address, "report-address", address),
    ]


def admit_report(*, phone: str, address: str) -> None:
    """Count one report against both limits, or refuse it with 429 and Retry-After."""
    limiter = _limiter()
    checks = [(parse(rule), kind, key) for rule, kind, key in _checks(phone, address)]
    for item, kind, key in checks:
        if not limiter.test(item, kind, key):
            stats = limiter.get_window_stats(item, kind, key)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            who = "这个手机号" if kind == "report-phone" else "这台设备所在的网络"
            raise TooMany(
                f"{who}提交的报告太多了,请 {_readable(wait)}后再试,或直接联系村干部",
                code="too_many_reports",
                detail={"retry_after": wait, "limit": kind},
                headers={"Retry-After": str(wait)},
            )
    for item, kind, key in checks:
        limiter.hit(item, kind, key)


def _readable(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def reset() -> None:
    """Forget every count (tests)."""
    _storage(get_settings().rate_limit_storage).reset()
