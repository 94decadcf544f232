"""待办: everything waiting for one person's action across the domains (reports to arrange,
verify, review or decide; 公示 ending; problems to claim, rectify or review), most urgent
first: overdue, then by due date, undated last; and the open 排查 findings of their area,
by check, with counts; and the department warnings of their area waiting for triage, by
source, with counts and the oldest received."""

from collections import Counter
from datetime import date
from urllib.parse import urlencode

from sqlmodel import Session

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.checks import service as checks_service
from backend.core import clock
from backend.rectification import service as rectification_service
from backend.reports import queries as reports_queries
from backend.todo.schemas import (
    KIND_NAMES,
    FindingsToAct,
    Todo,
    TodoItem,
    TodoKind,
    WarningsToTriage,
)
from backend.warnings import service as warnings_service
from backend.warnings.models import SOURCE_NAMES, WarningSource

REPORT_KINDS = {
    "assign": TodoKind.assign_report,
    "verify": TodoKind.verify_report,
    "review": TodoKind.review_report,
    "decide": TodoKind.decide_report,
    "notice_ending": TodoKind.notice_ending,
}
PROBLEM_KINDS = {
    "claim": TodoKind.claim_problem,
    "rectify": TodoKind.rectify_problem,
    "review": TodoKind.review_problem,
}
# How many items the answer lists (the counts cover them all).
SHOWN = 100
SEVERITY_RANK = {"critical": 0, "serious": 1, "general": 2}


def todo(*, session: Session, user: User) -> Todo:
    today = clock.today()
    items: list[TodoItem] = []
    for what, r, due in reports_queries.awaiting(session=session, user=user, today=today):
        kind = REPORT_KINDS[what]
        late = kind != TodoKind.notice_ending and due is not None and due < today
        items.append(_item(kind, "reports", str(r.id), r.name, r.area_code, due, late, "report"))
    for what, p, late in rectification_service.awaiting(session=session, user=user):
        kind = PROBLEM_KINDS[what]
        items.append(
            _item(kind, "problems", str(p.id), p.title, p.area_code, p.deadline, late, "problem")
        )
    names = areas_service.names(session=session, codes={i.area_code for i in items})
    for i in items:
        i.area_name = names.get(i.area_code)
    items.sort(key=lambda i: (not i.overdue, i.due_on is None, i.due_on or date.max, i.title))
    findings = _findings(session=session, user=user)
    counts = dict(Counter(i.section for i in items))
    if findings:
        counts["findings"] = sum(g.count for g in findings)
    warnings = _warnings(session=session, user=user)
    if warnings:
        counts["warnings"] = sum(g.count for g in warnings)
    return Todo(
        data=items[:SHOWN],
        count=len(items),
        counts=counts,
        overdue_counts=dict(Counter(i.section for i in items if i.overdue)),
        findings=findings,
        warnings=warnings,
    )


def _findings(*, session: Session, user: User) -> list[FindingsToAct]:
    """The open findings of the caller's area by check (a village cadre's village, a
    township's or county's whole area), each linking to the findings list filtered alike."""
    titles = checks_service.titles()
    severities = checks_service.severities()
    area = user.scope
    groups = [
        FindingsToAct(
            check_code=code,
            check_title=titles[code],
            severity=severities[code],
            area_code=area,
            count=n,
            route="findings/" + urlencode({"area": area, "status": "open", "check": code}),
        )
        for code, n in checks_service.open_to_act(session=session, user=user)
        if n
    ]
    groups.sort(key=lambda g: (SEVERITY_RANK.get(g.severity, 3), -g.count, g.check_code))
    return groups


def _warnings(*, session: Session, user: User) -> list[WarningsToTriage]:
    """The warnings of the caller's area waiting for triage by source (for those who may
    triage), the longest waiting first, each with the warnings list filtered alike."""
    area = user.scope
    groups = [
        WarningsToTriage(
            source=source,
            source_name=SOURCE_NAMES.get(WarningSource(source), source),
            area_code=area,
            count=n,
            oldest_received_on=oldest.astimezone(clock.CHINA).date(),
            list_url="/api/v1/warnings?"
            + urlencode({"area_code": area, "status": "pending", "source": source}),
            route="warnings/" + urlencode({"status": "pending", "source": source}),
        )
        for source, n, oldest in warnings_service.untriaged(session=session, user=user)
    ]
    groups.sort(key=lambda g: (g.oldest_received_on, -g.count, g.source))
    return groups


def _item(
    kind: TodoKind,
    section: str,
    id_: str,
    title: str,
    area_code: str,
    due: date | None,
    late: bool,
    route: str,
) -> TodoItem:
    return TodoItem(
        kind=kind,
        kind_name=KIND_NAMES[kind],
        section=section,
        id=id_,
        title=title,
        area_code=area_code,
        area_name=None,
        due_on=due,
        overdue=late,
        route=f"{route}/{id_}",
    )
