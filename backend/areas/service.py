"""Reading and importing the area tree."""

import csv
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.areas.models import CODE_LENGTH, Area, AreaLevel
from backend.core.errors import Invalid, NotFound
from backend.core.scope import within
from backend.core.usecase import use_case


def get(*, session: Session, code: str) -> Area | None:
    return session.get(Area, code)


def get_or_404(*, session: Session, code: str) -> Area:
    area = session.get(Area, code)
    if area is None:
        raise NotFound("没有这个地区")
    return area


def require_village(*, session: Session, code: str, field: str = "area_code") -> Area:
    area = session.get(Area, code)
    if area is None:
        raise Invalid(field, "没有这个地区代码")
    if area.level != AreaLevel.village:
        raise Invalid(field, "应选到村(社区)")
    return area


def children(*, session: Session, code: str) -> list[Area]:
    stmt = select(Area).where(Area.parent_code == code).order_by(col(Area.code))
    return list(session.exec(stmt))


def roots(*, session: Session) -> list[Area]:
    stmt = select(Area).where(col(Area.parent_code).is_(None)).order_by(col(Area.code))
    return list(session.exec(stmt))


def search(*, session: Session, q: str, under: str = "", limit: int = 20) -> tuple[list[Area], int]:
    cond = [col(Area.name).contains(q), col(Area.code).like(under + "%")]
    count = session.exec(select(func.count()).select_from(Area).where(*cond)).one()
    stmt = select(Area).where(*cond).order_by(col(Area.code)).limit(limit)
    return list(session.exec(stmt)), count


def path(*, session: Session, code: str) -> list[Area]:
    """The chain from the province down to `code` itself."""
    area = get_or_404(session=session, code=code)
    prefixes = [code[:n] for n in CODE_LENGTH.values() if n < len(code)]
    above = session.exec(select(Area).where(col(Area.code).in_(prefixes))).all()
    return [*sorted(above, key=lambda a: len(a.code)), area]


def areas_under(*, session: Session, prefix: str) -> list[Area]:
    """Every area inside the area `prefix`, itself included, in code order."""
    stmt = select(Area).where(within(Area.code, prefix)).order_by(col(Area.code))
    return list(session.exec(stmt))


def villages_under(*, session: Session, prefix: str) -> list[Area]:
    """Every village inside the area `prefix`, in code order."""
    stmt = select(Area).where(within(Area.code, prefix), Area.level == AreaLevel.village)
    return list(session.exec(stmt.order_by(col(Area.code))))


def names(*, session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = set(codes)
    if not wanted:
        return {}
    rows = session.exec(select(Area.code, Area.name).where(col(Area.code).in_(wanted)))
    return dict(rows.all())


def full_name(*, session: Session, code: str) -> str:
    """村 with its 乡镇 and 县, as a person writes an address: 会宁县会师镇南关村."""
    return "".join(a.name for a in path(session=session, code=code) if len(a.code) >= 6)


# A village's own name for its committee, as the official list writes villages in every form:
# 高家庄村, 蔬菜村委会, 东山根社区居民委员会, 新塘社区.
_COMMITTEES = (
    ("村民委员会", "村民委员会"),
    ("居民委员会", "居民委员会"),
    ("村委会", "村民委员会"),
    ("居委会", "居民委员会"),
    ("社区", "社区居民委员会"),
    ("村", "村民委员会"),
)


def committee(village: str) -> str:
    """The committee that signs a village's notices: 高家庄村 → 高家庄村民委员会, 蔬菜村委会 →
    蔬菜村民委员会, 东山根社区 → 东山根社区居民委员会 (a name already in full stays as it is)."""
    for ending, full in _COMMITTEES:
        if village.endswith(ending):
            return village.removesuffix(ending) + full
    return village + "村民委员会"


@use_case
def import_csv(*, session: Session, file: Path) -> int:
    """Load or update areas from a CSV of code,name,level,parent_code; returns rows read."""
    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Parents before children, so foreign keys hold at every insert.
    rows.sort(key=lambda r: len(r["code"]))
    for line, row in enumerate(rows, start=2):
        code, level = row["code"].strip(), AreaLevel(row["level"].strip())
        parent = (row.get("parent_code") or "").strip() or None
        if len(code) != CODE_LENGTH[level] or not code.isdigit():
            raise ValueError(f"line {line}: code {code!r} does not fit level {level}")
        if parent is not None and not code.startswith(parent):
            raise ValueError(f"line {line}: {code} is not inside its parent {parent}")
        area = session.get(Area, code) or Area(code=code, name="", level=level)
        area.name, area.level, area.parent_code = row["name"].strip(), level, parent
        session.add(area)
        session.flush()
    return len(rows)
