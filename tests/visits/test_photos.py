"""Photos for visits through the files domain: checked by content, size-limited, EXIF
stripped except the time taken, stored once per content, served only in scope."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, func, select

from backend.accounts.models import Role, User
from backend.files.models import StoredFile
from backend.files.service import path_of
from backend.households.models import Household
from tests import factories as f

MAKE, DATETIME, EXIF_IFD, GPS_IFD, DATETIME_ORIGINAL = 0x010F, 0x0132, 0x8769, 0x8825, 0x9003


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2026:11:02 09:15:00"
    exif.get_ifd(GPS_IFD)[2] = (33.0, 20.0, 0.0)  # latitude: where the family lives
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _upload(client: TestClient, user: User, data: bytes, area: str, name: str = "p.jpg"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/files",
        files={"file": (name, data, "image/jpeg")},
        data={"area_code": area},
        headers=f.auth(user),
    )


def test_exif_is_stripped_except_the_time_taken_and_the_same_photo_is_stored_once(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    data = _jpeg_with_exif()
    first = _upload(client, helper, data, home.area_code)
    second = _upload(client, helper, data, home.area_code, name="again.jpg")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["taken_at"] == "2026:11:02 09:15:00"
    rows = session.exec(select(func.count()).select_from(StoredFile)).one()
    assert rows == 1
    stored = session.exec(select(StoredFile)).one()
    assert path_of(stored.sha256).exists()
    session.commit()  # end the read: on SQLite it holds the write lock the app needs
    body = client.get(f"/api/v1/files/{first.json()['id']}", headers=f.auth(helper))
    assert body.status_code == 200
    exif = Image.open(io.BytesIO(body.content)).getexif()
    assert exif.get(DATETIME) == "2026:11:02 09:15:00"
    assert MAKE not in exif and not exif.get_ifd(GPS_IFD)


def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(
    client: TestClient, helper: User, home: Household
) -> None:
    response = _upload(client, helper, b"MZ\x90\x00 not a photo at all", home.area_code)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "file"
    assert "图片" in response.json()["message"]


def test_a_photo_over_the_size_limit_is_refused(
    client: TestClient, helper: User, home: Household, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "upload_max_bytes", 200)
    response = _upload(client, helper, _jpeg_with_exif(), home.area_code)
    assert response.status_code == 413
    assert "文件太大" in response.json()["message"]


def test_photos_are_served_only_inside_the_area(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    uploaded = _upload(client, helper, _jpeg_with_exif(), home.area_code).json()
    far_cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    response = client.get(f"/api/v1/files/{uploaded['id']}", headers=f.auth(far_cadre))
    assert response.status_code == 404
    town = f.user(session, Role.township_officer, f.JIANGKOU)
    assert client.get(f"/api/v1/files/{uploaded['id']}", headers=f.auth(town)).status_code == 200
    # Nor may anyone upload for a village outside their area.
    response = _upload(client, far_cadre, _jpeg_with_exif(), home.area_code)
    assert response.status_code == 403
