"""A county's household sheet, made in the test: one row per member, the Chinese headers."""

import csv
import io
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, func, select

from backend.households.import_columns import TEMPLATE
from tests import factories as f

HEADERS = list(TEMPLATE)


def family(
    reference: str,
    *,
    village: str = "冷水沟村",
    monitored: bool = False,
    cleared: date | None = None,
    enrolled: date = date(2022, 4, 12),
    registered: date | None = date(2014, 10, 1),
    income: int = 9800,
    year: int = 2024,
    head: str = "王建国",
) -> list[dict[str, Any]]:
    """A household of three: the head, his wife and a daughter at junior secondary school."""
    common = {
        "户编号": reference,
        "户主姓名": head,
        "所属村": village,
        "户类型": "监测户" if monitored else "脱贫户",
        "监测对象类别": "脱贫不稳定户" if monitored else "",
        "风险类型": "因病、因学" if monitored else "",
        "纳入监测时间": enrolled.isoformat() if monitored else "",
        "风险消除时间": cleared.isoformat() if cleared else "",
        "人均纯收入": income,
        "年度": year,
        "建档时间": registered.isoformat() if registered else "",
    }
    return [
        {
            **common,
            "姓名": head,
            "证件号码": f.id_number(date(1968, 2, 3)),
            "与户主关系": "户主",
            "性别": "男",
            "健康状况": "长期慢性病",
            "在校生情况": "非在校生",
            "劳动技能": "普通劳动力",
        },
        {
            **common,
            "姓名": "李秀英",
            "证件号码": f.id_number(date(1970, 7, 9), male=False),
            "与户主关系": "配偶",
            "性别": "女",
            "健康状况": "健康",
            "在校生情况": "非在校生",
            "劳动技能": "弱劳动力或半劳动力",
        },
        {
            **common,
            "姓名": "王小梅",
            "证件号码": f.id_number(date(2012, 9, 1), male=False),
            "与户主关系": "之女",
            "性别": "女",
            "健康状况": "健康",
            "在校生情况": "八年级",
            "劳动技能": "无劳动力",
        },
    ]


def as_csv(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or HEADERS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or HEADERS
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["会宁县防返贫监测对象信息表"])  # a title row above the header, as counties have
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


URL = "/api/v1/imports/households"


def post_upload(
    client: TestClient, headers: dict[str, str], data: bytes, *, name: str = "户.csv", **params: Any
):  # type: ignore[no-untyped-def]
    """An import upload, as the staff page or an API client sends it."""
    return client.post(URL, headers=headers, params=params, files={"file": (name, data)})


def count_rows(session: Session, model: Any) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()
