"""Small pieces of the county: made-up people, ids, dates and weighted choices."""

import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.accounts.models import Role
from backend.core import clock, security
from backend.demo.county.words import COUNTY, GIVEN, SURNAMES

# --- making people and places -------------------------------------------------------------


class IdNumbers:
    """Valid, made-up, unique ID numbers of 会宁县: unique by construction (a counter per
    birth date and sex), so a million households need no set of every number made."""

    def __init__(self) -> None:
        self.used: dict[tuple[date, bool], int] = defaultdict(int)

    def make(self, born: date, male: bool) -> tuple[str, date]:
        while self.used[(born, male)] >= 500:
            born += timedelta(days=1)
        n = self.used[(born, male)]
        self.used[(born, male)] = n + 1
        body = f"{COUNTY}{born:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
        return body + security.id_number_check_digit(body), born


SIZE_WEIGHTS = {1: 10, 2: 24, 3: 25, 4: 20, 5: 13, 6: 6, 7: 2}


@dataclass
class Person:
    id: uuid.UUID
    name: str
    relation: str
    id_number: str
    row: dict[str, Any]


@dataclass
class Home:
    """One household while its village is being generated."""

    id: uuid.UUID
    row: dict[str, Any]
    people: list[Person]
    owed: bool  # its helper visits monthly (lifted or monitored, with a helper)
    income: int = 0  # last year's per-capita net income

    @property
    def head(self) -> Person:
        return self.people[0]


@dataclass
class Staff:
    id: uuid.UUID
    name: str
    unit: str
    role: Role
    username: str


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def person_name(rng: random.Random, surname: str | None = None) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.15 else "".join(rng.sample(GIVEN, 2))
    return (surname or rng.choice(SURNAMES)) + given


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


def birth_day(rng: random.Random, today: date, age: int) -> date:
    return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def last_months(today: date, n: int) -> list[tuple[str, date, date]]:
    """The last n months up to today's: (YYYY-MM, first day, last day counted)."""
    out = []
    first = today.replace(day=1)
    for _ in range(n):
        last = min(month_end(first), today)
        out.append((f"{first:%Y-%m}", first, last))
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def china_time(day: date, minutes: int, base_hour: int = 9) -> datetime:
    """A moment on `day` in China time, `minutes` after base_hour, as UTC."""
    local = datetime(day.year, day.month, day.day, base_hour, tzinfo=clock.CHINA)
    return (local + timedelta(minutes=minutes)).astimezone(UTC)


def split_evenly(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def round_share(rng: random.Random, expected: float) -> int:
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    out: list[str] = []
    while len(out) < k:
        pick = weighted(rng, weights)
        if pick not in out:
            out.append(pick)
    return sorted(out)


def school_stage(age: int) -> str:
    for limit, stage in (
        (3, "not_in_school"),
        (6, "preschool"),
        (12, "primary"),
        (15, "junior_secondary"),
        (18, "senior_secondary"),
        (22, "higher"),
    ):
        if age < limit:
            return stage
    return "not_in_school"
