"""The self-report numbers per village and township: received, in progress, overdue,
decided, the median days to a decision, and each village's uptake against its county."""

import itertools
import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.core.errors import NotFound
from backend.core.scope import contains, within
from backend.reports import deadlines
from backend.reports.models import DECIDED, OPEN, ReportEvent, ReportKind, ReportStatus, SelfReport
from backend.reports.schemas import AreaNumbers, ReportNumbers

# The counts every row carries; a township's are the sums of its villages'.
COUNTED = (
    "received",
    "from_farmers",
    "opened_by_staff",
    "in_progress",
    "overdue",
    "enrolled",
    "rejected",
    "withdrawn",
    "withdrawn_overdue",
)
Counts = dict[str, dict[str, int]]


def numbers(
    *,
    session: Session,
    user: User,
    area: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ReportNumbers:
    """Per village and township: received, in progress, overdue, enrolled, rejected and
    the median days to a decision; and each village's uptake against its county's average
    per village, so that silent villages stand out. Merged duplicates are not counted."""
    area = area or user.scope
    if not contains(user.scope, area):
        raise NotFound("没有这个地区")
    county = area[:6] if len(area) >= 6 else None
    # Counts reach over the whole county (or the wider area) so averages are the county's.
    base = area[:6] if len(area) >= 6 else area
    # Self-reports only: the village's own proposals (纳入、风险消除、回退) are not uptake.
    cond = [
        within(SelfReport.area_code, base),
        SelfReport.status != ReportStatus.merged,
        SelfReport.kind == ReportKind.self_report,
    ]
    if since:
        cond.append(SelfReport.submitted_at >= _start_of(since))
    if until:
        cond.append(SelfReport.submitted_at < _start_of(until, plus_days=1))
    per = _counts(session, cond)
    durations = _days_to_decision(session, cond)
    villages = areas_service.villages_under(session=session, prefix=base)
    # Uptake counts the farmers' own reports: a village where only cadres open reports on
    # households' behalf is still one whose farmers are silent.
    county_totals: dict[str, int] = defaultdict(int)
    county_villages: dict[str, int] = defaultdict(int)
    for v in villages:
        county_villages[v.code[:6]] += 1
        county_totals[v.code[:6]] += per[v.code]["from_farmers"]
    village_rows = [
        _village_row(
            code=v.code,
            name=v.name,
            counts=per[v.code],
            durations=durations[v.code],
            average=county_totals[v.code[:6]] / county_villages[v.code[:6]],
        )
        for v in villages
        if v.code.startswith(area)
    ]
    return ReportNumbers(
        county_code=county,
        county_average_per_village=round(county_totals[county] / county_villages[county], 2)
        if county and county_villages.get(county)
        else None,
        villages=village_rows,
        townships=_townships(session, village_rows, durations),
    )


def _counts(session: Session, cond: list[Any]) -> Counts:
    """Per village: the counts of COUNTED, from two grouped queries."""
    today = clock.today()
    late = (col(SelfReport.step_due_on).is_not(None)) & (col(SelfReport.step_due_on) < today)
    by_staff = opened_by_staff()
    rows = session.exec(
        select(
            SelfReport.area_code,
            SelfReport.status,
            by_staff,
            func.count(),
            func.sum(case((late, 1), else_=0)),
        )
        .where(*cond)
        .group_by(col(SelfReport.area_code), col(SelfReport.status), by_staff)
    ).all()
    per: Counts = defaultdict(lambda: defaultdict(int))
    for code, status, staff_opened, n, n_late in rows:
        c = per[code]
        c["received"] += n
        c["opened_by_staff" if staff_opened else "from_farmers"] += n
        if status == ReportStatus.withdrawn:
            c["withdrawn"] += n
        c["overdue"] += int(n_late or 0)
        if status in OPEN:
            c["in_progress"] += n
        if status == ReportStatus.enrolled:
            c["enrolled"] += n
        if status == ReportStatus.rejected:
            c["rejected"] += n
    # A withdrawal after the deadline still counts as overdue: closing a late report must
    # not make the lateness disappear from the numbers.
    for code, verified_at, village_due, decision_due, closed_at in session.exec(
        select(
            SelfReport.area_code,
            SelfReport.verified_at,
            SelfReport.village_due_on,
            SelfReport.decision_due_on,
            SelfReport.decided_at,
        ).where(*cond, SelfReport.status == ReportStatus.withdrawn)
    ):
        if deadlines.closed_late(verified_at, village_due, decision_due, closed_at):
            per[code]["withdrawn_overdue"] += 1
    return per


def _days_to_decision(session: Session, cond: list[Any]) -> dict[str, list[float]]:
    """Per village: the days each decided report took from submission to decision."""
    durations: dict[str, list[float]] = defaultdict(list)
    for code, submitted, decided in session.exec(
        select(SelfReport.area_code, SelfReport.submitted_at, SelfReport.decided_at).where(
            *cond, col(SelfReport.status).in_(DECIDED), col(SelfReport.decided_at).is_not(None)
        )
    ):
        durations[code].append((decided - submitted).total_seconds() / 86400)
    return durations


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _village_row(
    *, code: str, name: str, counts: dict[str, int], durations: list[float], average: float
) -> AreaNumbers:
    uptake = round(counts["from_farmers"] / average, 2) if average else None
    return AreaNumbers(
        area_code=code,
        area_name=name,
        level="village",
        **{key: counts[key] for key in COUNTED},
        median_days_to_decision=_median(durations),
        uptake=uptake,
        silent=counts["from_farmers"] == 0 or (uptake is not None and uptake < 0.5),
    )


def _townships(
    session: Session, village_rows: list[AreaNumbers], durations: dict[str, list[float]]
) -> list[AreaNumbers]:
    """Each township's row: its villages' counts summed, the median over their decisions."""
    town_codes = sorted({r.area_code[:9] for r in village_rows})
    town_names = areas_service.names(session=session, codes=town_codes)
    townships = []
    for t in town_codes:
        members = [r for r in village_rows if r.area_code.startswith(t)]
        townships.append(
            AreaNumbers(
                area_code=t,
                area_name=town_names.get(t, t),
                level="township",
                **{key: sum(getattr(r, key) for r in members) for key in COUNTED},
                median_days_to_decision=_median(
                    [d for r in members for d in durations[r.area_code]]
                ),
            )
        )
    return townships


def opened_by_staff() -> Any:
    """SQL: the report was opened by a cadre on a household's behalf (its submit event has
    an actor), not sent by a farmer or a neighbour from the public form."""
    return (
        exists()
        .where(
            ReportEvent.report_id == SelfReport.id,
            ReportEvent.action == "submit",
            col(ReportEvent.actor_id).is_not(None),
        )
        .label("opened_by_staff")
    )


def _start_of(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=clock.CHINA)


# --- for the statistics: the one-tap funnel of an area, per village -----------------------


def _received_in(prefix: str, since: date, until: date) -> list[Any]:
    """SQL: received in [since, until) inside `prefix`, merged duplicates aside."""
    return [
        within(SelfReport.area_code, prefix),
        SelfReport.status != ReportStatus.merged,
        col(SelfReport.submitted_at) >= _start_of(since),
        col(SelfReport.submitted_at) < _start_of(until),
    ]


def funnel_rows(*, session: Session, prefix: str, since: date, until: date) -> list[Any]:
    """Every report received in [since, until) inside `prefix`, merged duplicates aside, as
    (area_code, status, submitted_at, verified_at, decided_at, opened_by_staff): one
    statement, as many rows as reports of the period, for the funnel's medians."""
    return list(
        session.exec(
            select(
                SelfReport.area_code,
                SelfReport.status,
                SelfReport.submitted_at,
                SelfReport.verified_at,
                SelfReport.decided_at,
                opened_by_staff(),
            ).where(*_received_in(prefix, since, until))
        ).all()
    )


def from_farmers(*, session: Session, prefix: str, since: date, until: date) -> dict[str, int]:
    """Per village: the reports of `funnel_rows` that farmers sent themselves (not opened by
    staff), counted in SQL: the statistics rank every village of a county by them."""
    by_staff = opened_by_staff()
    rows = session.exec(
        select(SelfReport.area_code, by_staff, func.count())
        .where(*_received_in(prefix, since, until))
        .group_by(col(SelfReport.area_code), by_staff)
    )
    return {code: n for code, staff, n in rows if not staff}


def overdue_by_area(*, session: Session, prefix: str) -> dict[str, int]:
    """Per village: the reports past their step's deadline (the list's `overdue=true`)."""
    today = clock.today()
    late = (col(SelfReport.step_due_on).is_not(None)) & (col(SelfReport.step_due_on) < today)
    rows = session.exec(
        select(SelfReport.area_code, func.count())
        .where(within(SelfReport.area_code, prefix), late)
        .group_by(col(SelfReport.area_code))
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def monthly(*, session: Session, prefix: str, starts: list[date], end: date) -> list[Any]:
    """Per village, the reports received (merged aside) in each month beginning at `starts`,
    the last ending at `end`: rows (area_code, n0, n1, …)."""
    bounds = [*starts, end]
    submitted = col(SelfReport.submitted_at)
    columns = [
        func.sum(case((and_(submitted >= _start_of(a), submitted < _start_of(b)), 1), else_=0))
        for a, b in itertools.pairwise(bounds)
    ]
    return list(
        session.exec(
            select(SelfReport.area_code, *columns)
            .where(
                within(SelfReport.area_code, prefix),
                SelfReport.status != ReportStatus.merged,
                submitted >= _start_of(starts[0]),
                submitted < _start_of(end),
            )
            .group_by(col(SelfReport.area_code))
        ).all()
    )
