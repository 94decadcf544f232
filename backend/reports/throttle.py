"""Rate limits on the public report form and the status look-up, per phone number, per
receipt code and per client address (an IPv6 client by its /64, which one subscriber holds)."""

import ipaddress
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


def address_key(address: str) -> str:
    """The key a client address is counted under. An IPv6 subscriber is handed a whole /64
    and can pick a fresh address in it for every request, so the /64 is the unit; an
    IPv4-mapped IPv6 address counts as the IPv4 address it carries."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _admit(checks: list[tuple[str, str, str]], refuse: Callable[[str, int], TooMany]) -> None:
    """Count one request against every limit, or refuse it (none counted) with 429. The
    counts unreachable (Redis down) is 503 with Retry-After: the phone keeps the report and
    sends it again, and nobody gets past a limit meanwhile."""
    try:
        _count(checks, refuse)
    except LimitsError as exc:
        log.error("rate-limit storage unreachable: %s", exc.__class__.__name__)
        raise Unavailable(
            "服务器暂时无法处理,请稍后再试(报告已保存在手机上,会自动重发)",
            code="limits_unavailable",
            headers=dict(RETRY_SOON),
        ) from exc


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


def admit_report(*, phone: str, address: str) -> None:
    """Count one report against the phone's and the address's limits, or refuse it with
    429 and Retry-After."""
    settings = get_settings()

    def refuse(kind: str, wait: int) -> TooMany:
        who = "这个手机号" if kind == "report-phone" else "这台设备所在的网络"
        return TooMany(
            f"{who}提交的报告太多了,请 {_readable(wait)}后再试,或直接联系村干部",
            code="too_many_reports",
        )

    _admit(
        [
            (settings.report_limit_per_phone, "report-phone", phone),
            (settings.report_limit_per_address, "report-address", address_key(address)),
        ],
        refuse,
    )


def admit_lookup(*, receipt_code: str, address: str) -> None:
    """Count one status look-up against the address's limit and the limit of this receipt
    code from this address: a code with guessed phone numbers, or many codes from one
    network, is refused with 429 and Retry-After long before the guessing could pay. The
    code is counted per address, so a stranger who learnt it and tries it over and over
    locks out only his own network, never the farmer's phone."""
    settings = get_settings()
    where = address_key(address)

    def refuse(kind: str, wait: int) -> TooMany:
        return TooMany(
            f"查询次数太多了,请 {_readable(wait)}后再试,或直接联系村干部",
            code="too_many_lookups",
        )

    _admit(
        [
            (settings.lookup_limit_per_address, "lookup-address", where),
            (
                settings.lookup_limit_per_code,
                "lookup-code",
                f"{where} {receipt_code.strip().upper()}",
            ),
        ],
        refuse,
    )


def _readable(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def reset() -> None:
    """Forget every count (tests)."""
    _storage(get_settings().rate_limit_storage).reset()
