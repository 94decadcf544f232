"""待办: what waits for the caller's action, most urgent first, and the counts per tile."""

from enum import StrEnum

from backend.core.schemas import Day, Output


class TodoKind(StrEnum):
    assign_report = "assign_report"
    verify_report = "verify_report"
    review_report = "review_report"
    decide_report = "decide_report"
    notice_ending = "notice_ending"
    claim_problem = "claim_problem"
    rectify_problem = "rectify_problem"
    review_problem = "review_problem"


KIND_NAMES = {
    TodoKind.assign_report: "安排入户核实",
    TodoKind.verify_report: "入户核实",
    TodoKind.review_report: "乡镇审核",
    TodoKind.decide_report: "县级审定",
    TodoKind.notice_ending: "村内公示即将结束",
    TodoKind.claim_problem: "认领问题",
    TodoKind.rectify_problem: "整改问题",
    TodoKind.review_problem: "审核销号",
}


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


class Todo(Output):
    data: list[TodoItem]
    count: int
    # Per tile of the desk: how many items wait, and how many of them are overdue.
    counts: dict[str, int]
    overdue_counts: dict[str, int]
