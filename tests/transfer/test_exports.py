"""Exports: each kind as CSV and XLSX, the caller's scope and role on every query, ID and phone
numbers masked unless the role may read them whole, filters, refusals, and the audit row."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.core import security
from backend.households.models import Household
from backend.transfer.schemas import ExportKind
from tests import factories as f

URL = "/api/v1/exports"


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def homes(session: Session) -> dict[str, Household]:
    """One household in 冷水沟村 (江口镇) with a phone, one in 严家坪村 (四亩地镇)."""
    here = f.household(session, f.LENGSHUIGOU)
    here.phone = "13912345678"
    here.address = '=HYPERLINK("http://x")'
    session.add(here)
    session.commit()
    there = f.household(session, f.YANJIAPING)
    return {"here": here, "there": there}


def test_households_as_csv_in_the_callers_scope_only(
    client: TestClient, session: Session, homes: dict[str, Household]
) -> None:
    township = f.auth(f.user(session, Role.township_officer, f.JIANGKOU))
    rows = _csv(client.get(f"{URL}/households", headers=township))
    assert rows[0][:4] == ["户编号", "所属村", "村代码", "户主姓名"]
    assert [r[0] for r in rows[1:]] == [homes["here"].reference]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["村代码"] == f.LENGSHUIGOU
    assert row["人数"] == "2"
    assert row["户类型"] == "脱贫户"
    assert row["联系电话"] == "13912345678"  # a township officer reads phones whole
    # A formula typed into a cell stays text on the county officer's desk.
    assert row["家庭住址"].startswith("'=HYPERLINK")
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    both = _csv(client.get(f"{URL}/households", headers=county))
    assert len(both) == 3
    narrowed = _csv(client.get(f"{URL}/households", headers=county, params={"area": f.YANJIAPING}))
    assert [r[0] for r in narrowed[1:]] == [homes["there"].reference]


def test_members_masked_for_an_inspector_whole_for_the_village(
    client: TestClient, session: Session, homes: dict[str, Household]
) -> None:
    from backend.households.models import Member

    cipher = session.exec(
        select(Member.id_number_cipher).where(Member.household_id == homes["here"].id)
    ).first()
    whole = security.decrypt_id_number(cipher or "")
    inspector = f.auth(f.user(session, Role.inspector, f.NINGSHAN))
    rows = _csv(client.get(f"{URL}/members", headers=inspector, params={"area": f.LENGSHUIGOU}))
    ids = [dict(zip(rows[0], r, strict=True))["证件号码"] for r in rows[1:]]
    assert security.mask_id_number(whole) in ids and whole not in ids
    phones = {dict(zip(rows[0], r, strict=True))["联系电话"] for r in rows[1:]}
    assert phones == {"139****5678"}
    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    rows = _csv(client.get(f"{URL}/members", headers=cadre))
    assert whole in [dict(zip(rows[0], r, strict=True))["证件号码"] for r in rows[1:]]
    assert len(rows) == 3


def test_xlsx_opens_with_its_header_and_rows(
    client: TestClient, session: Session, homes: dict[str, Household]
) -> None:
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    response = client.get(f"{URL}/members", headers=county, params={"format": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("户编号", "户主姓名", "姓名")
    assert len(rows) == 5


@pytest.mark.parametrize("kind", list(ExportKind), ids=lambda k: k.value)
def test_every_kind_answers_its_header_even_when_empty(
    client: TestClient, session: Session, kind: ExportKind
) -> None:
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    rows = _csv(client.get(f"{URL}/{kind.value}", headers=county))
    assert len(rows) == 1 and rows[0][0]


def test_visits_and_ledger_of_an_imported_history(
    client: TestClient, session: Session, homes: dict[str, Household]
) -> None:
    from tests.visits.conftest import visit_body

    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    posted = client.post("/api/v1/visits", headers=cadre, json=visit_body(homes["here"]))
    assert posted.status_code == 201, posted.text
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    visits = _csv(client.get(f"{URL}/visits", headers=county))
    assert [dict(zip(visits[0], r, strict=True))["户编号"] for r in visits[1:]] == [
        homes["here"].reference
    ]
    ledger = _csv(client.get(f"{URL}/ledger", headers=county))
    row = dict(zip(ledger[0], ledger[1], strict=True))
    assert (row["工资性收入"], row["纯收入"]) == ("2400", "2900")
    other = f.auth(f.user(session, Role.township_officer, f.YANJIAPING[:9]))
    assert len(_csv(client.get(f"{URL}/visits", headers=other))) == 1


def test_refusals_name_the_rule(client: TestClient, session: Session) -> None:
    helper = f.auth(f.user(session, Role.helper, f.LENGSHUIGOU))
    response = client.get(f"{URL}/households", headers=helper)
    assert response.status_code == 403
    assert response.json()["message"] == "您的角色不能导出数据"
    township = f.auth(f.user(session, Role.township_officer, f.JIANGKOU))
    outside = client.get(f"{URL}/households", headers=township, params={"area": f.YANJIAPING})
    assert outside.status_code == 403
    assert outside.json()["message"] == "只能导出本辖区的数据"
    status = client.get(f"{URL}/households", headers=township, params={"status": "closed"})
    assert status.status_code == 422
    assert status.json()["detail"][0]["field"] == "status"
    assert status.json()["message"].startswith("状态(status):不是可选的状态")
    year = client.get(f"{URL}/members", headers=township, params={"year": 2024})
    assert year.status_code == 422
    assert year.json()["detail"] == [{"field": "year", "message": "家庭成员的导出不按年度筛选"}]
    visits_status = client.get(f"{URL}/visits", headers=township, params={"status": "x"})
    assert visits_status.status_code == 422
    assert client.get(f"{URL}/nothing", headers=township).status_code == 422
    fmt = client.get(f"{URL}/visits", headers=township, params={"format": "pdf"})
    assert fmt.status_code == 422


def test_each_export_is_audited_with_its_filters_and_row_count(
    client: TestClient, session: Session, homes: dict[str, Household]
) -> None:
    county_user = f.user(session, Role.county_officer, f.NINGSHAN)
    response = client.get(
        f"{URL}/households",
        headers=f.auth(county_user),
        params={"status": "not_monitored", "area": f.JIANGKOU},
    )
    assert response.status_code == 200
    session.rollback()
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "export")).one()
    assert entry.actor_id == county_user.id
    assert entry.area_code == f.JIANGKOU
    assert entry.changes == {
        "kind": "households",
        "format": "csv",
        "filters": {"area": f.JIANGKOU, "status": "not_monitored"},
        "rows": 1,
        "complete": True,
    }
