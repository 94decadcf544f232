"""What a check is: a code, a Chinese title, a severity, its rule in one sentence, the
parameters a county may change, and `find`, a few set-based queries over an area that
return what triggered it (never a query per household)."""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Executable, Result
from sqlmodel import Session


@dataclass(frozen=True)
class Param:
    default: int
    label: str
    minimum: int = 0
    maximum: int = 1_000_000


@dataclass(frozen=True)
class Hit:
    """One subject that triggers a check, with the values that did."""

    subject_kind: str  # household | member | helper | village
    subject_id: str
    area_code: str
    summary: str
    values: dict[str, Any]
    household_id: uuid.UUID | None = None

    @property
    def subject_key(self) -> str:
        return f"{self.subject_kind}:{self.subject_id}"

    @classmethod
    def of_household(cls, household: Any, summary: str, values: dict[str, Any]) -> "Hit":
        """A hit about a household (a row with its `id` and `area_code`)."""
        return cls(
            "household", str(household.id), household.area_code, summary, values, household.id
        )


@dataclass
class Context:
    """What a check runs against: the session, the area prefix, today, its parameters."""

    session: Session
    area: str
    today: date
    params: dict[str, int]
    # Shared between checks of one run (the monitoring lines, say), filled on first use.
    cache: dict[str, Any] = field(default_factory=dict)

    def rows(self, stmt: Executable) -> Result[Any]:
        """`stmt`'s rows as plain tuples, read through the session's connection: the ORM's
        handling of each row was 40 % of reading the county's households and incomes
        (bench/RESULTS.md), and the checks read columns, never objects."""
        return self.session.connection().execute(stmt)


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    severity: str  # general | serious | critical (as rectification's Severity)
    # Its rule in one sentence is `find`'s docstring: written once, beside the code that
    # applies it.
    find: Callable[[Context], Iterable[Hit]]
    params: dict[str, Param] = field(default_factory=dict)
    # A finding turned into a report carries these risk types; into a problem, this category.
    risk_types: tuple[str, ...] = ("other",)
    problem_category: str = "monitoring"
    # Data faults are about the records, not the household's risk: no report from them.
    reportable: bool = True

    @property
    def rule(self) -> str:
        """The docstring's lines joined as the Chinese sentence they are (no spaces)."""
        return "".join(line.strip() for line in (self.find.__doc__ or "").splitlines())


def data_fault(
    code: str, title: str, severity: str, find: Callable[[Context], Iterable[Hit]], **more: Any
) -> Check:
    """A check on the records themselves (四个一致): it files a records problem, never a
    report on the household's behalf."""
    return Check(code, title, severity, find, problem_category="records", reportable=False, **more)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, n: int) -> str:
    """'2026-06' + -3 → '2026-03' (calendar arithmetic, not days)."""
    y, m = int(month[:4]), int(month[5:7])
    total = y * 12 + (m - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def months_before(today: date, count: int) -> list[str]:
    """The `count` complete months before today's, oldest first."""
    this = month_of(today)
    return [add_months(this, -i) for i in range(count, 0, -1)]


def years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
