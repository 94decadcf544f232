"""The rectification report from live data: seed 000's four problems entered, claimed,
evidenced, reviewed and closed, and the document that comes out."""

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from PIL import Image

from backend.core import clock
from backend.core.chinese import full_width
from backend.rectification.demo import SEED_000_PROBLEMS
from tests import factories as f
from tests.rectification.conftest import BATCH, HUISHI, Api, People, problem_body


@pytest.fixture(autouse=True)
def _august_2023() -> None:
    clock.freeze(datetime(2023, 8, 10, 2, 0, tzinfo=UTC))


def _seed_000(api: Api, people: People) -> tuple[dict, list[dict]]:
    batch = api.batch(people.inspector)
    problems = []
    for i, seed in enumerate(SEED_000_PROBLEMS):
        area = f.GAOJIAZHUANG if i == 1 else HUISHI
        problems.append(
            api.problem(
                people.inspector,
                batch["id"],
                title=seed["title"],
                description=seed["description"],
                category=seed["category"],
                area_code=area,
                deadline="2023-09-30",
            )
        )
    return batch, problems


def test_seed_000_goes_through_and_the_report_reads_like_it(api: Api, people: People) -> None:
    batch, problems = _seed_000(api, people)
    for i, (problem, seed) in enumerate(zip(problems, SEED_000_PROBLEMS, strict=True)):
        who = people.cadre if i == 1 else people.township
        claimed = api.claim(who, problem["id"], steps=seed["steps"])
        api.post(who, f"/problems/{problem['id']}/notes", {"text": seed["note"]})
        api.evidence_all(who, claimed)
        assert api.post(who, f"/problems/{problem['id']}/submit-for-closure").status_code == 200
        reviewer = people.inspector
        body = {"ongoing": True, "next_review_on": "2024-03-31"} if i != 2 else {}
        assert api.post(reviewer, f"/problems/{problem['id']}/close", body).status_code == 200

    html = api.get(people.township, f"/problem-batches/{batch['id']}/report")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    assert (
        "关于上报2023巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题整改情况的报告" in text
    )
    assert "县委农村工作领导小组办公室：" in text
    assert (
        "按照中共白银市委农村工作领导小组办公室《关于巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题的通报》（市农领办发〔2023〕38号）文件要求"
        in text
    )
    assert (
        "对照2023巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题清单，"
        "我镇结合实际情况，对标对表、举一反三，共排查出4个问题，现已全部整改完成，"
        "其中3个需长期坚持。"
    ) in text
    assert "一、问题整改情况" in text and "二、下一步工作打算" in text

    docx = api.get(people.township, f"/problem-batches/{batch['id']}/report", format="docx")
    assert docx.status_code == 200
    assert docx.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    doc = Document(io.BytesIO(docx.content))
    paragraphs = [p.text for p in doc.paragraphs]
    body = "\n".join(paragraphs)
    for n, seed in enumerate(SEED_000_PROBLEMS, start=1):
        where = "（高家庄村）" if n == 2 else ""
        title, description = full_width(seed["title"]), full_width(seed["description"])
        assert f"问题{n}：{title}{where}。{description}" in body
        # 整改措施及成效 lists the steps as 一是……二是…… and then what was achieved.
        measures = next(
            p
            for p in paragraphs
            if p.startswith("整改措施及成效：") and full_width(seed["steps"][0])[:30] in p
        )
        assert measures.startswith("整改措施及成效：一是" + full_width(seed["steps"][0])[:20])
        assert "二是" + full_width(seed["steps"][1])[:20] in measures
        assert "目前，" + full_width(seed["note"])[:20] in measures
    completions = [p for p in paragraphs if p.startswith("整改完成情况：")]
    assert completions[0].startswith("整改完成情况：已完成整改并长期坚持")
    assert completions[2] == "整改完成情况：已完成整改，已销号。"
    # Evidence is named by what it shows and the day, never by its file name.
    evidence = [p for p in paragraphs if p.startswith("1. 照片：")]
    assert len(evidence) == 4 and "photo.png" not in body
    assert evidence[0] == "1. 照片：措施1现场照片（措施一，上传于2023年8月10日）"
    # Signed by the unit, then the 版记 (印发机关 the unit, since none was typed).
    assert paragraphs[-3] == "会师镇党委、政府"
    assert paragraphs[-1] == "会师镇党委、政府\t2023年8月10日印发"


def test_the_report_says_what_is_still_open_and_overdue(api: Api, people: People) -> None:
    batch, problems = _seed_000(api, people)
    api.claim(people.township, problems[0]["id"], steps=["培训"])
    api.to_submitted(people.cadre, problems[1]["id"])
    clock.freeze(datetime(2023, 10, 10, 2, 0, tzinfo=UTC))  # after the deadline and the holiday
    doc = Document(
        io.BytesIO(
            api.get(
                people.township, f"/problem-batches/{batch['id']}/report", format="docx"
            ).content
        )
    )
    paragraphs = [p.text for p in doc.paragraphs]
    summary = next(p for p in paragraphs if p.startswith("对照"))
    assert (
        "已整改销号0个、已申请销号待审核1个、正在整改1个、尚未认领2个；逾期未完成3个。" in summary
    )
    completions = [p for p in paragraphs if p.startswith("整改完成情况：")]
    # 2023-10-01..06 were the National Day holiday; 10-07, 10-08 were make-up working days.
    assert completions[0] == "整改完成情况：正在整改，已逾期4个工作日（整改时限：2023年9月30日）。"
    assert completions[1] == "整改完成情况：已完成整改，已申请销号，待审核。"
    assert completions[2].startswith("整改完成情况：尚未认领整改，已逾期")
    assert next(p for p in paragraphs if p.startswith("整改措施及成效：") and "尚未认领" in p)
    assert any("列入黑榜督办" in p for p in paragraphs)


def test_a_village_cadre_gets_only_their_part_and_strangers_nothing(
    api: Api, people: People
) -> None:
    batch, _ = _seed_000(api, people)
    mine = api.get(people.cadre, f"/problem-batches/{batch['id']}/report").text
    assert "共排查出1个问题" in mine and SEED_000_PROBLEMS[1]["title"] in mine
    assert SEED_000_PROBLEMS[0]["title"] not in mine
    assert api.get(people.outsider, f"/problem-batches/{batch['id']}/report").status_code == 404
    assert (
        api.get(people.township, f"/problem-batches/{batch['id']}/report", format="pdf").status_code
        == 422
    )


def test_an_ongoing_problem_past_its_review_date_is_flagged_everywhere(
    api: Api, people: People
) -> None:
    batch = api.batch(people.township)
    watched = api.problem(people.township, batch["id"])
    other = api.problem(people.township, batch["id"], title="人居环境还需持续改善")
    for pid, review in ((watched["id"], "2023-09-01"), (other["id"], "2023-12-01")):
        api.to_submitted(people.cadre, pid)
        r = api.post(
            people.township, f"/problems/{pid}/close", {"ongoing": True, "next_review_on": review}
        )
        assert r.status_code == 200 and r.json()["review_due"] is False
    clock.freeze(datetime(2023, 9, 5, 2, 0, tzinfo=UTC))
    listed = api.get(people.township, "/problems", batch_id=batch["id"]).json()["data"]
    assert {p["id"]: p["review_due"] for p in listed} == {watched["id"]: True, other["id"]: False}
    due = api.get(people.township, "/problems", review_due="true").json()
    assert [p["id"] for p in due["data"]] == [watched["id"]] and due["count"] == 1
    rest = api.get(people.township, "/problems", review_due="false").json()
    assert [p["id"] for p in rest["data"]] == [other["id"]]
    assert api.get(people.township, f"/problems/{watched['id']}").json()["review_due"] is True
    counts = api.get(people.township, f"/problem-batches/{batch['id']}").json()["counts"]
    assert counts["review_due"] == 1
    boards = api.get(people.township, "/problems/boards").json()
    assert boards["review_due"] == 1
    unit = next(u for u in boards["warning_board"]["units"] if u["name"] == "高家庄村委会")
    assert unit["review_due"] == 1
    text = api.get(people.township, f"/problem-batches/{batch['id']}/report").text
    assert "下次复核：2023年9月1日，复核已逾期" in text
    assert "下次复核：2023年12月1日）" in text
    assert "其中1个复核已逾期" in text


@pytest.mark.parametrize(
    ("unit", "pronoun"),
    [
        ("会师镇党委、政府", "我镇"),
        ("会宁县会师镇人民政府", "我镇"),
        ("高家庄村委会", "我村"),
        ("东山根社区居民委员会", "我社区"),
        ("会宁县乡村振兴局", "我局"),
        ("中共会宁县委", "我县"),
        ("", "我单位"),
    ],
)
def test_the_summary_speaks_for_the_reporting_unit(unit: str, pronoun: str) -> None:
    from backend.rectification.report import we

    assert we(unit) == pronoun


def _jpeg_taken(when: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = when  # DateTimeOriginal
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 120, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_list_addressed_to_huishi_reads_as_the_township_sends_it(
    api: Api, people: People
) -> None:
    # The county's inspector issues it, but to 会师镇: the report speaks as the township.
    batch = api.batch(
        people.inspector,
        reporting_unit="",
        next_steps="二、下一步工作打算\n我镇将按照“抓重点、补短板”的工作主线持续推进整改。\n"
        "督促各村建立健全相关台账资料。",
    )
    assert batch["area_code"] == HUISHI and batch["area_name"] == "会师镇"
    body = problem_body(title="思想认识和责任落实上明显松劲懈怠", category="responsibility")
    del body["area_code"]
    r = api.post(people.inspector, f"/problem-batches/{batch['id']}/problems", body)
    assert r.status_code == 201 and r.json()["area_code"] == HUISHI  # the list's own area
    problem = api.claim(people.township, r.json()["id"], steps=["一是加强业务培训", "二是加强宣传"])
    api.post(
        people.township, f"/problems/{problem['id']}/notes", {"text": "目前,全镇累计召开会议6次。"}
    )
    photo = api.upload(
        people.township, HUISHI, _jpeg_taken("2023:08:08 09:30:00"), "镇村干部业务培训会现场"
    )
    steps = problem["steps"]
    for step, evidence in (
        (steps[0], {"kind": "file", "file_id": photo}),
        (steps[1], {"kind": "text", "text": "文字记录:发放政策明白纸2000余份"}),
    ):
        path = f"/problems/{problem['id']}/steps/{step['id']}/evidence"
        assert api.post(people.township, path, evidence).status_code == 201

    html = api.get(people.township, f"/problem-batches/{batch['id']}/report").text
    assert "目前，目前" not in html and "一是一是" not in html and "文字记录：文字记录" not in html
    assert "照片：镇村干部业务培训会现场（措施一，拍摄于2023年8月8日）" in html
    assert "photo.png" not in html

    r = api.get(people.township, f"/problem-batches/{batch['id']}/report", format="docx")
    doc = Document(io.BytesIO(r.content))
    paragraphs = [p.text for p in doc.paragraphs]
    text = "\n".join(paragraphs)
    # Addressee, the township's voice, no doubled words, the typed next steps.
    assert "县委农村工作领导小组办公室：" in paragraphs
    assert "我镇结合实际情况" in text and "我县" not in text and "我单位" not in text
    assert "会师镇高度重视" in text
    # Signed by the township, dated, then the 版记.
    assert paragraphs[-3:-1] == ["会师镇", "2023年8月10日"]
    assert "整改措施及成效：一是加强业务培训。二是加强宣传。目前，全镇累计召开会议6次。" in text
    assert "目前，目前" not in text and "一是一是" not in text
    next_steps = paragraphs[paragraphs.index("二、下一步工作打算") + 1 :]
    assert next_steps[0] == "我镇将按照“抓重点、补短板”的工作主线持续推进整改。"
    assert next_steps[1] == "督促各村建立健全相关台账资料。"
    assert text.count("下一步工作打算") == 1
    # Evidence by caption and the day the photo was taken, with the photo itself, scaled down.
    assert "1. 照片：镇村干部业务培训会现场（措施一，拍摄于2023年8月8日）" in paragraphs
    assert "2. 文字记录：发放政策明白纸2000余份（措施二，2023年8月10日）" in paragraphs
    assert len(doc.inline_shapes) == 1
    assert round(doc.inline_shapes[0].width.mm) == 60
    image = next(p for p in doc.part.package.parts if p.content_type == "image/jpeg")
    assert len(image.blob) < 60_000 and Image.open(io.BytesIO(image.blob)).width <= 640

    # GB/T 9704: A4, margins 37/35/28/26 mm, 小标宋 title, 仿宋 body, 黑体 / 楷体 headings.
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]

    def east_asian(run) -> str:  # type: ignore[no-untyped-def]
        return run._element.rPr.rFonts.get(qn("w:eastAsia"))

    title = doc.paragraphs[2]  # after the 版头's 发文机关标志 and 发文字号
    assert (
        title.text
        == "关于上报2023巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题整改情况的报告"
    )
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asian(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    opening = next(p for p in doc.paragraphs if p.text.startswith("按照"))
    assert east_asian(opening.runs[0]) == "仿宋_GB2312" and opening.runs[0].font.size.pt == 16
    assert opening.paragraph_format.first_line_indent.pt == 32  # two characters of 3号
    heading = next(p for p in doc.paragraphs if p.text == "一、问题整改情况")
    assert east_asian(heading.runs[0]) == "黑体"
    label = next(p for p in doc.paragraphs if p.text.startswith("问题1："))
    assert east_asian(label.runs[0]) == "楷体_GB2312"
    assert doc.styles["Normal"].font.size.pt == 16

    # Page numbers: a PAGE field between dashes, 宋体 4号, on odd and even pages.
    for footer in (section.footer, section.even_page_footer):
        number = footer.paragraphs[0]
        assert number.text.startswith("— ") and number.text.endswith(" —")
        xml = number._p.xml
        assert 'w:fldCharType="begin"' in xml and "PAGE" in xml
        assert all(east_asian(r) == "宋体" and r.font.size.pt == 14 for r in number.runs)
    assert doc.settings.odd_and_even_pages_header_footer


def _borders(p) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """{side: "size color"} of a paragraph's lines."""
    found = p._p.xpath("./w:pPr/w:pBdr/*")
    return {el.tag.split("}")[1]: f"{el.get(qn('w:sz'))} {el.get(qn('w:color'))}" for el in found}


def test_the_docx_is_a_gongwen_with_its_letterhead_and_record(api: Api, people: People) -> None:
    batch = api.batch(
        people.inspector,
        reporting_unit="会宁县乡村振兴局",
        report_number=" 会乡振发[2023]12号",
        copy_to="县纪委监委、县委组织部;县财政局",
        printing_office="会宁县乡村振兴局办公室",
    )
    # The number is put into the form GB/T 9704 writes it in.
    assert batch["report_number"] == "会乡振发〔2023〕12号"
    assert batch["issuer_mark"] == "" and batch["printing_office"] == "会宁县乡村振兴局办公室"
    api.problem(people.inspector, batch["id"])
    r = api.get(people.inspector, f"/problem-batches/{batch['id']}/report", format="docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    paragraphs = doc.paragraphs
    texts = [p.text for p in paragraphs]

    # 版头: the mark (from the unit: + 文件) in red 小标宋, centred; the number; a red line.
    mark, number, title = paragraphs[:3]
    assert mark.text == "会宁县乡村振兴局文件"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(str(run.font.color.rgb) == "FF0000" for run in mark.runs)
    assert mark.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert round(mark.paragraph_format.space_before.mm) == 35
    assert number.text == "会乡振发〔2023〕12号"
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert _borders(number) == {"bottom": "12 FF0000"}
    assert title.text.startswith("关于上报") and title.text.endswith("整改情况的报告")

    # 版记 after the signature and the date: 抄送 between a thick and a thin line, then
    # 印发机关 and 印发日期 on one line above a thick line, at the foot of the last page.
    signature = texts.index("会宁县乡村振兴局")
    assert texts[signature + 1] == "2023年8月10日"
    cc, printed = paragraphs[-2:]
    assert signature + 2 == len(texts) - 2
    assert cc.text == "抄送：县纪委监委，县委组织部，县财政局。"
    assert _borders(cc) == {"top": "8 000000", "bottom": "6 000000"}
    assert printed.text == "会宁县乡村振兴局办公室\t2023年8月10日印发"
    assert _borders(printed) == {"bottom": "8 000000"}
    for p in (cc, printed):
        assert all(r.font.size.pt == 14 for r in p.runs)
        frame = p._p.xpath("./w:pPr/w:framePr")[0]
        assert frame.get(qn("w:yAlign")) == "bottom" and frame.get(qn("w:vAnchor")) == "margin"
    assert round(cc.paragraph_format.left_indent.pt) == round(cc.paragraph_format.right_indent.pt)
    assert round(printed.paragraph_format.left_indent.pt) == 14
    # The printable page carries them too.
    page = api.get(people.inspector, f"/problem-batches/{batch['id']}/report").text
    assert '<p class="mark">会宁县乡村振兴局文件</p>' in page
    assert "会乡振发〔2023〕12号" in page and "抄送：县纪委监委，县委组织部，县财政局。" in page
    assert "2023年8月10日印发" in page


def test_a_typed_mark_is_used_and_no_copy_to_means_no_copy_line(api: Api, people: People) -> None:
    batch = api.batch(people.township, issuer_mark="中共会师镇委员会 会师镇人民政府文件")
    r = api.get(people.township, f"/problem-batches/{batch['id']}/report", format="docx")
    doc = Document(io.BytesIO(r.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "中共会师镇委员会 会师镇人民政府文件"
    assert texts[1] == ""  # no number typed: the line stays blank above the red line
    assert not any(t.startswith("抄送") for t in texts)
    printed = doc.paragraphs[-1]
    assert printed.text == "会师镇党委、政府\t2023年8月10日印发"
    assert _borders(printed) == {"top": "8 000000", "bottom": "8 000000"}


@pytest.mark.parametrize(
    "number", ["12号", "会乡振发〔23〕12号", "会乡振发〔2023〕012号", "会乡振发2023年12号"]
)
def test_a_report_number_not_written_as_gb_9704_is_refused(
    api: Api, people: People, number: str
) -> None:
    r = api.client.post(
        "/api/v1/problem-batches",
        json={**BATCH, "report_number": number},
        headers=f.auth(people.township),
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "report_number"
    assert "〔年份〕" in r.json()["detail"][0]["message"]
    batch = api.batch(people.township)
    patched = api.client.patch(
        f"/api/v1/problem-batches/{batch['id']}",
        json={"report_number": number, "copy_to": "县纪委监委"},
        headers=f.auth(people.township),
    )
    assert patched.status_code == 422
    # Nothing of the refused change was written.
    again = api.get(people.township, f"/problem-batches/{batch['id']}").json()
    assert again["report_number"] == "" and again["copy_to"] == ""
    fixed = api.client.patch(
        f"/api/v1/problem-batches/{batch['id']}",
        json={"report_number": "会师政发〔2023〕7号", "copy_to": "县纪委监委"},
        headers=f.auth(people.township),
    )
    assert fixed.status_code == 200 and fixed.json()["report_number"] == "会师政发〔2023〕7号"


def test_a_signer_turns_the_letterhead_into_the_upward_form(api: Api, people: People) -> None:
    """整改情况报告 sent upward (上行文, GB/T 9704 7.2.5–7.2.6): the 发文字号 one character from
    the left and 签发人 with the name one character from the right, on the line above the red
    line; the name in 楷体."""
    batch = api.batch(
        people.township,
        report_to="县委农村工作领导小组办公室",
        report_number="会师政发〔2023〕7号",
        signer=" 签发人:张明 ",
    )
    # Typed with its label and spaces, kept as the name alone; it round-trips.
    assert batch["signer"] == "张明"
    assert api.get(people.township, f"/problem-batches/{batch['id']}").json()["signer"] == "张明"
    patched = api.client.patch(
        f"/api/v1/problem-batches/{batch['id']}",
        json={"signer": "张明 李华"},
        headers=f.auth(people.township),
    )
    assert patched.status_code == 200 and patched.json()["signer"] == "张明、李华"
    api.problem(people.township, batch["id"])

    r = api.get(people.township, f"/problem-batches/{batch['id']}/report", format="docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    mark, number = doc.paragraphs[:2]
    assert mark.text == "会师镇党委政府文件"
    assert number.text == "会师政发〔2023〕7号\t签发人\uff1a张明、李华"
    assert number.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert round(number.paragraph_format.left_indent.pt) == 16
    (stop,) = number.paragraph_format.tab_stops
    assert round(stop.position.mm) == round(156 - 16 * 25.4 / 72)  # 右空一字
    assert _borders(number) == {"bottom": "12 FF0000"}
    name = number.runs[-1]
    assert name.text == "张明、李华"
    assert name._element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    assert number.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert doc.paragraphs[4].text == "县委农村工作领导小组办公室："

    page = api.get(people.township, f"/problem-batches/{batch['id']}/report").text
    assert '<header class="letterhead upward">' in page
    assert "<span>会师政发〔2023〕7号</span>" in page
    assert '<span class="signer">签发人&#xff1a;<b>张明、李华</b></span>' in page


def test_without_a_signer_the_letterhead_stays_centred(api: Api, people: People) -> None:
    batch = api.batch(people.township, report_number="会师政发〔2023〕7号")
    assert batch["signer"] == ""
    r = api.get(people.township, f"/problem-batches/{batch['id']}/report", format="docx")
    number = Document(io.BytesIO(r.content)).paragraphs[1]
    assert number.text == "会师政发〔2023〕7号"
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    page = api.get(people.township, f"/problem-batches/{batch['id']}/report").text
    assert "upward" not in page and "签发人" not in page


@pytest.mark.parametrize(
    "signer", ["zhang", "张", "张明2", "张明(镇长)", "甲乙、丙丁、戊己、庚辛、壬癸", "张" * 41]
)
def test_a_signer_that_is_not_a_name_is_refused_naming_the_field(
    api: Api, people: People, signer: str
) -> None:
    r = api.client.post(
        "/api/v1/problem-batches", json={**BATCH, "signer": signer}, headers=f.auth(people.township)
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "signer"
    assert r.json()["message"].startswith("签发人")
    batch = api.batch(people.township)
    patched = api.client.patch(
        f"/api/v1/problem-batches/{batch['id']}",
        json={"signer": signer, "report_number": "会师政发〔2023〕7号"},
        headers=f.auth(people.township),
    )
    assert patched.status_code == 422 and patched.json()["detail"][0]["field"] == "signer"
    # Nothing of the refused change was written.
    again = api.get(people.township, f"/problem-batches/{batch['id']}").json()
    assert again["signer"] == "" and again["report_number"] == ""
