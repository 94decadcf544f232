"""A year ("2026") or a month ("2026-05") as a query parameter, and the days it spans, so a
list filtered by it and a statistic counted over it draw the same line."""

from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field

from backend.core.clock import CHINA

# What a list's `enrolled_in=` or `submitted_in=` accepts.
PeriodText = Annotated[
    str, Field(pattern=r"^(19|20)\d{2}(-(0[1-9]|1[0-2]))?$", description="年份 2026 或月份 2026-05")
]


def bounds(period: str) -> tuple[date, date]:
    """The first day of the period and the first day after it."""
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 1, 1), date(year + 1, 1, 1)
    month = int(period[5:7])
    return date(year, month, 1), next_month(date(year, month, 1))


def next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def month_starts(last: date, months: int) -> list[date]:
    """The first days of `months` calendar months ending with the month of `last`, oldest
    first."""
    starts = [date(last.year, last.month, 1)]
    while len(starts) < months:
        prev = starts[0]
        starts.insert(0, date(prev.year - (prev.month == 1), (prev.month - 2) % 12 + 1, 1))
    return starts


def start_of(day: date) -> datetime:
    """Midnight in China at the start of `day` (timestamps are compared against this)."""
    return datetime.combine(day, time(0), tzinfo=CHINA)
