"""The statistics of an area and of each child area: a few grouped statements per domain
over the area's code range (through the domains' own query functions), summed per child
by code prefix, so a figure for a township is the sum of its villages' and every figure
equals the count of the list filtered the same way. The marks rank an area among its
county's: for that the county is read too, but only the few grouped counts the marks
compare (`_rank_tallies`), not everything the area's own figures show."""

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from backend.accounts.access import READS_STATS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.areas.models import Area
from backend.checks import service as checks_service
from backend.core import clock, periods
from backend.core.enums import plain
from backend.core.errors import Forbidden, NotFound
from backend.core.scope import contains
from backend.households import queries as households_queries
from backend.households.models import (
    CATEGORY_NAMES,
    RISK_NAMES,
    TYPE_NAMES,
    MonitoringStatus,
)
from backend.rectification import service as rectification_service
from backend.reports import numbers as reports_numbers
from backend.reports.models import DECIDED
from backend.stats.schemas import (
    MARK_NAMES,
    AreaFigures,
    AreaTrend,
    CoverageFigures,
    Funnel,
    Mark,
    MonthFigures,
    Overview,
    ProblemFigures,
    StatsArea,
    Trend,
    WarningYield,
)
from backend.visits import coverage as visits_coverage
from backend.visits import village_months
from backend.visits.schemas import month_of
from backend.warnings import service as warnings_service
from backend.warnings.models import SOURCE_NAMES, WarningStatus

LEVELS = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
# A trend month's figures, in the order they are summed.
TREND_FIGURES = ("monitored", "enrolled", "cleared", "reports", "visits")


@dataclass
class Tally:
    """What one area code (or a sum of codes) holds, before it is shaped into figures."""

    households: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    by_risk: Counter[str] = field(default_factory=Counter)
    enrolled_this_year: int = 0
    cleared_this_year: int = 0
    received: int = 0
    verified: int = 0
    decided: int = 0
    farmer_reports: int = 0
    verify_days: list[float] = field(default_factory=list)
    decide_days: list[float] = field(default_factory=list)
    overdue_reports: int = 0
    due: int = 0
    visited: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    # (source, figure) -> warnings: figure one of WarningYield's.
    warnings: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: "Tally") -> None:
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if value is None:
                continue
            if mine is None:
                setattr(self, name, Counter(value))
            elif isinstance(mine, Counter):
                mine.update(value)
            elif isinstance(mine, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)


def _area_for(*, session: Session, user: User, area: str | None) -> str:
    """The area asked for, if the caller may read statistics over it (403 for a helper, the
    same 404 for an area outside their scope as for one that does not exist)."""
    if user.role not in READS_STATS:
        raise Forbidden("您的角色不能查看统计", code="role_forbidden")
    area = area if area is not None else user.scope
    if not contains(user.scope, area) or (
        area and areas_service.get(session=session, code=area) is None
    ):
        raise NotFound("没有找到这个地区")
    return area


def _year(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year + 1, 1, 1)


def _tallies(*, session: Session, base: str, today: date) -> dict[str, Tally]:
    """Every area code inside `base` with what it holds: one or two statements per domain."""
    per: defaultdict[str, Tally] = defaultdict(Tally)
    at = per.__getitem__  # an area's tally, made on first use

    year = _year(today)
    for code, category, status, mtype, n, enrolled, cleared in households_queries.tallies(
        session=session, prefix=base, year=year
    ):
        t = at(code)
        t.households += n
        t.by_category[category] += n
        t.by_status[status] += n
        if mtype and status == MonitoringStatus.monitored:
            t.by_type[mtype] += n
        t.enrolled_this_year += int(enrolled or 0)
        t.cleared_this_year += int(cleared or 0)
    for code, risk, n in households_queries.monitored_risks(session=session, prefix=base):
        at(code).by_risk[risk] += n
    for code, status, submitted, verified, decided, by_staff in reports_numbers.funnel_rows(
        session=session, prefix=base, since=year[0], until=year[1]
    ):
        t = at(code)
        t.received += 1
        t.farmer_reports += 0 if by_staff else 1
        if verified is not None:
            t.verified += 1
            t.verify_days.append(_days(submitted, verified))
        if status in DECIDED:
            t.decided += 1
            if decided is not None:
                t.decide_days.append(_days(submitted, decided))
    _ranked_tallies(session=session, base=base, today=today, at=at)
    _warning_tallies(session=session, base=base, at=at)
    return dict(per)


def _ranked_tallies(
    *, session: Session, base: str, today: date, at: Callable[[str], Tally]
) -> None:
    """The figures a mark ranks besides households and farmers' reports (BADNESS): overdue
    reports, coverage, open problems and findings, one grouped statement each."""
    for code, n in reports_numbers.overdue_by_area(session=session, prefix=base).items():
        at(code).overdue_reports += n
    for v in visits_coverage.by_village(session=session, prefix=base, month=month_of(today)):
        t = at(v.area_code)
        t.due += v.due
        t.visited += v.visited
    for code, counts in rectification_service.tallies(session=session, prefix=base).items():
        at(code).problems.update(counts)
    for code, check, n in checks_service.open_by_area(session=session, prefix=base):
        at(code).findings[check] += n


def _rank_tallies(*, session: Session, base: str, today: date) -> dict[str, Tally]:
    """Every area code inside `base` (the county) with what the marks and the uptake read
    (BADNESS, `_on_record`, the county's average): households, farmers' reports of the year
    and `_ranked_tallies`, each a grouped count, so an overview below the county reads only
    these of the county and the rest of its area alone. Every count is the one `_tallies`
    makes; the figures they leave at zero are never ranked."""
    per: defaultdict[str, Tally] = defaultdict(Tally)
    at = per.__getitem__  # an area's tally, made on first use

    for code, n in households_queries.counts(session=session, prefix=base).items():
        at(code).households += n
    since, until = _year(today)
    farmers = reports_numbers.from_farmers(session=session, prefix=base, since=since, until=until)
    for code, n in farmers.items():
        at(code).farmer_reports += n
    _ranked_tallies(session=session, base=base, today=today, at=at)
    return dict(per)


# Each status of a warning, as the figure it counts in.
WARNING_STATUS_FIGURE = {
    WarningStatus.pending: "open",
    WarningStatus.reported: "reported",
    WarningStatus.dismissed: "dismissed",
    WarningStatus.unmatched: "unmatched",
}


def _warning_tallies(*, session: Session, base: str, at: Callable[[str], Tally]) -> None:
    """部门预警 per area code and source: one grouped statement."""
    for code, source, status, matched, enrolled, n in warnings_service.yield_rows(
        session=session, prefix=base
    ):
        w = at(code).warnings
        w[source, "received"] += n
        w[source, WARNING_STATUS_FIGURE[WarningStatus(status)]] += n
        if matched:
            w[source, "matched"] += n
        if enrolled:
            w[source, "enrolled"] += n


def _warning_yield(counts: Counter[tuple[str, str]]) -> dict[str, WarningYield]:
    out: dict[str, WarningYield] = {}
    for (source, figure), n in counts.items():
        if n:
            y = out.setdefault(source, WarningYield())
            setattr(y, figure, getattr(y, figure) + n)
    return {str(s): out[s] for s in SOURCE_NAMES if s in out}


def _days(start, end) -> float:  # type: ignore[no-untyped-def]
    return (end - start).total_seconds() / 86400


def _rollup(per: dict[str, Tally], length: int) -> dict[str, Tally]:
    """The tallies summed per code prefix of `length` (codes shorter than it stay out)."""
    out: dict[str, Tally] = {}
    for code, t in per.items():
        if len(code) < length:
            continue
        out.setdefault(code[:length], Tally()).add(t)
    return out


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _ratio(part: int, whole: int, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


def _figures(
    area: Area | None, code: str, t: Tally, villages: int, average: float | None
) -> AreaFigures:
    monitored = t.by_status[MonitoringStatus.monitored]
    cleared = t.by_status[MonitoringStatus.risk_cleared]
    per_village = t.farmer_reports / villages if villages else None
    return AreaFigures(
        area_code=code,
        area_name=area.name if area else None,
        level=LEVELS.get(len(code), "area"),
        households=t.households,
        by_category=dict(t.by_category),
        monitored=monitored,
        risk_cleared=cleared,
        by_monitoring_type=dict(t.by_type),
        by_risk_type=dict(t.by_risk),
        enrolled_this_year=t.enrolled_this_year,
        cleared_this_year=t.cleared_this_year,
        clearance_rate=_ratio(cleared, monitored + cleared),
        reports=Funnel(
            received=t.received,
            verified=t.verified,
            decided=t.decided,
            median_days_to_verify=_median(t.verify_days),
            median_days_to_decide=_median(t.decide_days),
        ),
        overdue_reports=t.overdue_reports,
        villages=villages,
        farmer_reports=t.farmer_reports,
        uptake=round(per_village / average, 2) if per_village is not None and average else None,
        coverage=CoverageFigures(due=t.due, visited=t.visited, rate=_ratio(t.visited, t.due)),
        findings=dict(t.findings),
        problems=ProblemFigures(
            open=t.problems["open"], overdue=t.problems["overdue"], closed=t.problems["closed"]
        ),
        warnings=_warning_yield(t.warnings),
    )


# How bad each mark's figure is (larger is worse), and whether it is bad at all: a mark
# goes to the worst tenth of the county's areas of a level, and only to figures that are bad.
BADNESS: dict[Mark, tuple[Callable[[AreaFigures], float], Callable[[AreaFigures], bool]]] = {
    Mark.silent: (
        lambda f: -(f.farmer_reports / f.villages) if f.villages else 0.0,
        lambda f: f.villages > 0 and (f.uptake or 0) < 0.5,
    ),
    Mark.overdue_reports: (lambda f: f.overdue_reports, lambda f: f.overdue_reports > 0),
    Mark.low_coverage: (
        lambda f: -(f.coverage.rate if f.coverage.rate is not None else 1.0),
        lambda f: f.coverage.due > 0 and f.coverage.visited < f.coverage.due,
    ),
    Mark.open_findings: (
        lambda f: sum((f.findings or {}).values()),
        lambda f: sum((f.findings or {}).values()) > 0,
    ),
    Mark.overdue_problems: (lambda f: f.problems.overdue, lambda f: f.problems.overdue > 0),
}


# A rank among fewer areas than this says nothing (the worst of three is not exceptional).
FEWEST_RANKED = 5


def worst_tenth(population: list[AreaFigures]) -> dict[str, list[Mark]]:
    """Per area code, the marks it earns: its figure among the worst ceil(n/10) of the
    population and bad in itself. Ties at the boundary are all marked only if that keeps
    the marked few; otherwise only those strictly worse (when most villages share a 0,
    the 0 is the county's normal, not an exception)."""
    marks: dict[str, list[Mark]] = {f.area_code: [] for f in population}
    if len(population) < FEWEST_RANKED:
        return marks
    k = math.ceil(len(population) / 10)
    for mark, (badness, bad) in BADNESS.items():
        values = sorted((badness(f) for f in population), reverse=True)
        boundary = values[k - 1]
        ties_fit = sum(1 for v in values if v >= boundary) <= k
        for f in population:
            value = badness(f)
            if bad(f) and (value > boundary or (ties_fit and value == boundary)):
                marks[f.area_code].append(mark)
    return marks


def _on_record(rows: Iterable[AreaFigures]) -> list[AreaFigures]:
    """The areas ranked for marks: those with households on record. Ranked among a county's
    every township, the two that had any data were both "the worst tenth" of 28 (the others'
    zeros are no figures at all), so every row with data was marked."""
    return [f for f in rows if f.households]


def _names() -> dict[str, dict[str, str]]:
    return {
        "category": plain(CATEGORY_NAMES),
        "monitoring_type": plain(TYPE_NAMES),
        "risk_type": plain(RISK_NAMES),
        "mark": plain(MARK_NAMES),
        "check": checks_service.titles(),
        "warning_source": plain(SOURCE_NAMES),
    }


def _children(*, session: Session, area: str) -> list[Area]:
    if area == "":
        return areas_service.roots(session=session)
    return areas_service.children(session=session, code=area)


def _path(*, session: Session, user: User, area: str) -> list[StatsArea]:
    """The areas from the caller's own down to `area` (the drill-down's way back)."""
    if area == "":
        return []
    return [
        StatsArea(code=a.code, name=a.name)
        for a in areas_service.path(session=session, code=area)
        if contains(user.scope, a.code)
    ]


def overview(*, session: Session, user: User, area: str | None) -> Overview:
    """The area's figures and its children's, with the marks that stand out in the county."""
    area = _area_for(session=session, user=user, area=area)
    today = clock.today()
    # The marks rank an area among the county's of its level (or, above a county, among
    # the areas asked for): `base`. The figures shown are read for `area` alone.
    base = area[:6] if len(area) >= 6 else area
    per = _tallies(session=session, base=area, today=today)
    ranked = per if area == base else _rank_tallies(session=session, base=base, today=today)
    areas = {a.code: a for a in areas_service.areas_under(session=session, prefix=base)}
    villages = Counter(code[:n] for code in areas if len(code) == 12 for n in range(len(base), 13))
    farmers = sum(t.farmer_reports for code, t in ranked.items() if len(code) == 12)
    average = farmers / villages[base] if villages[base] else None

    def figures_at(tallies: dict[str, Tally], length: int, inside: str) -> dict[str, AreaFigures]:
        """The figures of each area of one level inside `inside`, summed from `tallies`."""
        sums = _rollup(tallies, length)
        return {
            code: _figures(a, code, sums.get(code, Tally()), villages[code], average)
            for code, a in areas.items()
            if len(code) == length and code.startswith(inside)
        }

    def marks_at(length: int, shown: dict[str, AreaFigures]) -> dict[str, list[Mark]]:
        """The marks of a level: `shown` when it is the whole population ranked."""
        population = shown if ranked is per else figures_at(ranked, length, base)
        return worst_tenth(_on_record(population.values()))

    mine = figures_at(per, len(area), area) if area else {}
    own = mine.get(area)
    if own is None:  # the whole country or a province asked by an admin
        total = Tally()
        for t in per.values():
            total.add(t)
        own = _figures(areas.get(area), area, total, villages[base], average)
    children = _children(session=session, area=area)
    child_rows: list[AreaFigures] = []
    if children:
        level = figures_at(per, len(children[0].code), area)
        marks = marks_at(len(children[0].code), level)
        for c in children:
            row = level.get(c.code) or _figures(c, c.code, Tally(), 0, average)
            row.marks = marks.get(c.code, [])
            child_rows.append(row)
    own.marks = marks_at(len(area), mine).get(area, []) if area else []
    return Overview(
        today=today,
        year=today.year,
        month=month_of(today),
        county_average_per_village=round(average, 2) if average is not None else None,
        path=_path(session=session, user=user, area=area),
        area=own,
        children=child_rows,
        names=_names(),
    )


def trend(*, session: Session, user: User, area: str | None, months: int) -> Trend:
    """Per month, oldest first: monitored at the month's end, enrolled, risk cleared,
    reports received and visits recorded; for the area and each child."""
    area = _area_for(session=session, user=user, area=area)
    starts = periods.month_starts(clock.today(), months)
    end = periods.next_month(starts[-1])
    keys = [s.strftime("%Y-%m") for s in starts]
    # Plain counts per code and month while summing (a pydantic row per village and month
    # was most of the time at the county), the answer's rows made at the end.
    per: dict[str, list[list[int]]] = {}

    def at(code: str) -> list[list[int]]:
        if code not in per:
            per[code] = [[0] * len(TREND_FIGURES) for _ in keys]
        return per[code]

    for code, *cells in households_queries.monthly(session=session, prefix=area, starts=starts):
        for i, m in enumerate(at(code)):
            m[0] += int(cells[3 * i] or 0)
            m[1] += int(cells[3 * i + 1] or 0)
            m[2] += int(cells[3 * i + 2] or 0)
    for code, *cells in reports_numbers.monthly(
        session=session, prefix=area, starts=starts, end=end
    ):
        for m, n in zip(at(code), cells, strict=True):
            m[3] += int(n or 0)
    index = {k: i for i, k in enumerate(keys)}
    for code, month, n in village_months.monthly_counts(session=session, prefix=area, months=keys):
        at(code)[index[month]][4] += n

    def summed(codes: Iterable[str]) -> list[MonthFigures]:
        out = [[0] * len(TREND_FIGURES) for _ in keys]
        for code in codes:
            for o, m in zip(out, per[code], strict=True):
                for j, n in enumerate(m):
                    o[j] += n
        return [
            MonthFigures(month=k, **dict(zip(TREND_FIGURES, o, strict=True)))
            for k, o in zip(keys, out, strict=True)
        ]

    def row(a: Area | None, code: str) -> AreaTrend:
        return AreaTrend(
            area_code=code,
            area_name=a.name if a else None,
            level=LEVELS.get(len(code), "area"),
            months=summed(c for c in per if c.startswith(code)),
        )

    return Trend(
        path=_path(session=session, user=user, area=area),
        area=row(areas_service.get(session=session, code=area) if area else None, area),
        children=[row(c, c.code) for c in _children(session=session, area=area)],
    )
