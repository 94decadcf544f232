"""The reads several checks share, each one set-based over the run's area and kept for the
rest of the run: the households, their declared incomes, the monitoring lines, the risk
types, and ledger sums over a window of months."""

import json
import uuid
from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, and_, case, cast, func, type_coerce
from sqlmodel import col, select

from backend.checks.base import Context
from backend.core import clock
from backend.core.scope import within
from backend.households.models import (
    IN_SCHOOL,
    Health,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Labour,
    Member,
    MonitoringLine,
    MonitoringStatus,
    net_income_of,
)
from backend.households.workflow import WORKING_AGE
from backend.visits.models import LedgerEntry

LEDGER_NET = net_income_of(LedgerEntry)


class HouseholdRow(NamedTuple):
    """One household as the checks read it (tuples: made 100,000 times a run, three times
    faster than a frozen dataclass)."""

    id: uuid.UUID
    area_code: str
    category: str
    status: str
    enrolled_on: date | None
    cleared_on: date | None
    basic_needs: dict[str, Any]
    helper_id: uuid.UUID | None
    last_visited_month: str | None
    registered_on: date


class Income(NamedTuple):
    year: int
    parts: tuple[int, int, int, int, int]
    size: int

    @property
    def net(self) -> int:
        w, b, p, t, c = self.parts
        return w + b + p + t - c

    @property
    def per_capita(self) -> int:
        return self.net // self.size if self.size else 0


def _cached(ctx: Context, key: str, load: Any) -> Any:
    if key not in ctx.cache:
        ctx.cache[key] = load()
    return ctx.cache[key]


def raw_id(column: Any) -> Any:
    """A household id column as the driver hands it (hex text on SQLite, a UUID on
    PostgreSQL), for `ids(ctx)` to turn into the household's UUID: a dict look-up instead
    of a UUID made for each of the county's hundreds of thousands of rows."""
    return type_coerce(column, String)


def households(ctx: Context) -> dict[uuid.UUID, HouseholdRow]:
    def load() -> dict[uuid.UUID, HouseholdRow]:
        stmt = select(
            raw_id(Household.id),
            Household.area_code,
            Household.category,
            Household.monitoring_status,
            Household.enrolled_on,
            Household.risk_cleared_on,
            # As text: a county has a handful of distinct checklists, parsed once each
            # below instead of once for each of its 100,000 households.
            cast(Household.basic_needs, String),
            Household.helper_id,
            Household.last_visited_month,
            Household.created_at,
        ).where(within(Household.area_code, ctx.area))
        needs: dict[str, Any] = {}
        ids: dict[Any, uuid.UUID] = {}
        out: dict[uuid.UUID, HouseholdRow] = {}
        for raw, area, category, status, enrolled, cleared, text, *rest, created in ctx.rows(stmt):
            hid = ids[raw] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)
            if text not in needs:
                needs[text] = json.loads(text)
            out[hid] = HouseholdRow(
                hid,
                area,
                category,
                status,
                enrolled,
                cleared,
                needs[text],
                *rest,
                created.astimezone(clock.CHINA).date(),
            )
        ctx.cache["ids"] = ids
        return out

    return _cached(ctx, "households", load)


def ids(ctx: Context) -> dict[Any, uuid.UUID]:
    """{a `raw_id` value: the household's UUID} for the households of the run's area."""
    households(ctx)
    return ctx.cache["ids"]


def incomes(ctx: Context) -> dict[uuid.UUID, dict[int, Income]]:
    """{household: {year: income}} for the last few years."""

    def load() -> dict[uuid.UUID, dict[int, Income]]:
        stmt = (
            select(
                raw_id(IncomeRecord.household_id),
                IncomeRecord.year,
                IncomeRecord.wage,
                IncomeRecord.business,
                IncomeRecord.property,
                IncomeRecord.transfer,
                IncomeRecord.business_cost,
                IncomeRecord.household_size,
            )
            .join(Household, col(Household.id) == IncomeRecord.household_id)
            .where(within(Household.area_code, ctx.area), IncomeRecord.year >= ctx.today.year - 3)
        )
        known = ids(ctx)
        out: dict[uuid.UUID, dict[int, Income]] = defaultdict(dict)
        for raw, year, w, b, p, t, c, size in ctx.rows(stmt):
            out[known[raw]][year] = Income(year, (w, b, p, t, c), size)
        return out

    return _cached(ctx, "incomes", load)


def lines(ctx: Context) -> dict[tuple[str, int], int]:
    """{(province code, year): monitoring line in yuan}."""

    def load() -> dict[tuple[str, int], int]:
        stmt = select(MonitoringLine.province_code, MonitoringLine.year, MonitoringLine.amount)
        return {(p, y): a for p, y, a in ctx.rows(stmt)}

    return _cached(ctx, "lines", load)


def line_for(ctx: Context, area_code: str, year: int) -> int | None:
    return lines(ctx).get((area_code[:2], year))


def risks(ctx: Context) -> dict[uuid.UUID, set[str]]:
    def load() -> dict[uuid.UUID, set[str]]:
        stmt = (
            select(HouseholdRisk.household_id, HouseholdRisk.risk_type)
            .join(Household, col(Household.id) == HouseholdRisk.household_id)
            .where(within(Household.area_code, ctx.area))
        )
        out: dict[uuid.UUID, set[str]] = defaultdict(set)
        for hid, risk in ctx.rows(stmt):
            out[hid].add(risk)
        return out

    return _cached(ctx, "risks", load)


class MemberSigns(NamedTuple):
    """Per household, counted over active members: in school, seriously ill, disabled."""

    in_school: int = 0
    seriously_ill: int = 0
    disabled: int = 0
    active: int = 0
    # Of working age this year (the clear-risk guard's years) and able to work.
    working: int = 0


def member_signs(ctx: Context) -> dict[uuid.UUID, MemberSigns]:
    """For monitored and cleared households only (the checks about causes read these)."""

    def load() -> dict[uuid.UUID, MemberSigns]:
        def count(cond: Any) -> Any:
            return func.sum(case((cond, 1), else_=0))

        low, high = WORKING_AGE
        year = ctx.today.year
        working = and_(
            Member.birth_date >= date(year - high, 1, 1),
            Member.birth_date <= date(year - low, 12, 31),
            Member.labour != Labour.none,
        )

        stmt = (
            select(
                Member.household_id,
                count(col(Member.schooling).in_([s.value for s in IN_SCHOOL])),
                count(Member.health == Health.serious_illness),
                count(Member.health == Health.disabled),
                func.count(),
                count(working),
            )
            .join(Household, col(Household.id) == Member.household_id)
            .where(
                within(Household.area_code, ctx.area),
                col(Household.monitoring_status).in_(
                    [MonitoringStatus.monitored, MonitoringStatus.risk_cleared]
                ),
                col(Member.active).is_(True),
            )
            .group_by(col(Member.household_id))
        )
        return {
            hid: MemberSigns(int(s or 0), int(i or 0), int(d or 0), int(n or 0), int(w or 0))
            for hid, s, i, d, n, w in ctx.rows(stmt)
        }

    return _cached(ctx, "member_signs", load)


def ledger_totals(ctx: Context, *where: Any, by: tuple[Any, ...] = ()) -> Any:
    """The area's current ledger entries under `where`, grouped by household (and `by`):
    the household's `raw_id`, `by`, months recorded, net income, medical and schooling
    spending, the largest household size."""
    return (
        select(
            raw_id(LedgerEntry.household_id),
            *by,
            func.count(),
            func.sum(LEDGER_NET),
            func.sum(LedgerEntry.medical_spending),
            func.sum(LedgerEntry.schooling_spending),
            func.max(LedgerEntry.household_size),
        )
        .where(
            within(LedgerEntry.area_code, ctx.area),
            col(LedgerEntry.superseded_at).is_(None),
            *where,
        )
        .group_by(col(LedgerEntry.household_id), *by)
    )


def ledger_sums(
    ctx: Context, months: list[str], *, status_in: list[str] | None = None
) -> dict[uuid.UUID, dict[str, int]]:
    """Per household, `ledger_totals` over `months`. (One read for each window: a single
    read with a column per window was slower on SQLite, 1.25 s against about 1 s for the
    five, as it sorts every entry with thirty columns for its grouping.)"""
    stmt = ledger_totals(ctx, col(LedgerEntry.month).in_(months))
    if status_in is not None:
        stmt = stmt.join(Household, col(Household.id) == LedgerEntry.household_id).where(
            col(Household.monitoring_status).in_(status_in)
        )
    known = ids(ctx)
    # An entry filed in the area for a household now elsewhere has no key: no check asks
    # for a household outside the area.
    return {
        known[raw]: {
            "months": int(n),
            "net": int(net or 0),
            "medical": int(med or 0),
            "schooling": int(sch or 0),
            "size": int(size or 0),
        }
        for raw, n, net, med, sch, size in ctx.rows(stmt)
        if raw in known
    }
