"""整改台账: a problem list as the XLSX ledger an inspector expects; it imports back through
sheets.py as the same problems."""

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlmodel import Session

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.rectification import records, service
from backend.rectification.models import (
    CATEGORY_NAMES,
    SEVERITY_NAMES,
    STATUS_NAMES,
    Evidence,
    ProblemBatch,
    RectificationStep,
)
from backend.rectification.sheets import short_name

LEDGER_COLUMNS = [
    ("序号", 6),
    ("问题标题", 28),
    ("问题描述", 50),
    ("类别", 12),
    ("严重程度", 8),
    ("地区", 20),
    ("地区代码", 14),
    ("责任单位", 20),
    ("责任人", 10),
    ("整改时限", 12),
    ("整改状态", 12),
    ("是否逾期", 14),
    ("整改措施", 50),
    ("印证资料(份)", 10),
    ("申请销号日期", 12),
    ("销号日期", 12),
    ("审核人", 10),
    ("退回次数", 8),
    ("长期坚持", 8),
    ("下次复核日期", 12),
]


def _late(overdue: bool, days: int) -> str:
    if overdue:
        return f"逾期 {days} 个工作日"
    if days:
        return f"逾期完成({days} 个工作日)"
    return "否"


def ledger_xlsx(*, session: Session, batch: ProblemBatch, user: User) -> bytes:
    """整改台账: one row per problem in the caller's scope, with steps and status."""
    problems = service.problems_of_batch(session=session, batch=batch, user=user)
    summaries = service.summaries(session=session, problems=problems)
    area_names = areas_service.names(session=session, codes=[p.area_code for p in problems])
    users = service.user_names(session=session, ids=[p.closed_by for p in problems])
    ids = [p.id for p in problems]
    all_steps = records.children_of(session=session, model=RectificationStep, problem_ids=ids)
    all_evidence = records.children_of(session=session, model=Evidence, problem_ids=ids)
    rows = [
        [
            p.number,
            p.title,
            p.description,
            CATEGORY_NAMES[p.category],
            SEVERITY_NAMES[p.severity],
            short_name(area_names.get(p.area_code, "")),
            p.area_code,
            p.responsible_unit,
            p.responsible_person,
            p.deadline,
            STATUS_NAMES[p.status],
            _late(s.overdue, s.overdue_days),
            "\n".join(f"{st.position}. {st.description}" for st in all_steps[p.id]),
            len(all_evidence[p.id]),
            p.submitted_on,
            p.closed_at.astimezone(clock.CHINA).date() if p.closed_at else None,
            (users.get(p.closed_by) if p.closed_by else None) or "",
            p.return_count,
            "是" if p.ongoing else "",
            p.next_review_on,
        ]
        for p, s in zip(problems, summaries, strict=True)
    ]
    return _workbook(rows)


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    ws.append([name for name, _ in LEDGER_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, (_, width) in enumerate(LEDGER_COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            # openpyxl stores any text starting with "=" as a formula: a title typed as
            # =HYPERLINK(...) would run in the inspector's Excel. Text stays text.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
