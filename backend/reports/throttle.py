"""Rate limits on the public report form and the status look-up, per phone number, per
receipt code and per client address (an IPv6 client by its /64, which one subscriber holds)."""

import ipaddress

from backend.core.errors import TooMany
from backend.core.settings import get_settings
from backend.core.throttle import admit, readable, reset

__all__ = ["address_key", "admit_lookup", "admit_report", "reset"]

# The counts unreachable (Redis down): the phone keeps the report and sends it again.
UNAVAILABLE = "服务器暂时无法处理,请稍后再试(报告已保存在手机上,会自动重发)"


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


def admit_report(*, phone: str, address: str) -> None:
    """Count one report against the phone's and the address's limits, or refuse it with
    429 and Retry-After."""
    settings = get_settings()

    def refuse(kind: str, wait: int) -> TooMany:
        who = "这个手机号" if kind == "report-phone" else "这台设备所在的网络"
        return TooMany(
            f"{who}提交的报告太多了,请 {readable(wait)}后再试,或直接联系村干部",
            code="too_many_reports",
        )

    admit(
        [
            (settings.report_limit_per_phone, "report-phone", phone),
            (settings.report_limit_per_address, "report-address", address_key(address)),
        ],
        refuse,
        unavailable=UNAVAILABLE,
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
            f"查询次数太多了,请 {readable(wait)}后再试,或直接联系村干部",
            code="too_many_lookups",
        )

    admit(
        [
            (settings.lookup_limit_per_address, "lookup-address", where),
            (
                settings.lookup_limit_per_code,
                "lookup-code",
                f"{where} {receipt_code.strip().upper()}",
            ),
        ],
        refuse,
        unavailable=UNAVAILABLE,
    )
