"""The village's 公示 and 公告 of an enrolment or a clearance: what the notice board shows
(the name masked as 张*明, the ID number masked, the decision, the dates, where and until when
to object), as a printable page and as DOCX."""

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlmodel import Session

from backend.areas import service as areas_service
from backend.core import clock, security
from backend.core.chinese import chinese_date, full_width
from backend.core.errors import Conflict
from backend.households.models import RISK_NAMES
from backend.reports import poster
from backend.reports.models import APPROVED, ReportKind, SelfReport

Stage = Literal["public_notice", "announcement"]

# What the notice says is decided, by what the case asks for.
DECISION = {
    ReportKind.self_report: "纳入防止返贫动态监测对象",
    ReportKind.enrolment_proposal: "纳入防止返贫动态监测对象",
    ReportKind.revert_proposal: "重新纳入防止返贫动态监测对象(回退)",
    ReportKind.clearance_proposal: "标注风险消除",
}
STAGE_NAMES = {"public_notice": "公示", "announcement": "公告"}


def mask_name(name: str) -> str:
    """张建明 → 张*明, 张明 → 张*, 欧阳建明 → 欧**明: the surname and the last character."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class Notice:
    title: str
    paragraphs: list[str]
    rows: list[tuple[str, str]]
    signed_by: str
    signed_on: str
    stage: str
    masked_name: str
    masked_id_number: str
    extra: list[str] = field(default_factory=list)


def build(*, session: Session, report: SelfReport, stage: Stage) -> Notice:
    """The notice of `stage` for the case; 409 when that step has not been recorded."""
    if stage == "public_notice":
        if report.public_notice_start is None or report.public_notice_days is None:
            raise Conflict("尚未记录村内公示,不能打印公示", code="no_public_notice")
    elif report.status not in APPROVED or report.announced_on is None:
        raise Conflict("县级审定通过并记录公告后才能打印公告", code="no_announcement")
    info = poster.for_village(session=session, code=report.area_code)
    township = areas_service.get(session=session, code=report.area_code[:9])
    township_name = township.name if township else "乡镇"
    number = (
        security.decrypt_id_number(report.id_number_cipher) if report.id_number_cipher else None
    )
    name = mask_name(report.name)
    masked_id = security.mask_id_number(number) if number else "(未登记)"
    decision = DECISION[ReportKind(report.kind)]
    risks = "、".join(RISK_NAMES.get(r, r) for r in report.risk_types) or "—"
    committee = areas_service.committee(info.village)
    who = committee
    if info.cadre_name:
        phone = f",电话 {info.cadre_phone}" if info.cadre_phone else ""
        who += f"(联系人 {info.cadre_name}{phone})"
    rows = [("户主姓名", name), ("身份证号", masked_id), ("所在村", info.full_name)]
    rows.append(("风险类型", risks))
    if report.community_review_on:
        rows.append(("民主评议", chinese_date(report.community_review_on)))
    if stage == "public_notice":
        start = report.public_notice_start
        days = report.public_notice_days
        assert start is not None and days is not None  # checked above
        end = start + timedelta(days=days - 1)
        paragraphs = [
            f"经入户核实、民主评议,拟将以下农户{decision},现予以公示。",
            f"公示期:{chinese_date(start)}至{chinese_date(end)},共{days}天。",
            f"公示期间如有异议,请于{chinese_date(end)}前,以书面或口头形式向{who}"
            f"或{township_name}人民政府反映。反映情况须实事求是,我们将为反映人保密。",
        ]
        signed_on = chinese_date(start)
    else:
        announced = report.announced_on
        assert announced is not None  # checked above
        days = report.announcement_days or 5
        decided = report.decided_at.astimezone(clock.CHINA).date() if report.decided_at else None
        notice = ""
        if report.public_notice_start and report.public_notice_days:
            end = report.public_notice_start + timedelta(days=report.public_notice_days - 1)
            notice = f"村内公示({chinese_date(report.public_notice_start)}至{chinese_date(end)})、"
        paragraphs = [
            f"经入户核实、民主评议、{notice}乡镇审核"
            + (f",{chinese_date(decided)}县级审定" if decided else ",县级审定")
            + f",以下农户已{decision},现予以公告。",
            f"公告期:{chinese_date(announced)}至"
            f"{chinese_date(announced + timedelta(days=days - 1))},共{days}天。"
            f"如有疑问,请向{who}或{township_name}人民政府反映。",
        ]
        signed_on = chinese_date(announced)
    extra = []
    if report.decision_income is not None and report.decision_line_amount is not None:
        basis = (
            "收支登记近6个月折算" if report.decision_income_basis == "ledger" else "年度收入登记"
        )
        extra.append(
            f"审定时人均年纯收入{report.decision_income}元({basis}),"
            f"监测收入标准{report.decision_line_amount}元。"
        )
    return Notice(
        title=f"{committee}关于{name}户{decision}的{STAGE_NAMES[stage]}",
        # Set as a 公文 is (GB/T 15834): the notice's own words and the names in it alike.
        paragraphs=[full_width(p) for p in paragraphs],
        rows=[(label, full_width(value)) for label, value in rows],
        signed_by=committee,
        signed_on=signed_on,
        stage=STAGE_NAMES[stage],
        masked_name=name,
        masked_id_number=masked_id,
        extra=[full_width(line) for line in extra],
    )


def docx(notice: Notice) -> bytes:
    """The same notice as a Word document, set as the village prints it."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "FangSong"
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(notice.title)
    run.bold, run.font.size = True, Pt(22)
    for text in [notice.paragraphs[0]]:
        doc.add_paragraph(text).paragraph_format.first_line_indent = Pt(32)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in notice.rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    for text in [*notice.extra, *notice.paragraphs[1:]]:
        doc.add_paragraph(text).paragraph_format.first_line_indent = Pt(32)
    for text in (notice.signed_by, notice.signed_on):
        doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
