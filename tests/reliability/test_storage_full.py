"""The upload directory full, without a real full disk (the reliability run mounts one):
507 storage_full naming the photo, nothing of the report kept, no temporary file left."""

import errno
import io
import json
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.files import service as files_service
from backend.reports.models import SelfReport
from tests import factories as f


def test_a_full_disk_is_a_clear_507_and_leaves_nothing(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Path] = []
    real_write = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        written.append(self)
        real_write(self, data[: len(data) // 2])  # half of it reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    out = io.BytesIO()
    Image.new("RGB", (60, 60), (10, 200, 30)).save(out, "PNG")
    body = {
        "id": str(uuid.uuid4()),
        "area_code": f.LENGSHUIGOU,
        "name": "王秀英",
        "phone": "13912345679",
        "risk_types": ["disaster"],
    }
    r = client.post(
        "/api/v1/self-reports",
        data={"report": json.dumps(body)},
        files={"photos": ("p.png", out.getvalue(), "image/png")},
    )
    assert r.status_code == 507
    assert r.json()["error"] == "storage_full"
    assert r.json()["message"] == "服务器存储空间已满,照片(photos.0)未能保存,请稍后再发"
    assert r.headers["Retry-After"] == "300"
    assert written and not any(p.exists() for p in written)  # the half file removed
    assert not list(files_service.path_of("0" * 64).parent.parent.rglob("*.tmp"))
    session.rollback()
    assert session.exec(select(SelfReport)).all() == []
