"""Fixtures for 整改销号: the people of 会师镇 and a problem list issued to it."""

import io
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from backend.accounts.models import Role, User
from tests import factories as f

HUISHI = "620422100"  # 会宁县会师镇
HUINING = "620422"
NANSHILIPU = "620422100201"  # 会师镇南十里铺村
GUOCHENG_VILLAGE = "620422101200"  # 郭城驿镇红堡子村


@dataclass
class People:
    township: User  # 乡镇干部: issues, reviews
    inspector: User  # 督查员 of the county
    cadre: User  # 高家庄村 village cadre: claims and rectifies
    other_cadre: User  # 南十里铺村 cadre: must not see 高家庄村's problems
    helper: User  # county helper
    outsider: User  # township officer of another county


@pytest.fixture
def people(session: Session) -> People:
    return People(
        township=f.user(
            session, Role.township_officer, HUISHI, full_name="张桂兰", unit="会师镇乡村振兴工作站"
        ),
        inspector=f.user(
            session, Role.inspector, HUINING, full_name="赵振华", unit="会宁县委农办督查组"
        ),
        cadre=f.user(
            session, Role.village_cadre, f.GAOJIAZHUANG, full_name="高宏伟", unit="高家庄村委会"
        ),
        other_cadre=f.user(
            session, Role.village_cadre, NANSHILIPU, full_name="南振东", unit="南十里铺村委会"
        ),
        helper=f.user(session, Role.helper, HUINING, full_name="王海燕", unit="会宁县农业农村局"),
        outsider=f.user(session, Role.township_officer, f.JIANGKOU, full_name="李东晋"),
    )


BATCH = {
    "source": "inspection",
    "area_code": HUISHI,
    "title": "2023巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题",
    "issuing_body": "中共白银市委农村工作领导小组办公室",
    "notice_title": "关于巩固拓展脱贫攻坚成果同乡村振兴有效衔接调研督查发现问题的通报",
    "document_number": "市农领办发〔2023〕38号",
    "issued_on": "2023-08-01",
    "deadline": "2023-09-30",
    "report_to": "县委农村工作领导小组办公室",
    "reporting_unit": "会师镇党委、政府",
}


def problem_body(**kw) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "title": "台账资料整理不够规范",
        "description": "有的村级资料台账中还存在“精准扶贫”“贫困户”等表述。",
        "category": "records",
        "area_code": f.GAOJIAZHUANG,
        "responsible_unit": "高家庄村委会",
        "responsible_person": "高宏伟",
        "deadline": "2023-09-15",
    }
    body.update(kw)
    return body


def png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "PNG")
    return out.getvalue()


def auth(who: User) -> dict[str, str]:
    """A token (stamped on the wall clock whatever the frozen clock says)."""
    return f.auth(who)


class Api:
    """Short calls for the flows every test walks through."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def batch(self, who: User, **kw) -> dict:  # type: ignore[no-untyped-def]
        r = self.client.post("/api/v1/problem-batches", json={**BATCH, **kw}, headers=auth(who))
        assert r.status_code == 201, r.text
        return r.json()

    def problem(self, who: User, batch_id: str, **kw) -> dict:  # type: ignore[no-untyped-def]
        r = self.client.post(
            f"/api/v1/problem-batches/{batch_id}/problems",
            json=problem_body(**kw),
            headers=auth(who),
        )
        assert r.status_code == 201, r.text
        return r.json()

    def post(self, who: User, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/api/v1{path}", json=body if body is not None else {}, headers=auth(who)
        )

    def get(self, who: User, path: str, **params):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1{path}", params=params, headers=auth(who))

    def claim(self, who: User, pid: str, steps: list[str] | None = None, **kw) -> dict:  # type: ignore[no-untyped-def]
        r = self.post(
            who,
            f"/problems/{pid}/claim",
            {"steps": steps or ["清理台账表述", "补齐程序性资料"], **kw},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def upload(self, who: User, area: str, data: bytes | None = None, caption: str = "") -> str:
        r = self.client.post(
            "/api/v1/files",
            files={"file": ("photo.png", data or png(), "image/png")},
            data={"area_code": area, "caption": caption},
            headers=auth(who),
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def evidence_all(self, who: User, problem: dict) -> dict:
        """A photo on the first step, text records on the others."""
        out = problem
        for i, step in enumerate(problem["steps"]):
            if i == 0:
                photo = self.upload(
                    who, problem["area_code"], caption=f"措施{step['position']}现场照片"
                )
                body = {"kind": "file", "file_id": photo}
            else:
                body = {"kind": "text", "text": f"已完成:{step['description']}"}
            r = self.post(who, f"/problems/{problem['id']}/steps/{step['id']}/evidence", body)
            assert r.status_code == 201, r.text
            out = r.json()
        return out

    def to_submitted(self, who: User, pid: str) -> dict:
        problem = self.claim(who, pid)
        self.evidence_all(who, problem)
        r = self.post(who, f"/problems/{pid}/submit-for-closure")
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def on(value: str) -> date:
    return date.fromisoformat(value)


# SQLite's write lock is taken by every transaction in this process, so reads between
# requests use a short session of their own (the test's session keeps its objects loaded).
def stored(session: Session, model, row_id: str):  # type: ignore[no-untyped-def]
    """The row as the database has it now."""
    import uuid

    with Session(session.get_bind()) as fresh:
        return fresh.get(model, uuid.UUID(row_id))


def rows(session: Session, statement) -> list:  # type: ignore[no-untyped-def]
    """Every row a query finds now."""
    with Session(session.get_bind()) as fresh:
        return list(fresh.exec(statement).all())
