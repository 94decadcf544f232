"""Checking, cleaning and storing uploaded files. Types are judged by content, never by name."""

import errno
import hashlib
import io
import logging
import uuid
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts.models import User
from backend.core.errors import FIELD_LABELS, AppError, Forbidden, Invalid
from backend.core.loaders import load_or_404
from backend.core.scope import contains
from backend.core.settings import get_settings
from backend.core.usecase import use_case
from backend.files.models import StoredFile
from backend.households import service as households_service

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_DATETIME = 0x0132
EXIF_IFD = 0x8769
MAX_PIXELS = 40_000_000

log = logging.getLogger("shouwang.files")


class TooLarge(AppError):
    status = 413
    code = "file_too_large"


class StorageFull(AppError):
    """The upload directory's disk is full: nothing is kept, the phone sends it again later
    (a 5xx is "later" to the outboxes), and the operator sees it in the log."""

    status = 507
    code = "storage_full"


def _storage_dir() -> Path:
    return get_settings().data_dir / "files"


def path_of(sha256: str) -> Path:
    return _storage_dir() / sha256[:2] / sha256


def _clean_image(data: bytes, field: str) -> tuple[bytes, str, str | None]:
    """Re-encode an image without its metadata; return bytes, type and the time it was taken."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            if kind not in IMAGE_TYPES:
                raise Invalid(field, "只接受 JPEG、PNG 或 WebP 图片")
            if img.width * img.height > MAX_PIXELS:
                raise Invalid(field, "图片像素太大")
            img.load()
            exif = img.getexif()
            taken = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
            out = io.BytesIO()
            clean = img.copy()
            if kind == "JPEG":
                keep = Image.Exif()
                if taken:
                    keep[EXIF_DATETIME] = taken
                clean.save(out, "JPEG", quality=90, exif=keep.tobytes())
            else:
                clean.save(out, kind)
            return out.getvalue(), IMAGE_TYPES[kind], str(taken) if taken else None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise Invalid(field, "不是可识别的图片文件") from exc


def check_and_clean(
    data: bytes, *, field: str = "file", allow_pdf: bool = True
) -> tuple[bytes, str, str | None]:
    """(bytes to store, content type, time taken) — or a 422/413 naming the field."""
    if len(data) == 0:
        raise Invalid(field, "文件是空的")
    if len(data) > get_settings().upload_max_bytes:
        limit = get_settings().upload_max_bytes // (1024 * 1024)
        raise TooLarge(f"文件太大,不能超过 {limit} MB", detail=[{"field": field}])
    if data.startswith(b"%PDF-"):
        if not allow_pdf:
            raise Invalid(field, "这里只接受图片")
        return data, PDF, None
    return _clean_image(data, field)


def store(
    *,
    session: Session,
    data: bytes,
    area_code: str,
    uploaded_by: uuid.UUID | None,
    household_id: uuid.UUID | None = None,
    original_name: str = "",
    field: str = "file",
    allow_pdf: bool = True,
) -> StoredFile:
    """Keep a checked file. The same content in the same area is stored (and answered) once.
    A step: it flushes, and the use case that calls it commits."""
    clean, content_type, taken = check_and_clean(data, field=field, allow_pdf=allow_pdf)
    digest = hashlib.sha256(clean).hexdigest()
    existing = session.exec(
        select(StoredFile).where(
            StoredFile.sha256 == digest,
            StoredFile.area_code == area_code,
            col(StoredFile.household_id).is_(None)
            if household_id is None
            else StoredFile.household_id == household_id,
        )
    ).first()
    if existing is not None:
        return existing
    target = path_of(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(clean)
            tmp.replace(target)  # atomic: a crash never leaves half a file under the real name
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # no half-written file left behind
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            log.error("upload directory full: %s not stored (%s)", field, exc.strerror)
            label = FIELD_LABELS.get(field.rsplit(".", 1)[-1], "")
            shown = f"{label}({field})" if label else field
            raise StorageFull(
                f"服务器存储空间已满,{shown}未能保存,请稍后再发",
                detail=[{"field": field, "message": "服务器存储空间已满"}],
                headers={"Retry-After": "300"},
            ) from exc
    row = StoredFile(
        sha256=digest,
        content_type=content_type,
        size=len(clean),
        area_code=area_code,
        original_name=original_name[:200],
        taken_at=taken,
        uploaded_by=uploaded_by,
        household_id=household_id,
    )
    session.add(row)
    session.flush()
    return row


@use_case
def upload(
    *,
    session: Session,
    user: User,
    data: bytes,
    area_code: str | None,
    household_id: uuid.UUID | None,
    original_name: str,
) -> StoredFile:
    """A user's upload: about a household they see (it then belongs to the household's
    village), or for an area in their scope."""
    if household_id is not None:
        household = households_service.get_visible(
            session=session, user=user, household_id=household_id
        )
        area_code = household.area_code
    elif area_code is None:
        raise Invalid("area_code", "请指明文件所属的户或地区")
    elif not contains(user.scope, area_code):
        raise Forbidden("只能为本辖区上传文件", code="outside_scope")
    if not data:
        raise Invalid("file", "文件是空的")
    return store(
        session=session,
        data=data,
        area_code=area_code,
        uploaded_by=user.id,
        household_id=household_id,
        original_name=original_name,
    )


def get_visible(
    *, session: Session, file_id: uuid.UUID, user: User | None = None, scope: str | None = None
) -> StoredFile:
    """The file, if the caller's area covers it; for a helper, only their own uploads and
    the files of households assigned to them. Otherwise the same 404 as a missing id.
    Without a `user`, only `scope` limits it (a report's files, read on the report's behalf)."""
    area = scope if user is None else user.scope
    assert area is not None, "a file is looked up for a user or within a scope"
    return load_or_404(
        session,
        StoredFile,
        file_id,
        sees=lambda row: (
            contains(area, row.area_code)
            and (user is None or bool(_helper_sees(session=session, user=user, rows=[row])))
        ),
        missing="没有找到这个文件",
    )


def _helper_sees(*, session: Session, user: User, rows: list[StoredFile]) -> list[StoredFile]:
    """Of `rows` (already in scope), those the helper rule leaves `user`: a helper sees their
    own uploads and the files of households assigned to them; others see them all."""
    if not access.bound_to_assignments(user):
        return rows
    theirs = {r.household_id for r in rows if r.uploaded_by != user.id and r.household_id}
    mine = households_service.visible_ids(session=session, user=user, household_ids=theirs)
    return [r for r in rows if r.uploaded_by == user.id or r.household_id in mine]


def visible_many(
    *, session: Session, scope: str, file_ids: list[uuid.UUID], user: User | None = None
) -> dict[uuid.UUID, StoredFile]:
    """The files of `file_ids` the caller may see (the rule of `get_visible`), in two
    queries however many there are: for lists that show many attachments."""
    wanted = set(file_ids)
    if not wanted:
        return {}
    rows = [
        r
        for r in session.exec(select(StoredFile).where(col(StoredFile.id).in_(wanted)))
        if contains(scope, r.area_code)
    ]
    if user is not None:
        rows = _helper_sees(session=session, user=user, rows=rows)
    return {r.id: r for r in rows}


def read(row: StoredFile) -> bytes:
    return path_of(row.sha256).read_bytes()
