"""Calendar arithmetic for tests: "this month", "last month" and "N working days later" are
counted on the calendar from the frozen clock, never as a number of days (35 days back from
the 1st of a month is two months back)."""

from datetime import date, datetime, timedelta

from backend.core import clock
from backend.workdays.service import national_is_workday


def china(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given as China's wall time."""
    return datetime(y, m, d, hour, minute, tzinfo=clock.CHINA)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, days_in_month(year, month + 1)))


def days_in_month(year: int, month: int) -> int:
    first = date(year, month, 1)
    return ((first + timedelta(days=32)).replace(day=1) - first).days


def month_start(at: datetime | None = None) -> datetime:
    """00:00 China time on the first of the month `at` (default: now) falls in."""
    local = (at or clock.now()).astimezone(clock.CHINA)
    return china(local.year, local.month, 1, 0, 0)


def in_month(months: int = 0, *, day: int = 15, hour: int = 10) -> datetime:
    """An instant inside the China month `months` from now (-1: last month), on `day`
    (clamped to the month's length) at `hour` China time."""
    start = add_months(clock.today().replace(day=1), months)
    return china(start.year, start.month, min(day, days_in_month(start.year, start.month)), hour)


def this_month(count: int) -> list[datetime]:
    """`count` increasing instants, all in the current China month and not after now: what
    "earlier this month" can mean even at 00:10 on the 1st."""
    start, now = month_start(), clock.now()
    step = (now - start) / (count + 1)
    return [start + step * (i + 1) for i in range(count)]


def working_days_after(start: date, days: int) -> date:
    """The date `days` national working days after `start` (start not counted)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if national_is_workday(current):
            days -= 1
    return current
