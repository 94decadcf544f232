"""The statistics as XLSX: the area and its children one row each, the figures as columns
(the overview), or one row per area and month (the trend)."""

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.stats.schemas import MARK_NAMES, AreaFigures, Overview, Trend, WarningYield


def _percent(value: float | None) -> Any:
    return round(value * 100, 1) if value is not None else None


def overview_xlsx(data: Overview) -> bytes:
    names = data.names
    risks = list(names["risk_type"])
    types = list(names["monitoring_type"])
    categories = list(names["category"])
    head: list[tuple[str, Any]] = [
        ("地区", lambda f: f.area_name or f.area_code),
        ("地区代码", lambda f: f.area_code),
        ("户数(户)", lambda f: f.households),
        *[
            (f"{names['category'][c]}(户)", lambda f, c=c: f.by_category.get(c, 0))
            for c in categories
        ],
        ("监测中(户)", lambda f: f.monitored),
        ("风险已消除(户)", lambda f: f.risk_cleared),
        *[
            (f"{names['monitoring_type'][t]}(户)", lambda f, t=t: f.by_monitoring_type.get(t, 0))
            for t in types
        ],
        *[
            (f"监测户{names['risk_type'][r]}(户)", lambda f, r=r: f.by_risk_type.get(r, 0))
            for r in risks
        ],
        (f"{data.year}年新纳入(户)", lambda f: f.enrolled_this_year),
        (f"{data.year}年风险消除(户)", lambda f: f.cleared_this_year),
        ("风险消除率(%)", lambda f: _percent(f.clearance_rate)),
        (f"{data.year}年报告受理(件)", lambda f: f.reports.received),
        ("已入户核实(件)", lambda f: f.reports.verified),
        ("已办结(件)", lambda f: f.reports.decided),
        ("核实用时中位数(天)", lambda f: f.reports.median_days_to_verify),
        ("办结用时中位数(天)", lambda f: f.reports.median_days_to_decide),
        ("逾期报告(件)", lambda f: f.overdue_reports),
        ("村数(个)", lambda f: f.villages),
        ("农户自报(件)", lambda f: f.farmer_reports),
        ("使用率(县均=1)", lambda f: f.uptake),
        (f"{data.month}应访(户)", lambda f: f.coverage.due),
        ("已访(户)", lambda f: f.coverage.visited),
        ("遍访率(%)", lambda f: _percent(f.coverage.rate)),
        ("未销号问题(个)", lambda f: f.problems.open),
        ("逾期问题(个)", lambda f: f.problems.overdue),
        ("已销号问题(个)", lambda f: f.problems.closed),
        ("突出问题", lambda f: "、".join(MARK_NAMES[m] for m in f.marks)),
    ]
    rows: list[AreaFigures] = [data.area, *data.children]
    return _workbook(
        ("统计概览", [h for h, _ in head], [[g(f) for _, g in head] for f in rows]),
        ("部门预警", *_warnings_sheet(data, rows)),
    )


WARNING_FIGURES = [
    ("received", "收到(条)"),
    ("matched", "匹配到农户(条)"),
    ("reported", "已代报(条)"),
    ("dismissed", "已排除(条)"),
    ("open", "待分拣(条)"),
    ("unmatched", "未匹配(条)"),
    ("enrolled", "促成纳入监测(条)"),
]


def _warnings_sheet(data: Overview, rows: list[AreaFigures]) -> tuple[list[str], list[list[Any]]]:
    """One row per area and source: what came in and what became of it."""
    head = ["地区", "地区代码", "预警来源", *[label for _, label in WARNING_FIGURES]]
    out = []
    for f in rows:
        for source, name in data.names["warning_source"].items():
            y = f.warnings.get(source) or WarningYield()
            out.append(
                [f.area_name or f.area_code, f.area_code, name]
                + [getattr(y, k) for k, _ in WARNING_FIGURES]
            )
    return head, out


def trend_xlsx(data: Trend) -> bytes:
    head = ["地区", "地区代码", "月份", "监测中(户)", "新纳入(户)", "风险消除(户)"]
    head += ["报告受理(件)", "走访(次)"]
    rows = [
        [
            a.area_name or a.area_code,
            a.area_code,
            m.month,
            m.monitored,
            m.enrolled,
            m.cleared,
            m.reports,
            m.visits,
        ]
        for a in [data.area, *data.children]
        for m in a.months
    ]
    return _workbook(("逐月趋势", head, rows))


def _workbook(*sheets: tuple[str, list[str], list[list[Any]]]) -> bytes:
    book = Workbook()
    for i, (title, head, rows) in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append(head)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            # Area names come from the area table, never from a user's typing; still, text
            # starting with "=" would be stored as a formula.
            sheet.append([f"'{v}" if isinstance(v, str) and v.startswith("=") else v for v in row])
        sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
