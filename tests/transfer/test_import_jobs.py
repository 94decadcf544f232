"""Large household imports through the worker: answered 202, progress after each chunk, the
same account as a synchronous import, resumed after a kill without doubling anything, read
only by the uploader and their county, refused whole when too big or not a sheet."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from backend.accounts.models import Role
from backend.core import clock
from backend.households import imports
from backend.households.models import Household, Member
from backend.transfer import import_jobs
from backend.transfer import service as transfer_service
from backend.transfer.models import HouseholdImport
from backend.worker.runner import run_due_jobs
from tests import factories as f
from tests.transfer.conftest import as_csv, as_xlsx, count_rows, family, post_upload


def _sheet() -> list[dict[str, Any]]:
    return (
        family("6109231022170101")
        + family("6109231022170102", monitored=True)
        + family("6109231022170103", village="严家坪村")
    )


@pytest.fixture
def county(session: Session) -> dict[str, str]:
    return f.auth(f.user(session, Role.county_officer, f.NINGSHAN))


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> Path:
    """A chunk per household and the worker past 4 rows, so a 9-row sheet shows it all;
    uploads kept in the test's own directory."""
    monkeypatch.setattr(imports, "CHUNK_HOUSEHOLDS", 1)
    monkeypatch.setattr(transfer_service, "BACKGROUND_ROWS", 4)
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    return tmp_path / "imports"


@pytest.fixture
def progress(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows done, as written after each chunk."""
    seen: list[int] = []
    save = import_jobs.save_progress

    def watched(session: Session, import_id: Any, job_id: Any, done: int) -> None:
        save(session, import_id, job_id, done)
        seen.append(done)

    monkeypatch.setattr(import_jobs, "save_progress", watched)
    return seen


def _stable(account: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in account.items() if k not in ("seconds", "dry_run")}


def test_a_large_upload_is_imported_by_the_worker_with_progress_and_the_same_account(
    client: TestClient,
    session: Session,
    county: dict[str, str],
    progress: list[int],
    small_chunks: Path,
) -> None:
    data = as_csv(_sheet())
    synchronous = post_upload(client, county, data, dry_run=True, background=False)
    # Over BACKGROUND_ROWS even the dry run goes to the worker.
    assert synchronous.status_code == 202
    run_due_jobs()
    dry = client.get(f"/api/v1/imports/{synchronous.json()['id']}", headers=county).json()
    assert dry["status"] == "done" and dry["account"]["dry_run"] is True
    assert count_rows(session, Household) == 0

    answer = post_upload(client, county, data)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"/api/v1/imports/{job['id']}"
    assert (job["status"], job["status_name"]) == ("queued", "排队中")
    assert (job["rows_total"], job["rows_done"], job["account"]) == (9, 0, None)
    assert list(small_chunks.iterdir()) != []

    run_due_jobs()
    assert progress[-3:] == [3, 6, 9]  # after each household's chunk
    done = client.get(f"/api/v1/imports/{job['id']}", headers=county).json()
    assert (done["status"], done["rows_done"], done["issues_total"]) == ("done", 9, 0)
    assert done["started_at"] and done["finished_at"]
    assert done["account"]["households"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "refused": 0,
    }
    # The same account as the request's own import gives for the sheet (a dry run of it here,
    # the households now being in).
    assert _stable(done["account"]) == _stable(dry["account"])
    assert count_rows(session, Household) == 3
    assert count_rows(session, Member) == 9
    assert list(small_chunks.iterdir()) == []  # the file goes once imported


def test_a_small_upload_goes_to_the_worker_when_asked_and_stays_synchronous_otherwise(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    data = as_xlsx(family("6109231022170110"))
    at_once = post_upload(client, county, data, name="户.xlsx", dry_run=True)
    assert at_once.status_code == 200
    assert at_once.json()["households"]["created"] == 1
    queued = post_upload(client, county, data, name="户.xlsx", background=True)
    assert queued.status_code == 202
    assert count_rows(session, Household) == 0
    run_due_jobs()
    body = client.get(f"/api/v1/imports/{queued.json()['id']}", headers=county).json()
    assert body["status"] == "done"
    assert _stable(body["account"]) == _stable(at_once.json())
    assert count_rows(session, Household) == 1


class Killed(BaseException):
    """The worker's process dying (kill -9): nothing in it catches this."""


def test_an_import_killed_mid_way_is_resumed_without_doubling_anything(
    client: TestClient,
    session: Session,
    county: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    job = post_upload(client, county, as_csv(_sheet())).json()
    save = import_jobs.save_progress

    def dies(*args: Any) -> None:
        save(*args)
        raise Killed

    monkeypatch.setattr(import_jobs, "save_progress", dies)
    with pytest.raises(Killed):
        run_due_jobs()
    half = client.get(f"/api/v1/imports/{job['id']}", headers=county).json()
    assert (half["status"], half["rows_done"]) == ("running", 3)
    assert count_rows(session, Household) == 1  # the first chunk was committed

    monkeypatch.setattr(import_jobs, "save_progress", save)
    assert run_due_jobs() == 0  # the dead worker's lease still holds the job
    clock.freeze(clock.now() + timedelta(seconds=settings.worker_lease_seconds + 1))
    assert run_due_jobs() == 1
    done = client.get(f"/api/v1/imports/{job['id']}", headers=county).json()
    assert (done["status"], done["rows_done"]) == ("done", 9)
    assert done["account"]["households"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 1,
        "refused": 0,
    }
    assert "中断" in done["message"]
    session.rollback()
    references = session.exec(select(Household.reference)).all()
    assert sorted(references) == ["6109231022170101", "6109231022170102", "6109231022170103"]
    assert count_rows(session, Member) == 9


def test_only_the_uploader_and_the_county_over_it_read_an_import(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    job = post_upload(client, county, as_csv(_sheet()), background=True).json()
    url = f"/api/v1/imports/{job['id']}"
    colleague = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    assert client.get(url, headers=colleague).status_code == 200
    for role, area in (
        (Role.county_officer, f.GAOJIAZHUANG[:6]),  # another county
        (Role.village_cadre, f.LENGSHUIGOU),  # inside the area, but no importer
    ):
        other = client.get(url, headers=f.auth(f.user(session, role, area)))
        assert other.status_code == 404
        assert other.json()["message"] == "没有这次导入"
    missing = client.get("/api/v1/imports/00000000-0000-0000-0000-000000000000", headers=county)
    assert missing.status_code == 404


def test_a_method_the_upload_path_lacks_is_405_not_an_import_id(
    client: TestClient, county: dict[str, str]
) -> None:
    # `households` is no import's id: GET /imports/households is the upload's path asked
    # with a method it does not serve (schemathesis' coverage phase found a 404 here).
    answer = client.get("/api/v1/imports/households", headers=county)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"] == "method_not_allowed"
    garbled = client.get("/api/v1/imports/not-an-id", headers=county)
    assert garbled.status_code == 404


def test_too_big_a_file_is_refused_with_413_and_nothing_kept(
    client: TestClient,
    session: Session,
    county: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    small_chunks: Path,
) -> None:
    data = as_csv(_sheet())
    monkeypatch.setattr(transfer_service, "MAX_API_BYTES", len(data) - 1)
    response = post_upload(client, county, data, background=True)
    assert response.status_code == 413
    assert response.json()["message"].startswith("文件超过")
    monkeypatch.setattr(transfer_service, "MAX_API_BYTES", len(data))
    monkeypatch.setattr(transfer_service, "MAX_API_ROWS", 8)
    rows = post_upload(client, county, data)
    assert rows.status_code == 413
    assert rows.json()["message"].startswith("一次上传最多 8 行(本文件 9 行)")
    assert count_rows(session, HouseholdImport) == 0
    assert not small_chunks.exists() or list(small_chunks.iterdir()) == []


def test_a_bad_file_is_refused_before_anything_is_queued(
    client: TestClient, session: Session, county: dict[str, str], small_chunks: Path
) -> None:
    missing = post_upload(client, county, "户编号,姓名\n1,王\n".encode(), background=True)
    assert missing.status_code == 422
    assert missing.json()["message"] == "文件(file):表头缺少这些列:与户主关系、所属村"
    fake = post_upload(client, county, b"PK\x03\x04 not a zip", name="户.xlsx", background=True)
    assert fake.status_code == 422
    assert "不是 XLSX 文件" in fake.json()["message"]
    for background in (False, True):
        garbled = post_upload(client, county, b"0" * 200_000, background=background)
        assert garbled.status_code == 422
        assert (
            garbled.json()["message"] == "文件(file):无法读取 CSV 文件:有的单元格过长或引号不成对"
        )
    village = post_upload(
        client,
        f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU)),
        as_csv(_sheet()),
        background=True,
    )
    assert village.status_code == 403
    assert count_rows(session, HouseholdImport) == 0
    assert not small_chunks.exists() or list(small_chunks.iterdir()) == []
    session.rollback()
    assert (
        session.exec(
            select(func.count()).select_from(Household).where(col(Household.reference) != "")
        ).one()
        == 0
    )


def test_a_refused_file_in_the_worker_fails_the_import_with_its_reason(
    client: TestClient, session: Session, county: dict[str, str], small_chunks: Path
) -> None:
    job = post_upload(client, county, as_csv(_sheet()), background=True).json()
    (small_chunks / job["id"]).write_bytes("户编号,姓名\n1,王\n".encode())  # changed on disk
    run_due_jobs()
    failed = client.get(f"/api/v1/imports/{job['id']}", headers=county).json()
    assert (failed["status"], failed["status_name"]) == ("failed", "失败")
    assert failed["message"] == "文件(file):表头缺少这些列:与户主关系、所属村"
    assert count_rows(session, Household) == 0
