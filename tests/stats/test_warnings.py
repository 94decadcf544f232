"""The yield of department warnings per source on the overview (received, matched, triaged
to a report, dismissed, open, unmatched, led to enrolment) equals the warnings list filtered
the same way, for the county and each child area; the XLSX carries it on a sheet of its own."""

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import throttle
from backend.reports.models import ReportStatus, SelfReport
from tests import factories as f
from tests.warnings.test_router import head_id, warning

FIGURES = ("received", "matched", "reported", "dismissed", "open", "unmatched", "enrolled")


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    throttle.reset()
    yield
    throttle.reset()


def _send(client: TestClient, sender: dict[str, str], person: str, **kw: Any) -> str:
    r = client.post("/api/v1/warnings", json=warning(person, **kw), headers=sender)
    assert r.status_code == 201, r.text
    return r.json()["id"]


class WarningList:
    """What the triage queue answers for a filter: the count, and the rows when needed."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def rows(self, **params: Any) -> dict[str, Any]:
        r = self.client.get(
            "/api/v1/warnings", params={"limit": 200, **params}, headers=self.headers
        )
        assert r.status_code == 200, r.text
        return r.json()

    def figures(self, area: str, source: str) -> dict[str, int]:
        def n(**params: Any) -> int:
            return self.rows(area_code=area, source=source, **params)["count"]

        reported = self.rows(area_code=area, source=source, status="reported")
        assert reported["count"] <= 200
        return {
            "received": n(),
            "matched": n(matched="true"),
            "reported": reported["count"],
            "dismissed": n(status="dismissed"),
            "open": n(status="pending"),
            "unmatched": n(status="unmatched"),
            "enrolled": sum(1 for w in reported["data"] if w["report_status"] == "enrolled"),
        }


def test_the_yield_per_source_equals_the_warnings_list(
    client: TestClient, session: Session
) -> None:
    sender = f.api_client_auth(client, session, ["warnings:write"])
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    # 医保: three in 冷水沟村 (one to enrolment, one dismissed, one waiting) and one in
    # 严家坪村 reported but still being verified; 教育: one nobody on record, one dismissed
    # after it was found unmatched; 残联: one waiting.
    people = [head_id(session, area)[1] for area in [f.LENGSHUIGOU] * 3 + [f.YANJIAPING]]
    to_enrol, to_dismiss, waiting, verifying = (_send(client, sender, p) for p in people)
    _send(client, sender, f.id_number(), source="education")
    gone = _send(client, sender, f.id_number(), source="education")
    _send(client, sender, head_id(session)[1], source="disabled_persons")
    for wid in (to_enrol, verifying):
        r = client.post(f"/api/v1/warnings/{wid}/report", json={}, headers=county)
        assert r.status_code == 200, r.text
        if wid == to_enrol:
            report = session.get(SelfReport, uuid.UUID(r.json()["report_id"]))
            assert report is not None
            report.status = ReportStatus.enrolled  # the chain's end, as the county decided
            session.add(report)
            session.commit()
    for wid in (to_dismiss, gone):
        r = client.post(
            f"/api/v1/warnings/{wid}/dismiss", json={"reason": "已核实"}, headers=county
        )
        assert r.status_code == 200, r.text
    del waiting

    r = client.get("/api/v1/stats/overview", params={"area": f.NINGSHAN}, headers=county)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["names"]["warning_source"]["medical_insurance"] == "医保"
    top = data["area"]["warnings"]
    assert top["medical_insurance"] == {
        "received": 4,
        "matched": 4,
        "reported": 2,
        "dismissed": 1,
        "open": 1,
        "unmatched": 0,
        "enrolled": 1,
    }
    assert top["education"]["received"] == 2 and top["education"]["matched"] == 0
    assert top["education"]["unmatched"] == 1 and top["education"]["dismissed"] == 1
    assert set(top) == {"medical_insurance", "education", "disabled_persons"}

    lists = WarningList(client, county)
    town = client.get("/api/v1/stats/overview", params={"area": f.JIANGKOU}, headers=county)
    rows = [data["area"], *data["children"], *town.json()["children"]]
    assert any(row["area_code"] == f.LENGSHUIGOU for row in rows)
    for row in rows:
        for source in data["names"]["warning_source"]:
            expected = lists.figures(row["area_code"], source)
            got = row["warnings"].get(source) or dict.fromkeys(FIGURES, 0)
            assert got == expected, (row["area_code"], source)
    # Unmatched warnings stay under the sender's area (the county): in no township's row.
    townships = data["children"]
    assert sum(c["warnings"].get("education", {}).get("received", 0) for c in townships) == 0

    sheet = client.get(
        "/api/v1/stats/overview", params={"area": f.NINGSHAN, "format": "xlsx"}, headers=county
    )
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == ["统计概览", "部门预警"]
    cells = list(book["部门预警"].iter_rows(values_only=True))
    assert cells[0][:4] == ("地区", "地区代码", "预警来源", "收到(条)")
    assert cells[0][-1] == "促成纳入监测(条)"
    assert len(cells) == 1 + 5 * (1 + len(townships))
    medical = next(c for c in cells if c[1] == f.NINGSHAN and c[2] == "医保")
    assert list(medical[3:]) == [top["medical_insurance"][k] for k in FIGURES]


def test_the_matched_filter_of_the_warnings_list(client: TestClient, session: Session) -> None:
    sender = f.api_client_auth(client, session, ["warnings:write"])
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    known = _send(client, sender, head_id(session)[1])
    nobody = _send(client, sender, f.id_number())
    lists = WarningList(client, county)
    assert [w["id"] for w in lists.rows(matched="true")["data"]] == [known]
    assert [w["id"] for w in lists.rows(matched="false")["data"]] == [nobody]
    bad = client.get("/api/v1/warnings", params={"matched": "perhaps"}, headers=county)
    assert bad.status_code == 422
