"""待办: what waits for the caller's action, most urgent first, and the counts per tile."""

from pydantic import Field

from backend.core.enums import NamedEnum
from backend.core.schemas import Day, Output


class TodoKind(NamedEnum):
    assign_report = "assign_report", "安排入户核实"
    verify_report = "verify_report", "入户核实"
    review_report = "review_report", "乡镇审核"
    decide_report = "decide_report", "县级审定"
    notice_ending = "notice_ending", "村内公示即将结束"
    claim_problem = "claim_problem", "认领问题"
    rectify_problem = "rectify_problem", "整改问题"
    review_problem = "review_problem", "审核销号"


KIND_NAMES = TodoKind.names()


class TodoItem(Output):
    kind: TodoKind
    kind_name: str
    # Which tile of the desk it belongs to: "reports" or "problems".
    section: str
    id: str
    title: str
    area_code: str
    area_name: str | None
    due_on: Day | None
    overdue: bool
    # The staff shell's route that opens it ("report/<id>", "problem/<id>").
    route: str


class FindingsToAct(Output):
    """Open 排查 findings of one check in the caller's area: the count is what the findings
    list answers under the same filter, and `route` opens that list."""

    check_code: str
    check_title: str
    severity: str
    area_code: str
    count: int
    # The staff shell's route: "findings/area=<scope>&status=open&check=<code>".
    route: str


class WarningsToTriage(Output):
    """部门预警 of one source in the caller's area still waiting for triage (待分拣): the count
    is what the warnings list answers under the same filter (`list_url`)."""

    source: str
    source_name: str
    area_code: str
    count: int
    # The date (China's) the oldest of them was received.
    oldest_received_on: Day
    # The warnings list filtered alike: "/api/v1/warnings?area_code=<scope>&status=pending
    # &source=<source>". `route` opens the staff shell's warnings screen filtered alike:
    # "warnings/status=pending&source=<source>".
    list_url: str
    route: str


class Todo(Output):
    data: list[TodoItem]
    count: int
    # Per tile of the desk: how many items wait, and how many of them are overdue
    # ("findings": the open findings that are the caller's to act on, counted once each).
    counts: dict[str, int]
    overdue_counts: dict[str, int]
    # The open findings by check, the most severe and the most numerous first.
    findings: list[FindingsToAct] = Field(default_factory=list)
    # The department warnings waiting for triage, by source, the oldest waiting first
    # (counts["warnings"] sums them).
    warnings: list[WarningsToTriage] = Field(default_factory=list)
