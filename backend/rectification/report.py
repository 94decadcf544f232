"""整改情况报告: the document a township sends up at the end (seed 000), from live data,
as printable HTML or as DOCX (python-docx)."""

import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.core.chinese import chinese_date, full_width
from backend.files import service as files_service
from backend.rectification import records, service, wording
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

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for lists of measures)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else "")


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
class EvidenceLine:
    text: str
    # A photo's stored content, embedded (scaled down) in the DOCX; None for text and PDFs.
    photo_sha256: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class ProblemSection:
    number: int
    heading: str
    measures: str
    completion: str
    evidence: list[EvidenceLine] = field(default_factory=list)


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
    # 版头: 发文机关标志 and 发文字号 (empty: the number line stays blank above the red line).
    mark: str = ""
    number: str = ""
    # 签发人 ("张明", or "张明、李华"): set, the 版头 takes the 上行文 form (7.2.5, 7.2.6):
    # the number left, "签发人:" and the names right, on one line above the red line.
    signer: str = ""
    # 版记: 抄送 (as printed: "县纪委监委,县委组织部。", empty: no 抄送 line), 印发机关 and
    # 印发日期 ("2026年12月2日印发").
    copy_to: str = ""
    printed_by: str = ""
    printed_on: str = ""


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
            text += f";逾期{days_late}个工作日完成"
        return text + "。"
    if problem.status == ProblemStatus.submitted_for_closure:
        return "已完成整改,已申请销号,待审核。"
    if problem.status == ProblemStatus.issued:
        state = "尚未认领整改"
    elif problem.status == ProblemStatus.returned or (last_return and problem.return_count):
        reason = wording.without_prefix(last_return, "退回理由", "理由").rstrip(
            wording.END_PUNCTUATION
        )
        state = f"销号审核被退回(理由:{reason}),正在重新整改" if reason else "正在整改"
    else:
        state = "正在整改"
    if overdue:
        return f"{state},已逾期{days_late}个工作日(整改时限:{deadline})。"
    return f"{state},整改时限为{deadline}。"


def _list_name(batch: ProblemBatch) -> str:
    return wording.list_name(batch.title)


def _opening(batch: ProblemBatch, unit: str) -> str:
    """按照{issuing body}《notice》(文号)文件要求,{unit}高度重视……"""
    opening = "按照"
    if batch.issuing_body:
        opening += batch.issuing_body
    if batch.notice_title:
        opening += f"《{batch.notice_title.strip('《》')}》"
    elif not batch.issuing_body:
        opening += _list_name(batch)
    opening += wording.in_brackets(batch.document_number)
    opening += "文件要求," if (batch.notice_title or batch.document_number) else "要求,"
    return opening + (
        f"{unit}高度重视,针对反馈问题,坚持问题导向,明确时限要求,"
        "逐项逐条列明问题,逐类对照整改销号,对应建立整改印证资料,"
        "确保排查问题无死角、整改问题无遗漏、印证资料不缺失。"
    )


def _summary(batch: ProblemBatch, unit: str, problems: list[Problem], judge: OverdueJudge) -> str:
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
        f"对照{_list_name(batch)},{we(unit)}结合实际情况,对标对表、举一反三,共排查出{total}个问题"
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
            f"{chinese_number(s.position)}是{_sentence(wording.without_ordinal(s.description))}"
            for s in steps
        )
    else:
        measures = "尚未认领,未制定整改措施。"
    if notes:
        measures += wording.now_said("".join(_sentence(n.text) for n in notes))
    return measures


def _evidence_lines(
    steps: list[RectificationStep], evidence: list[Evidence], infos: dict[uuid.UUID, FileInfo]
) -> list[EvidenceLine]:
    """Each piece of evidence by what it shows (the caption typed at upload), its step and
    its own date (taken, else uploaded); photos carry their content to be embedded."""
    step_pos = {s.id: s.position for s in steps}
    listed = []
    for e in sorted(evidence, key=lambda e: (step_pos.get(e.step_id, 0), e.created_at)):
        at = chinese_date(e.created_at.astimezone(clock.CHINA).date())
        which = f"措施{chinese_number(step_pos.get(e.step_id, 0))}"
        if e.kind == EvidenceKind.file and e.file_id:
            info = infos.get(e.file_id)
            if info is None:
                listed.append(EvidenceLine(f"文件({which},{at})"))
                continue
            photo = info.content_type.startswith("image/")
            kind = "照片" if photo else "PDF 文件"
            when = f"{'拍摄于' if info.taken else '上传于'}{chinese_date(info.on)}"
            caption = info.caption.strip().rstrip("。")
            text = f"{kind}:{caption}({which},{when})" if caption else f"{kind}({which},{when})"
            listed.append(EvidenceLine(text, info.sha256 if photo else None))
        else:
            text = wording.without_prefix(e.text, "文字记录").rstrip("。")
            listed.append(EvidenceLine(f"文字记录:{text}({which},{at})"))
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
                heading=wording.without_problem_label(p.title).rstrip("。")
                + where
                + "。"
                + p.description.strip(),
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
    next_steps = wording.next_steps_paragraphs(batch.next_steps)
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


def issuer_mark(batch: ProblemBatch, unit: str) -> str:
    """发文机关标志: as typed on the list, else the reporting unit's name + 文件 (GB/T 9704
    7.2.3: 发文机关全称或规范化简称后加"文件"二字): 会宁县乡村振兴局 → 会宁县乡村振兴局文件."""
    if batch.issuer_mark.strip():
        return batch.issuer_mark.strip()
    name = unit.replace("、", "")
    return f"{name}文件" if name else ""


def copy_to_line(text: str) -> str:
    """抄送机关 as GB/T 9704 prints them: separated by full-width commas, a full stop after
    the last (whatever separators were typed)."""
    names = [n for n in re.split(r"[,，、;；\s]+", text.strip().rstrip("。.")) if n]
    return "，".join(names) + "。" if names else ""


def build(*, session: Session, batch: ProblemBatch, user: User) -> ReportData:
    """Everything the document says, from the batch and the problems the caller may see."""
    problems = service.problems_of_batch(session=session, batch=batch, user=user)
    judge = OverdueJudge(session=session, problems=problems, today=clock.today())
    # Without a reporting unit the list's area speaks: a township's list says 我镇.
    area = areas_service.names(session=session, codes=[batch.area_code]).get(batch.area_code, "")
    unit = batch.reporting_unit or short_name(area) or "我单位"
    signature = batch.reporting_unit or short_name(area)
    today = clock.today()
    data = ReportData(
        title=wording.report_title(batch.title),
        to=wording.addressee(batch.report_to),
        opening=_opening(batch, unit),
        summary=_summary(batch, unit, problems, judge),
        problems=_sections(session=session, user=user, batch=batch, problems=problems, judge=judge),
        next_steps=_next_steps(batch, problems, judge),
        signature=signature,
        signed_on=chinese_date(today),
        mark=issuer_mark(batch, signature),
        number=batch.report_number,
        signer=batch.signer,
        copy_to=copy_to_line(batch.copy_to),
        printed_by=batch.printing_office.strip() or signature,
        # The day the document is made is the day it is printed (成文日期 alike).
        printed_on=f"{chinese_date(today)}印发",
    )
    return _full_width(data)


def _full_width(data: ReportData) -> ReportData:
    """Every sentence of the document in a 公文's full-width punctuation, the report's own words
    and typed text alike (GB/T 15834): the one place it is done, so nothing slips past."""
    for section in data.problems:
        for name in ("heading", "measures", "completion"):
            setattr(section, name, full_width(getattr(section, name)))
        for line in section.evidence:
            line.text = full_width(line.text)
    for name in ("title", "to", "opening", "summary", "signature", "copy_to", "printed_by"):
        setattr(data, name, full_width(getattr(data, name)))
    data.next_steps = [full_width(line) for line in data.next_steps]
    return data


def html(data: ReportData) -> str:
    return _env.get_template("rectification_report.html").render(report=data)


# --- DOCX in the layout of GB/T 9704-2012 (党政机关公文格式) -------------------------------

TITLE_FONT = "方正小标宋简体"  # 2号 (22 pt), centred
BODY_FONT = "仿宋_GB2312"  # 3号 (16 pt)
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312"}  # 一、 in 黑体, (一) / 问题1: in 楷体
SIGNER_FONT = "楷体_GB2312"  # 签发人's names in 3号 楷体, the words before them in 仿宋
SIGNER_LABEL = "签发人\uff1a"  # with its full-width colon (7.2.6)
PAGE_NUMBER_FONT = "宋体"  # 4号 (14 pt), "— 1 —"
BODY_PT, TITLE_PT, PAGE_NUMBER_PT = 16, 22, 14
# 22 lines of 28 characters on the 225 mm type area: a fixed 28.95 pt line, as 公文 templates
# set it.
LINE_PT = 28.95
PHOTO_WIDTH = Mm(60)


RED = RGBColor(0xFF, 0x00, 0x00)
# 版心 156 mm wide: the 发文机关标志 shrinks to fit it, the lines span it.
TYPE_WIDTH = Mm(156)
MARK_PT = 36  # 小初; a longer mark is set smaller so that it stays on one line
RECORD_PT = 14  # 版记 in 4号 仿宋
# Line weights in eighths of a point: the 版头's red line; the 版记's thick first and last
# lines (0.35 mm ≈ 1 pt) and its thin middle line (0.25 mm ≈ 0.75 pt).
HEAD_LINE, THICK, THIN = 12, 8, 6
# What follows w:framePr and w:pBdr inside w:pPr (ECMA-376 order), so they go before these.
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_AFTER_FRAMEPR = ("w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", *_AFTER_PBDR)


def _rule(
    p: Paragraph, *, top: int = 0, bottom: int = 0, color: str = "000000", space: int = 1
) -> None:
    """Lines across the type area above and/or below a paragraph (its borders), `space`
    points from its text."""
    borders = OxmlElement("w:pBdr")
    for side, size in (("top", top), ("bottom", bottom)):
        if size:
            line = OxmlElement(f"w:{side}")
            line.set(qn("w:val"), "single")
            line.set(qn("w:sz"), str(size))
            line.set(qn("w:space"), str(space))
            line.set(qn("w:color"), color)
            borders.append(line)
    p._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)


def _at_page_foot(p: Paragraph) -> None:
    """Set the paragraph in a frame at the foot of the type area: GB/T 9704 puts the 版记
    on the last page with its last line on the type area's lower edge. Consecutive
    paragraphs with the same frame share it."""
    frame = OxmlElement("w:framePr")
    for name, value in (
        ("w:w", str(int(TYPE_WIDTH.twips))),
        ("w:wrap", "around"),
        ("w:vAnchor", "margin"),
        ("w:hAnchor", "margin"),
        ("w:xAlign", "center"),
        ("w:yAlign", "bottom"),
    ):
        frame.set(qn(name), value)
    p._p.get_or_add_pPr().insert_element_before(frame, *_AFTER_FRAMEPR)


def _font(run: Run, name: str, size: float, *, bold: bool = False) -> None:
    """A run in a Chinese font: Word takes CJK text from eastAsia, digits from ascii."""
    run.font.name = name
    run.font.size = Pt(size)
    run.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _page_layout(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    # The page number's top sits 7 mm below the type area: 35 − 7 − one 4号 line ≈ 23 mm.
    section.footer_distance = Mm(23)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    # Odd pages carry the number on the right, even pages on the left, one character in.
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(p: Paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    """ "— 7 —" with the 7 a PAGE field, so Word numbers every page itself."""
    p.alignment = align
    one_char = Pt(PAGE_NUMBER_PT)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = one_char
    else:
        p.paragraph_format.left_indent = one_char
    _font(p.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        run = p.add_run()
        _font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    _font(p.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_PT)


def _indent_two_chars(p: Paragraph) -> None:
    p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    # Word also reads the indent in characters, so a changed font size keeps two.
    p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")


def docx(data: ReportData) -> bytes:
    doc = Document()
    _page_layout(doc)

    def para(text: str = "", *, font: str = BODY_FONT, indent: bool = True) -> Paragraph:
        p = doc.add_paragraph()
        if indent:
            _indent_two_chars(p)
        if text:
            _font(p.add_run(text), font, BODY_PT)
        return p

    def labelled(label: str, text: str, *, font: str = BODY_FONT, bold: bool = True) -> None:
        p = para()
        _font(p.add_run(label), font, BODY_PT, bold=bold)
        if text:
            _font(p.add_run(text), BODY_FONT, BODY_PT)

    if data.mark:
        _letterhead(doc, data)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(35)  # a 22 pt title needs more than the body's line
    if data.mark:
        title.paragraph_format.space_before = Pt(2 * LINE_PT)  # 分隔线之下空二行
    _font(title.add_run(data.title), TITLE_FONT, TITLE_PT)
    doc.add_paragraph()  # one blank line between the title and the addressee
    if data.to:
        para(data.to, indent=False)
    para(data.opening)
    para("一、问题整改情况", font=HEADING_FONTS[1])
    para(data.summary)
    for s in data.problems:
        labelled(f"问题{s.number}：", s.heading, font=HEADING_FONTS[2], bold=False)
        labelled("整改措施及成效：", s.measures)
        labelled("整改完成情况：", s.completion)
        labelled("印证资料：", "" if s.evidence else "无。")
        for i, line in enumerate(s.evidence, start=1):
            para(f"{i}. {line.text}")
            photo = files_service.thumbnail(line.photo_sha256) if line.photo_sha256 else None
            if photo:
                p = doc.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                p.add_run().add_picture(io.BytesIO(photo), width=PHOTO_WIDTH)
    para("二、下一步工作打算", font=HEADING_FONTS[1])
    for line in data.next_steps:
        para(line)
    doc.add_paragraph()
    for line in (data.signature, data.signed_on):
        if line:
            p = para(line, indent=False)
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = Pt(4 * BODY_PT)  # 成文日期 右空四字
    _record(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _letterhead(doc: DocumentObject, data: ReportData) -> None:
    """版头 (GB/T 9704 7.2): the 发文机关标志 in red 小标宋, centred, its top 35 mm below the
    type area's; two lines below it the 发文字号, centred; 4 mm under that a red line as
    wide as the type area. With a 签发人 (上行文), that line holds the 发文字号 one character
    from the left and "签发人:" with the names one character from the right."""
    mark = doc.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    size = min(MARK_PT, TYPE_WIDTH.pt / max(1, len(data.mark)))
    fmt = mark.paragraph_format
    fmt.space_before = Mm(35)
    fmt.line_spacing = Pt(size * 1.25)
    run = mark.add_run(data.mark)
    _font(run, TITLE_FONT, size)
    run.font.color.rgb = RED
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.space_before = Pt(2 * LINE_PT)  # 发文机关标志下空二行
    if data.signer:
        one_char = Pt(BODY_PT)
        number.alignment = WD_ALIGN_PARAGRAPH.LEFT
        number.paragraph_format.left_indent = one_char
        number.paragraph_format.tab_stops.add_tab_stop(
            # Tab stops count from the margin, not the indent: 右空一字 as in the 版记.
            Emu(TYPE_WIDTH - one_char),
            WD_TAB_ALIGNMENT.RIGHT,
        )
        _font(number.add_run(f"{data.number}\t{SIGNER_LABEL}"), BODY_FONT, BODY_PT)
        _font(number.add_run(data.signer), SIGNER_FONT, BODY_PT)
    elif data.number:
        _font(number.add_run(data.number), BODY_FONT, BODY_PT)
    _rule(number, bottom=HEAD_LINE, color="FF0000", space=round(Mm(4).pt))


def _record(doc: DocumentObject, data: ReportData) -> None:
    """版记 (GB/T 9704 7.4) at the foot of the last page, in 4号 仿宋 between a thick first
    and last line: 抄送 (左右各空一字) above a thin line, then 印发机关 (左空一字) and
    印发日期 (右空一字) on one line."""
    one_char = Pt(RECORD_PT)
    lines = []
    if data.copy_to:
        cc = doc.add_paragraph()
        cc.paragraph_format.left_indent = cc.paragraph_format.right_indent = one_char
        _font(cc.add_run("抄送："), BODY_FONT, RECORD_PT)
        _font(cc.add_run(data.copy_to), BODY_FONT, RECORD_PT)
        _rule(cc, top=THICK, bottom=THIN)
        lines.append(cc)
    printed = doc.add_paragraph()
    printed.paragraph_format.left_indent = one_char
    printed.paragraph_format.tab_stops.add_tab_stop(
        Emu(TYPE_WIDTH - one_char), WD_TAB_ALIGNMENT.RIGHT
    )
    _font(printed.add_run(f"{data.printed_by}\t{data.printed_on}"), BODY_FONT, RECORD_PT)
    _rule(printed, top=0 if data.copy_to else THICK, bottom=THICK)
    lines.append(printed)
    for p in lines:
        _at_page_foot(p)
