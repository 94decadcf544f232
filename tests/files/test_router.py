"""Uploads: type by content, size limit, EXIF stripped but the time kept, stored once."""

import io
import uuid

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.core import clock
from backend.files import service
from backend.files.models import StoredFile
from tests import factories as f

GPS_IFD = 0x8825


def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0132] = "2026:11:02 09:15:00"  # DateTime
    exif.get_ifd(GPS_IFD)[2] = (33.0, 20.0, 0.0)  # latitude
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(client: TestClient, headers, data: bytes, name: str = "p.jpg", **form):  # type: ignore[no-untyped-def]
    form.setdefault("area_code", f.LENGSHUIGOU)
    return client.post(
        "/api/v1/files", files={"file": (name, data, "image/jpeg")}, data=form, headers=headers
    )


def test_photo_is_cleaned_of_exif_but_keeps_the_time_taken(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    response = upload(client, f.auth(cadre), jpeg_with_exif())
    assert response.status_code == 201, response.text
    meta = response.json()
    assert meta["content_type"] == "image/jpeg"
    assert meta["taken_at"] == "2026:11:02 09:15:00"
    stored = client.get(f"/api/v1/files/{meta['id']}", headers=f.auth(cadre))
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    exif = Image.open(io.BytesIO(stored.content)).getexif()
    assert exif.get(0x0132) == "2026:11:02 09:15:00"
    assert 0x010F not in exif
    assert not exif.get_ifd(GPS_IFD)


def test_the_same_photo_twice_is_stored_once(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    data = jpeg_with_exif()
    first = upload(client, f.auth(cadre), data).json()
    second = upload(client, f.auth(cadre), data, name="again.jpg").json()
    assert first["id"] == second["id"]
    rows = session.exec(select(StoredFile)).all()
    assert len(rows) == 1
    assert len(list((service._storage_dir()).rglob("*"))) >= 1
    assert service.path_of(rows[0].sha256).exists()


def test_type_is_judged_by_content_not_by_name(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    fake = upload(client, f.auth(cadre), b"MZ\x90\x00 this is not a photo", name="photo.jpg")
    assert fake.status_code == 422
    assert fake.json()["detail"][0]["field"] == "file"
    assert "图片" in fake.json()["message"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert upload(client, f.auth(cadre), gif.getvalue(), name="a.png").status_code == 422
    pdf = upload(
        client, f.auth(cadre), b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF", name="scan.bin"
    )
    assert pdf.status_code == 201 and pdf.json()["content_type"] == "application/pdf"
    empty = upload(client, f.auth(cadre), b"")
    assert empty.status_code == 422
    assert (
        session.exec(select(StoredFile)).all() != []
        and len(session.exec(select(StoredFile)).all()) == 1
    )


def test_too_large_is_refused(client: TestClient, session: Session, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    monkeypatch.setattr(settings, "upload_max_bytes", 1000)
    response = upload(client, f.auth(cadre), jpeg_with_exif() + b"\0" * 2000)
    assert response.status_code == 413
    assert response.json()["error"] == "file_too_large"
    assert session.exec(select(StoredFile)).all() == []


def test_upload_outside_scope_is_refused(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    assert upload(client, f.auth(cadre), jpeg_with_exif()).status_code == 403
    h = f.household(session, f.LENGSHUIGOU)
    assert upload(
        client, f.auth(cadre), jpeg_with_exif(), household_id=str(h.id), area_code=None
    ).status_code in (404,)
    missing = client.post(
        "/api/v1/files",
        files={"file": ("p.jpg", jpeg_with_exif(), "image/jpeg")},
        headers=f.auth(cadre),
    )
    assert missing.status_code == 422 and "area_code" in missing.json()["message"]
    assert session.exec(select(StoredFile)).all() == []


def test_household_photo_is_seen_by_its_helper_only(client: TestClient, session: Session) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN)
    other_helper = f.user(session, Role.helper, f.NINGSHAN)
    h = f.household(session, f.LENGSHUIGOU, helper=helper)
    sent = client.post(
        "/api/v1/files",
        files={"file": ("p.jpg", jpeg_with_exif(), "image/jpeg")},
        data={"household_id": str(h.id)},
        headers=f.auth(helper),
    )
    assert sent.status_code == 201 and sent.json()["area_code"] == f.LENGSHUIGOU
    file_id = sent.json()["id"]
    assert client.get(f"/api/v1/files/{file_id}", headers=f.auth(helper)).status_code == 200
    assert client.get(f"/api/v1/files/{file_id}", headers=f.auth(other_helper)).status_code == 404
    officer = f.user(session, Role.township_officer, f.JIANGKOU)
    assert client.get(f"/api/v1/files/{file_id}", headers=f.auth(officer)).status_code == 200


def _jpeg_taken(when: str) -> bytes:
    """A phone photo whose EXIF says when it was taken (DateTimeOriginal), not just saved."""
    exif = Image.Exif()
    exif[0x0132] = "2026:11:20 08:00:00"  # DateTime: when the file was last written
    exif.get_ifd(service.EXIF_IFD)[service.EXIF_DATETIME_ORIGINAL] = when
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_caption_and_the_day_taken_are_stored_with_the_file(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    taken = upload(
        client, f.auth(cadre), _jpeg_taken("2026:11:03 10:30:00"), caption=" 村委会厕所清扫后 "
    )
    assert taken.status_code == 201, taken.text
    assert taken.json()["caption"] == "村委会厕所清扫后"
    assert taken.json()["taken_on"] == "2026-11-03"  # DateTimeOriginal, not DateTime
    # Without EXIF the day taken is the upload's day (China time).
    plain = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(plain, "PNG")
    uploaded = upload(client, f.auth(cadre), plain.getvalue(), name="a.png")
    assert uploaded.json()["caption"] == ""
    assert uploaded.json()["taken_on"] == clock.today().isoformat()
    row = session.get(StoredFile, uuid.UUID(taken.json()["id"]))
    assert row is not None and row.caption == "村委会厕所清扫后"


def test_the_same_photo_uploaded_again_with_a_caption_gets_it(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    first = upload(client, f.auth(cadre), jpeg_with_exif()).json()
    again = upload(client, f.auth(cadre), jpeg_with_exif(), caption="入户宣传现场").json()
    assert again["id"] == first["id"] and again["caption"] == "入户宣传现场"
    # A caption once given is not overwritten by a later upload of the same bytes.
    third = upload(client, f.auth(cadre), jpeg_with_exif(), caption="别的说明").json()
    assert third["caption"] == "入户宣传现场"


def test_a_caption_too_long_is_refused_naming_it(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    r = upload(client, f.auth(cadre), jpeg_with_exif(), caption="很" * 201)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "caption" and "200" in r.json()["message"]
