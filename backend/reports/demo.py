"""Demo self-reports: deadline policies of Gansu and Anhui, and reports at every stage in
the demo villages, some of them overdue, so lists, flags and numbers show something."""

from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from backend.core import clock
from backend.demo.context import VILLAGES, DemoContext
from backend.reports import deadlines
from backend.reports.models import ReportDeadline, ReportEvent, ReportStatus, SelfReport
from backend.workdays import service as workdays

S = ReportStatus
POLICIES = [
    ("62", 5, 15, "甘肃省 2023 年:入户核实 5 个工作日,全流程 15 个工作日"),
    ("341182", 2, 20, "安徽省 2022 年:村级核实 2 个工作日,全流程 20 个工作日"),
]
ORDER = [S.submitted, S.verifying, S.township_review, S.county_approval]
# village key, name, phone, risks, working-day age, status, reason/referral
REPORTS: list[tuple[str, str, str, list[str], int, ReportStatus, str]] = [
    ("lengshuigou", "刘桂芳", "13700000001", ["illness"], 9, S.submitted, ""),
    ("lengshuigou", "陈长林", "13700000002", ["disaster", "housing"], 3, S.verifying, ""),
    ("lengshuigou", "杨金花", "13700000003", ["schooling"], 8, S.township_review, ""),
    (
        "lengshuigou",
        "赵福生",
        "13700000004",
        ["accident"],
        20,
        S.rejected,
        "家庭人均纯收入 1.3 万元,明显高于监测收入标准;意外医疗费已由保险报销。",
    ),
    ("yanjiaping", "吴国强", "13700000005", ["unstable_employment"], 1, S.submitted, ""),
    ("yanjiaping", "严秀珍", "13700000006", ["illness"], 12, S.county_approval, ""),
    ("gaojiazhuang", "高淑芬", "13700000007", ["failed_business"], 18, S.referred, "产业补助"),
    ("hongbaozi", "柴德明", "13700000008", ["drinking_water"], 7, S.verifying, ""),
    ("shannan", "周学军", "13700000009", ["disability"], 4, S.submitted, ""),
]


def seed(*, session: Session, ctx: DemoContext) -> None:
    for code, check, total, basis in POLICIES:
        if session.get(ReportDeadline, code) is None:
            session.add(
                ReportDeadline(
                    area_code=code, village_check_days=check, total_days=total, basis=basis
                )
            )
    session.commit()
    cadres = {key: ctx.users.get(f"{key}_cadre") for key in VILLAGES}
    today = clock.today()
    for key, name, phone, risks, age, status, reason in REPORTS:
        area = VILLAGES[key]
        # Back the submission day off by `age` working days, so deadlines fall as they would.
        day = today
        while (
            workdays.working_days_between(session=session, area_code=area, start=day, end=today)
            < age
        ):
            day -= timedelta(days=1)
        village_due, decision_due = deadlines.due_dates(session=session, area_code=area, on=day)
        at = datetime.combine(day, time(2, 0), tzinfo=UTC)
        report = SelfReport(
            receipt_code=f"DEMO{len(name)}{phone[-4:]}",
            area_code=area,
            status=status,
            name=name,
            phone=phone,
            risk_types=risks,
            note="演示数据",
            village_due_on=village_due,
            decision_due_on=decision_due,
            submitted_at=at,
            assignee_id=cadres[key].id if cadres.get(key) and status != S.submitted else None,
        )
        if status in (S.township_review, S.county_approval, S.rejected, S.referred):
            report.risk_confirmed = status != S.rejected
            report.findings = "已入户核实(演示)"
            report.verified_at = at + timedelta(days=2)
        if status in (S.rejected, S.referred):
            report.decided_at = at + timedelta(days=9)
            report.decision_reason = reason if status == S.rejected else "临时困难,转介民政"
            report.referred_to = reason if status == S.referred else ""
        deadlines.refresh_step_due(report)
        session.add(report)
        session.flush()
        steps = ORDER[: ORDER.index(status) + 1] if status in ORDER else [*ORDER[:3], status]
        for i, step in enumerate(steps):
            session.add(
                ReportEvent(
                    report_id=report.id,
                    at=at + timedelta(days=i * 2),
                    action="demo",
                    from_status=str(steps[i - 1]) if i else None,
                    to_status=str(step),
                    actor_name="演示数据",
                )
            )
    session.commit()
