"""Time in one place: UTC in storage, Asia/Shanghai on screen, and a clock tests can set."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date as people in China count it."""
    return now().astimezone(CHINA).date()


def freeze(at: datetime | None) -> None:
    """Pin the clock (tests only); None lets it run again."""
    global _frozen
    _frozen = at.astimezone(UTC) if at is not None else None
