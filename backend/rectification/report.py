"""整改情况报告: the document a township sends up at the end (seed 000), from live data,
as printable HTML or as DOCX (python-docx)."""

import io
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.rectification import records, service
from backend.rectification.models import (
    HANDED_IN,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemBatch,
    ProblemReview,
    ProblemStatus,
    ProgressNote,
    RectificationStep,
)
from backend.rectification.overdue import OverdueJudge, review_due
from backend.rectification.records import FileInfo
from backend.rectification.sheets import short_name

TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for lists of measures)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else "")


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。!?;…”" else text + "。"


_LEVELS = ("社区", "街道", "村", "镇", "乡", "区", "县", "市", "局")


def we(unit: str) -> str:
    """How a report names its writer in the first person, as seed 000 does: 会师镇党委、政府
    → 我镇; 高家庄村委会 → 我村; 会宁县乡村振兴局 → 我局. The level named last is the writer's."""
    name = unit.replace("乡村振兴", "").split("党委")[0].split("人民政府")[0]
    found = [
        (name.rfind(level) + len(level), len(level), level) for level in _LEVELS if level in name
    ]
    return "我" + max(found)[2] if found else "我单位"


@dataclass
class ProblemSection:
    number: int
    heading: str
    measures: str
    completion: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    title: str
    to: str
    opening: str
    summary: str
    problems: list[ProblemSection]
    next_steps: list[str]
    signature: str
    signed_on: str


def _completion(
    problem: Problem, days_late: int, overdue: bool, last_return: str, today: date
) -> str:
    deadline = chinese_date(problem.deadline)
    if problem.status == ProblemStatus.closed:
        text = "已完成整改并长期坚持" if problem.ongoing else "已完成整改,已销号"
        if problem.ongoing and problem.next_review_on:
            due = ",复核已逾期" if review_due(problem, today) else ""
            text += f"(下次复核:{chinese_date(problem.next_review_on)}{due})"
        if days_late:
            text += f";逾期 {days_late} 个工作日完成"
        return text + "。"
    if problem.status == ProblemStatus.submitted_for_closure:
        return "已完成整改,已申请销号,待审核。"
    if problem.status == ProblemStatus.issued:
        state = "尚未认领整改"
    elif problem.status == ProblemStatus.returned or (last_return and problem.return_count):
        state = f"销号审核被退回(理由:{last_return}),正在重新整改" if last_return else "正在整改"
    else:
        state = "正在整改"
    if overdue:
        return f"{state},已逾期 {days_late} 个工作日(整改时限:{deadline})。"
    return f"{state},整改时限为{deadline}。"


def _list_name(batch: ProblemBatch) -> str:
    return batch.title + ("清单" if batch.title.endswith("问题") else "问题清单")


def _opening(batch: ProblemBatch) -> str:
    """按照{issuing body}《notice》(文号)文件要求,{unit}高度重视……"""
    opening = "按照"
    if batch.issuing_body:
        opening += batch.issuing_body
    if batch.notice_title:
        opening += f"《{batch.notice_title.strip('《》')}》"
    elif not batch.issuing_body:
        opening += _list_name(batch)
    if batch.document_number:
        opening += f"({batch.document_number})"
    opening += "文件要求," if (batch.notice_title or batch.document_number) else "要求,"
    return opening + (
        f"{batch.reporting_unit or '我单位'}高度重视,针对反馈问题,坚持问题导向,明确时限要求,"
        "逐项逐条列明问题,逐类对照整改销号,对应建立整改印证资料,"
        "确保排查问题无死角、整改问题无遗漏、印证资料不缺失。"
    )


def _summary(batch: ProblemBatch, problems: list[Problem], judge: OverdueJudge) -> str:
    """How many problems there are, and how many are closed, waiting, in progress, overdue."""
    total = len(problems)
    closed = [p for p in problems if p.status == ProblemStatus.closed]
    ongoing = [p for p in closed if p.ongoing]
    submitted = [p for p in problems if p.status == ProblemStatus.submitted_for_closure]
    unclaimed = [p for p in problems if p.status == ProblemStatus.issued]
    working = [p for p in problems if p.status not in HANDED_IN and p not in unclaimed]
    overdue = [p for p in problems if judge.overdue(p)]
    copies = [p for p in problems if p.copied_from_id]
    summary = (
        f"对照{_list_name(batch)},{we(batch.reporting_unit)}结合实际情况,对标对表、举一反三,"
        f"共排查出{total}个问题"
    )
    if copies:
        summary += f"(其中举一反三{len(copies)}个)"
    if total and len(closed) == total:
        summary += ",现已全部整改完成"
        if ongoing:
            summary += f",其中{len(ongoing)}个需长期坚持"
        return summary + "。"
    parts = [f"已整改销号{len(closed)}个"]
    if ongoing:
        parts[0] += f"(其中长期坚持{len(ongoing)}个)"
    if submitted:
        parts.append(f"已申请销号待审核{len(submitted)}个")
    if working:
        parts.append(f"正在整改{len(working)}个")
    if unclaimed:
        parts.append(f"尚未认领{len(unclaimed)}个")
    summary += "," + "、".join(parts)
    if overdue:
        summary += f";逾期未完成{len(overdue)}个"
    return summary + "。"


def _measures(steps: list[RectificationStep], notes: list[ProgressNote]) -> str:
    """整改措施及成效: the steps as 一是……二是……, then the progress notes as 目前……"""
    if steps:
        measures = "".join(
            f"{chinese_number(s.position)}是{_sentence(s.description)}" for s in steps
        )
    else:
        measures = "尚未认领,未制定整改措施。"
    if notes:
        measures += "目前," + "".join(_sentence(n.text) for n in notes)
    return measures


def _evidence_lines(
    steps: list[RectificationStep], evidence: list[Evidence], infos: dict[uuid.UUID, FileInfo]
) -> list[str]:
    """Each piece of evidence with its step and its own date: photos are listed, not embedded."""
    step_pos = {s.id: s.position for s in steps}
    listed = []
    for e in sorted(evidence, key=lambda e: (step_pos.get(e.step_id, 0), e.created_at)):
        at = chinese_date(e.created_at.astimezone(clock.CHINA).date())
        which = f"措施{chinese_number(step_pos.get(e.step_id, 0))}"
        if e.kind == EvidenceKind.file and e.file_id:
            info = infos.get(e.file_id)
            kind = "PDF 文件" if info and info.content_type == "application/pdf" else "照片"
            name = info.name if info else "文件"
            on = chinese_date(info.on) if info else at
            listed.append(f"{kind}:{name}({which},{on})")
        else:
            listed.append(f"文字记录:{e.text}({which},{at})")
    return listed


def _sections(
    *,
    session: Session,
    user: User,
    batch: ProblemBatch,
    problems: list[Problem],
    judge: OverdueJudge,
) -> list[ProblemSection]:
    ids = [p.id for p in problems]

    def load(model: type) -> dict:  # type: ignore[type-arg]
        return records.children_of(session=session, model=model, problem_ids=ids)

    all_steps, all_notes = load(RectificationStep), load(ProgressNote)
    all_evidence, all_reviews = load(Evidence), load(ProblemReview)
    infos = records.file_infos(
        session=session,
        user=user,
        file_ids=[e.file_id for es in all_evidence.values() for e in es],
    )
    area_names = areas_service.names(session=session, codes=[p.area_code for p in problems])
    sections: list[ProblemSection] = []
    for p in problems:
        reviews = all_reviews[p.id]
        last_return = next((r.reason for r in reversed(reviews) if r.decision == "return"), "")
        # Problems below the list's own area say where they are: 问题2:……(高家庄村)。
        where = (
            f"({short_name(area_names.get(p.area_code, p.area_code))})"
            if p.area_code != batch.area_code
            else ""
        )
        sections.append(
            ProblemSection(
                number=p.number,
                heading=p.title.rstrip("。") + where + "。" + p.description.strip(),
                measures=_measures(all_steps[p.id], all_notes[p.id]),
                completion=_completion(
                    p, judge.days(p), judge.overdue(p), last_return, judge.today
                ),
                evidence=_evidence_lines(all_steps[p.id], all_evidence[p.id], infos),
            )
        )
    return sections


def _next_steps(batch: ProblemBatch, problems: list[Problem], judge: OverdueJudge) -> list[str]:
    """下一步工作打算: the list's own text, then what the data says is still open."""
    next_steps = [batch.next_steps.strip()] if batch.next_steps.strip() else []
    open_ones = [p for p in problems if p.status != ProblemStatus.closed]
    overdue = [p for p in problems if judge.overdue(p)]
    ongoing = [p for p in problems if p.status == ProblemStatus.closed and p.ongoing]
    if open_ones:
        nums = "、".join(f"问题{p.number}" for p in open_ones)
        line = (
            f"对尚未销号的{len(open_ones)}个问题({nums}),责任人倒排工期、挂图作战,"
            "在整改时限内完成整改并提交印证资料,经审核后销号"
        )
        if overdue:
            line += f";已逾期的{len(overdue)}个问题列入黑榜督办,逐项明确完成时间"
        next_steps.append(line + "。")
    if ongoing:
        due = [p for p in ongoing if review_due(p, judge.today)]
        line = f"对需长期坚持的{len(ongoing)}个问题,按复核日期开展“回头看”,防止问题反弹"
        if due:
            line += f";其中{len(due)}个复核已逾期,立即组织复核"
        next_steps.append(line + "。")
    if not next_steps:
        next_steps.append(
            "坚持目标导向,把整改工作与巩固拓展脱贫攻坚成果同乡村振兴有效衔接重点工作结合起来,"
            "做到“扎实排查、全面认领、彻底整改”,巩固整改成效。"
        )
    return next_steps


def build(*, session: Session, batch: ProblemBatch, user: User) -> ReportData:
    """Everything the document says, from the batch and the problems the caller may see."""
    problems = service.problems_of_batch(session=session, batch=batch, user=user)
    judge = OverdueJudge(session=session, problems=problems, today=clock.today())
    return ReportData(
        title=f"关于上报{batch.title}整改情况的报告",
        to=f"{batch.report_to}:" if batch.report_to else "",
        opening=_opening(batch),
        summary=_summary(batch, problems, judge),
        problems=_sections(session=session, user=user, batch=batch, problems=problems, judge=judge),
        next_steps=_next_steps(batch, problems, judge),
        signature=batch.reporting_unit,
        signed_on=chinese_date(clock.today()),
    )


def html(data: ReportData) -> str:
    return _env.get_template("rectification_report.html").render(report=data)


def docx(data: ReportData) -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "FangSong"
    normal.font.size = Pt(16)  # 三号, as official documents are set
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")

    def para(text: str, *, bold: bool = False, indent: bool = True, align=None, size=None):  # type: ignore[no-untyped-def]
        p = doc.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        if align is not None:
            p.alignment = align
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        return p

    para(data.title, bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=22)
    if data.to:
        para(data.to, indent=False)
    para(data.opening)
    para("一、问题整改情况", bold=True)
    para(data.summary)
    for s in data.problems:
        p = para("")
        p.add_run(f"问题{s.number}:").bold = True
        p.add_run(s.heading)
        p = para("")
        p.add_run("整改措施及成效:").bold = True
        p.add_run(s.measures)
        p = para("")
        p.add_run("整改完成情况:").bold = True
        p.add_run(s.completion)
        p = para("")
        p.add_run("印证资料:").bold = True
        p.add_run("无。" if not s.evidence else "")
        for i, line in enumerate(s.evidence, start=1):
            para(f"{i}. {line}")
    para("二、下一步工作打算", bold=True)
    for line in data.next_steps:
        para(line)
    if data.signature:
        para(data.signature, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(data.signed_on, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
