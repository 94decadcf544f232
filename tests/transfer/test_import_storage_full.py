"""A full disk under an upload, without a real full disk: a background import that cannot keep
its file, and a form whose part cannot be spooled to a temporary file, answer 507
storage_full with Retry-After (declared on every upload), nothing kept."""

import errno
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.datastructures import UploadFile

from backend.accounts.models import Role
from backend.main import create_app
from backend.transfer.models import HouseholdImport
from backend.worker.models import Job
from tests import factories as f
from tests.transfer.conftest import as_csv, count_rows, family, post_upload


def _full(*_: Any, **__: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_background_import_on_a_full_disk_is_507_and_keeps_nothing(
    client: TestClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    real_write = Path.write_bytes

    def half(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])  # half of it reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half)
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    answer = post_upload(client, county, as_csv(family("6109231022170101")), background=True)
    assert answer.status_code == 507, answer.text
    assert answer.json()["error"] == "storage_full"
    assert answer.json()["message"] == "服务器存储空间已满,文件(file)未能保存,请稍后再发"
    assert answer.headers["Retry-After"] == "300"
    assert list((tmp_path / "imports").iterdir()) == []
    assert count_rows(session, HouseholdImport) == 0
    assert count_rows(session, Job) == 0


def test_a_form_that_cannot_be_spooled_to_disk_is_507(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Starlette spools each file part past 1 MB to a temporary file while reading the form.
    monkeypatch.setattr(UploadFile, "write", _full)
    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    answer = client.post(
        "/api/v1/files",
        headers=cadre,
        data={"area_code": f.LENGSHUIGOU},
        files={"file": ("a.pdf", b"%PDF-1.4 x")},
    )
    assert answer.status_code == 507, answer.text
    assert answer.json()["error"] == "storage_full"
    assert answer.headers["Retry-After"] == "300"


def test_every_upload_declares_507() -> None:
    paths = create_app().openapi()["paths"]
    uploads = {
        operation["operationId"]: operation["responses"]
        for item in paths.values()
        for operation in item.values()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert {"upload_file", "submit_self_report", "import_households"} <= set(uploads)
    for operation_id, responses in uploads.items():
        assert responses["507"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }, operation_id


def test_a_full_disk_met_anywhere_else_is_507_not_500(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.transfer import service as transfer_service

    monkeypatch.setattr(transfer_service, "import_upload", _full)
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    answer = post_upload(client, county, as_csv(family("6109231022170101")))
    assert answer.status_code == 507, answer.text
    assert answer.json()["error"] == "storage_full"
    assert answer.headers["Retry-After"] == "300"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
