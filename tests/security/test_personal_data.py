"""Personal data (PIPL): answers show ID numbers masked to everyone; a full one is asked for
by the roles that may see it and every such view is audited; a household's export of what
is held about it, audited, shows corrections made through the ordinary edits; photos of
rejected reports are deleted after the retention period."""

import io
import json
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.core import clock, security
from backend.files import service as files_service
from backend.files.models import StoredFile
from backend.reports import retention
from backend.reports.models import ReportStatus, SelfReport
from tests import factories as f
from tests.dates import china


def _audit(session: Session, action: str) -> list[AuditEntry]:
    session.rollback()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_full_id_numbers_only_on_an_audited_request(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    helper = f.user(session, Role.helper, f.NINGSHAN)
    number = f.id_number(date(1966, 9, 9))
    h = f.household(session, helper=helper, members=[f.member("head", id_number=number)])
    detail = client.get(f"/api/v1/households/{h.id}", headers=f.auth(cadre)).json()
    head = detail["members"][0]
    assert head["id_number"] == security.mask_id_number(number)
    assert _audit(session, "view_id_number") == []

    url = f"/api/v1/households/{h.id}/members/{head['id']}/id-number"
    shown = client.post(url, headers=f.auth(cadre))
    assert shown.status_code == 200
    assert shown.json() == {"id": head["id"], "id_number": number}
    (entry,) = _audit(session, "view_id_number")
    assert entry.actor_id == cadre.id
    assert entry.entity == "household" and entry.entity_id == str(h.id)
    # The audit row says whose number was seen, masked like every audit row.
    assert entry.changes["member_id"] == [None, head["id"]]
    assert entry.changes["id_number"] == [None, security.mask_id_number(number)]

    refused = client.post(url, headers=f.auth(helper))
    assert refused.status_code == 403
    assert refused.json()["error"] == "role_forbidden"
    assert "身份证号(id_number)" in refused.json()["message"]
    missing = client.post(
        f"/api/v1/households/{h.id}/members/{uuid.uuid4()}/id-number", headers=f.auth(cadre)
    )
    assert missing.status_code == 404
    assert "member_id" in missing.json()["message"]
    assert len(_audit(session, "view_id_number")) == 1


def test_a_reports_id_number_is_masked_and_revealed_with_audit(
    client: TestClient, session: Session
) -> None:
    town = f.user(session, Role.township_officer, f.JIANGKOU)
    number = f.id_number(date(1971, 2, 3), male=False)
    body = {
        "area_code": f.LENGSHUIGOU,
        "name": "王秀英",
        "phone": "13912345670",
        "id_number": number,
        "risk_types": ["illness"],
    }
    rid = client.post("/api/v1/self-reports", json=body).json()["id"]
    detail = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(town)).json()
    assert detail["id_number"] == security.mask_id_number(number)
    shown = client.post(f"/api/v1/self-reports/{rid}/id-number", headers=f.auth(town))
    assert shown.json() == {"id": rid, "id_number": number}
    (entry,) = _audit(session, "view_id_number")
    assert (entry.entity, entry.entity_id, entry.actor_id) == ("self_report", rid, town.id)
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    refused = client.post(f"/api/v1/self-reports/{rid}/id-number", headers=f.auth(inspector))
    assert refused.status_code == 403


def test_a_households_export_holds_everything_and_is_audited(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    helper = f.user(session, Role.helper, f.NINGSHAN)
    number = f.id_number(date(1959, 12, 1))
    h = f.household(
        session, helper=helper, members=[f.member("head", id_number=number, name="王建国")]
    )
    head_id = client.get(f"/api/v1/households/{h.id}", headers=f.auth(cadre)).json()["members"][0][
        "id"
    ]
    # The correction path: the ordinary edit, recorded with before and after.
    fixed = client.patch(
        f"/api/v1/households/{h.id}/members/{head_id}",
        json={"name": "王建民"},
        headers=f.auth(cadre),
    )
    assert fixed.status_code == 200
    visit = {
        "id": str(uuid.uuid4()),
        "household_id": str(h.id),
        "kind": "home",
        # An hour ago, but not before today in China: the household was registered today.
        "visited_at": max(
            clock.now() - timedelta(hours=1), china(*clock.today().timetuple()[:3], 0, 0)
        ).isoformat(),
        "family_agrees": True,
        "agreed_by": "王建民",
        "notes": "看望",
    }
    assert client.post("/api/v1/visits", json=visit, headers=f.auth(cadre)).status_code == 201

    r = client.post(f"/api/v1/households/{h.id}/personal-data", headers=f.auth(county))
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    export = r.json()
    head = export["household"]["members"][0]
    assert head["id_number"] == number and head["name"] == "王建民"
    assert [v["id"] for v in export["visits"]] == [visit["id"]]
    (corrected,) = [e for e in export["audit"] if e["action"] == "update_member"]
    assert corrected["changes"]["name"] == ["王建国", "王建民"]
    (entry,) = _audit(session, "export_personal_data")
    assert entry.actor_id == county.id and entry.entity_id == str(h.id)
    assert entry.changes["visits"] == [None, 1]

    refused = client.post(f"/api/v1/households/{h.id}/personal-data", headers=f.auth(helper))
    assert refused.status_code == 403
    outsider = f.user(session, Role.county_officer, "620422")
    hidden = client.post(f"/api/v1/households/{h.id}/personal-data", headers=f.auth(outsider))
    assert hidden.status_code == 404


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (seed, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _report_with_photo(client: TestClient, seed: int) -> str:
    body = {
        "area_code": f.LENGSHUIGOU,
        "name": f"报告{seed}",
        "phone": f"1391234{seed:04d}",
        "risk_types": ["disaster"],
    }
    r = client.post(
        "/api/v1/self-reports",
        data={"report": json.dumps(body)},
        files={"photos": ("p.png", _png(seed), "image/png")},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_photos_of_rejected_reports_are_deleted_after_the_retention_period(
    client: TestClient, app_engine: Engine, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "rejected_photo_retention_days", 30)
    old, recent, enrolled = (_report_with_photo(client, n) for n in (1, 2, 3))
    with Session(app_engine) as s:
        for rid, status, days in (
            (old, ReportStatus.rejected, 31),
            (recent, ReportStatus.rejected, 29),
            (enrolled, ReportStatus.enrolled, 400),
        ):
            report = s.get(SelfReport, uuid.UUID(rid))
            assert report is not None
            report.status = status
            report.decided_at = clock.now() - timedelta(days=days)
            s.add(report)
        s.commit()
        photo = s.get(SelfReport, uuid.UUID(old)).photo_ids[0]  # type: ignore[union-attr]
        path = files_service.path_of(s.get(StoredFile, uuid.UUID(photo)).sha256)  # type: ignore[union-attr]
    assert path.exists()

    with Session(app_engine) as s:
        retention.purge_rejected_photos(session=s, payload={})
        s.commit()

    with Session(app_engine) as s:
        kept = {rid: s.get(SelfReport, uuid.UUID(rid)).photo_ids for rid in (old, recent, enrolled)}  # type: ignore[union-attr]
        assert kept[old] == [] and len(kept[recent]) == 1 and len(kept[enrolled]) == 1
        assert s.get(StoredFile, uuid.UUID(photo)) is None
        (entry,) = s.exec(select(AuditEntry).where(AuditEntry.action == "delete_photos")).all()
        assert entry.entity_id == old and entry.changes["retention_days"] == [None, 30]
    assert not path.exists()
