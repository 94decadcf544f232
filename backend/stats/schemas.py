"""What the statistics answer: one area's figures and the same figures for each child area,
and the same months side by side for the trend."""

from pydantic import Field

from backend.core.enums import NamedEnum
from backend.core.schemas import Day, Output


class Mark(NamedEnum):
    """A figure that stands out: among the worst tenth of the county's areas of its level."""

    silent = "silent", "报贫沉默"
    overdue_reports = "overdue_reports", "报告逾期多"
    low_coverage = "low_coverage", "遍访偏低"
    open_findings = "open_findings", "排查问题多"
    overdue_problems = "overdue_problems", "整改逾期多"


MARK_NAMES = Mark.names()


class Funnel(Output):
    """一键报贫 received in the year (merged duplicates aside), how many were verified on the
    spot and how many decided, and the median days from receipt to each."""

    received: int = 0
    verified: int = 0
    decided: int = 0
    median_days_to_verify: float | None = None
    median_days_to_decide: float | None = None


class CoverageFigures(Output):
    """This month's 遍访: households due a visit and visited."""

    due: int = 0
    visited: int = 0
    rate: float | None = None


class ProblemFigures(Output):
    open: int = 0
    overdue: int = 0
    closed: int = 0


class WarningYield(Output):
    """部门预警 from one source: received; matched to a household; triaged to a report on the
    household's behalf (代报), dismissed, still to triage (open) or kept about nobody on
    record (unmatched) — these four add up to received; and how many of the reports ended
    in enrolment (纳入监测), the yield."""

    received: int = 0
    matched: int = 0
    reported: int = 0
    dismissed: int = 0
    open: int = 0
    unmatched: int = 0
    enrolled: int = 0


class AreaRow(Output):
    """The area a row of figures is about."""

    area_code: str
    area_name: str | None
    level: str


class AreaFigures(AreaRow):
    households: int = 0
    by_category: dict[str, int] = Field(default_factory=dict)
    monitored: int = 0
    risk_cleared: int = 0
    by_monitoring_type: dict[str, int] = Field(default_factory=dict)
    # Monitored households per risk type (one household may carry several).
    by_risk_type: dict[str, int] = Field(default_factory=dict)
    enrolled_this_year: int = 0
    cleared_this_year: int = 0
    # 风险消除率: risk cleared over all ever enrolled (monitored + cleared), in [0, 1].
    clearance_rate: float | None = None
    reports: Funnel = Field(default_factory=Funnel)
    overdue_reports: int = 0
    villages: int = 0
    # Farmers' own reports this year (not those cadres opened on households' behalf), and
    # per village against the county's average per village (1.0 = the average).
    farmer_reports: int = 0
    uptake: float | None = None
    coverage: CoverageFigures = Field(default_factory=CoverageFigures)
    # Open 排查 findings by check (checks with none left out).
    findings: dict[str, int] = Field(default_factory=dict)
    problems: ProblemFigures = Field(default_factory=ProblemFigures)
    # 部门预警 per source (sources that sent none left out), all received so far.
    warnings: dict[str, WarningYield] = Field(default_factory=dict)
    marks: list[Mark] = Field(default_factory=list)


class StatsArea(Output):
    code: str
    name: str


class Overview(Output):
    today: Day
    year: int
    month: str
    county_average_per_village: float | None
    path: list[StatsArea]
    area: AreaFigures
    children: list[AreaFigures]
    # The Chinese names of every key the figures use (categories, types, risks, marks).
    names: dict[str, dict[str, str]]


class MonthFigures(Output):
    month: str
    monitored: int = 0
    enrolled: int = 0
    cleared: int = 0
    reports: int = 0
    visits: int = 0


class AreaTrend(AreaRow):
    months: list[MonthFigures]


class Trend(Output):
    path: list[StatsArea]
    area: AreaTrend
    children: list[AreaTrend]
