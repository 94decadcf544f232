"""Time in one place: UTC in storage, Asia/Shanghai on screen, and a clock tests can set.

Nothing else reads the wall clock (ruff's TID251 refuses `datetime.now`, `date.today` and
`time.time` elsewhere), so a test can run the whole product at any instant it chooses."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
# A frozen clock still moves forward by this much at each reading, as a real one does between
# two events: two rows written one after the other never share a timestamp.
_TICK = timedelta(microseconds=1)

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, aware, in UTC."""
    global _frozen
    if _frozen is None:
        return datetime.now(UTC)
    _frozen += _TICK
    return _frozen


def today() -> date:
    """Today's date as people in China count it."""
    return now().astimezone(CHINA).date()


def freeze(at: datetime | None) -> None:
    """Pin the clock at `at` (tests only); None lets it run again."""
    global _frozen
    _frozen = at.astimezone(UTC) if at is not None else None
