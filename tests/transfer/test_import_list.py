"""The list of household imports (`GET /imports`): the caller's area only, newest first, with
status and counts; the county's (a township, a village, a client without households:import
get 403), an area outside the caller's 403, a bad filter 422."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.households import imports
from backend.transfer import service as transfer_service
from backend.transfer.models import HouseholdImport, ImportStatus
from backend.worker.runner import run_due_jobs
from tests import factories as f
from tests.transfer.conftest import as_csv, family, post_upload

URL = "/api/v1/imports"


def _made(session: Session, area: str, minute: int, **kw: Any) -> HouseholdImport:
    by = f.user(session, Role.county_officer, area[:6])
    row = HouseholdImport(
        area_code=area,
        created_by=by.id,
        created_at=datetime(2024, 5, 6, 8, minute, tzinfo=UTC),
        filename=f"{minute}.csv",
        **kw,
    )
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def made(session: Session) -> dict[str, HouseholdImport]:
    account = {
        "dry_run": False,
        "area_code": f.NINGSHAN,
        "rows": 9,
        "households": {"created": 2, "updated": 1, "unchanged": 0, "refused": 0},
        "members": {"created": 6, "updated": 0, "unchanged": 2, "refused": 1},
    }
    return {
        "done": _made(
            session,
            f.NINGSHAN,
            1,
            status=ImportStatus.done,
            rows_total=9,
            rows_done=9,
            issues_total=1,
            account=account,
        ),
        "queued": _made(session, f.JIANGKOU, 2, rows_total=4000),
        "dry": _made(session, f.LENGSHUIGOU, 3, dry_run=True, status=ImportStatus.failed),
        "elsewhere": _made(session, f.GAOJIAZHUANG, 4),
    }


def test_the_county_lists_its_area_s_imports_newest_first_with_counts(
    client: TestClient, session: Session, made: dict[str, HouseholdImport]
) -> None:
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    answer = client.get(URL, headers=county)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == 3
    assert [r["id"] for r in body["data"]] == [str(made[k].id) for k in ("dry", "queued", "done")]
    done = body["data"][2]
    assert done["status"] == "done" and done["status_name"] == "已完成"
    assert (done["rows_total"], done["rows_done"], done["issues_total"]) == (9, 9, 1)
    assert done["households"] == {"created": 2, "updated": 1, "unchanged": 0, "refused": 0}
    assert done["members"]["refused"] == 1
    assert "account" not in done
    queued = body["data"][1]
    assert queued["status"] == "queued" and queued["households"] is None
    # filters and paging
    page = client.get(URL, params={"limit": 1, "offset": 1}, headers=county).json()
    assert page["count"] == 3 and [r["id"] for r in page["data"]] == [str(made["queued"].id)]
    township = client.get(URL, params={"area": f.JIANGKOU}, headers=county).json()
    assert [r["id"] for r in township["data"]] == [str(made[k].id) for k in ("dry", "queued")]
    dry = client.get(URL, params={"dry_run": True}, headers=county).json()
    assert [r["id"] for r in dry["data"]] == [str(made["dry"].id)]
    failed = client.get(URL, params={"status": "failed"}, headers=county).json()
    assert [r["id"] for r in failed["data"]] == [str(made["dry"].id)]
    # an administrator sees every county's
    admin = f.auth(f.user(session, Role.admin, None))
    assert client.get(URL, headers=admin).json()["count"] == 4


def test_other_roles_other_areas_and_bad_filters_are_refused(
    client: TestClient, session: Session, made: dict[str, HouseholdImport]
) -> None:
    for role, area in (
        (Role.township_officer, f.JIANGKOU),
        (Role.village_cadre, f.LENGSHUIGOU),
        (Role.inspector, f.NINGSHAN),
    ):
        refused = client.get(URL, headers=f.auth(f.user(session, role, area)))
        assert refused.status_code == 403, role
        assert refused.json()["error"] == "role_forbidden"
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    outside = client.get(URL, params={"area": f.GAOJIAZHUANG}, headers=county)
    assert outside.status_code == 403
    assert outside.json()["error"] == "outside_scope"
    assert client.get(URL).status_code == 401
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"area": "61x"}, "area"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        bad = client.get(URL, params=params, headers=county)
        assert bad.status_code == 422, params
        assert bad.json()["detail"][0]["field"] == field


def test_an_api_client_lists_with_households_import_only(
    client: TestClient, session: Session, made: dict[str, HouseholdImport]
) -> None:
    allowed = f.api_client_auth(client, session, ["households:import"])
    answer = client.get(URL, headers=allowed)
    assert answer.status_code == 200 and answer.json()["count"] == 3
    other = f.api_client_auth(client, session, ["households:read"])
    assert client.get(URL, headers=other).status_code == 403


def test_a_background_upload_is_listed_queued_then_done(
    client: TestClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(imports, "CHUNK_HOUSEHOLDS", 1)
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    sheet = as_csv(family("6109231022170101") + family("6109231022170102", monitored=True))
    queued = post_upload(client, county, sheet, background=True)
    assert queued.status_code == 202, queued.text
    listed = client.get(URL, headers=county).json()["data"]
    assert [(r["id"], r["status"], r["rows_total"]) for r in listed] == [
        (queued.json()["id"], "queued", 6)
    ]
    run_due_jobs()
    done = client.get(URL, headers=county).json()["data"][0]
    assert done["status"] == "done" and done["rows_done"] == 6
    assert done["households"] == {"created": 2, "updated": 0, "unchanged": 0, "refused": 0}
    assert done["members"]["created"] == 6
    assert transfer_service.BACKGROUND_ROWS > 6  # queued because asked, not by its size
