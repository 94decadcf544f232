"""What a village's printed 一键报贫 poster shows: the village and its cadre's phone."""

from dataclasses import dataclass

from sqlmodel import Session

from backend.accounts import service as accounts_service
from backend.accounts.models import Role
from backend.areas import service as areas_service
from backend.areas.models import AreaLevel
from backend.core.errors import NotFound


@dataclass
class PosterInfo:
    code: str
    village: str
    full_name: str
    cadre_name: str | None
    cadre_phone: str | None


def for_village(*, session: Session, code: str) -> PosterInfo:
    """What a village's poster shows: its name and its village cadre's phone."""
    area = areas_service.get(session=session, code=code)
    if area is None or area.level != AreaLevel.village:
        raise NotFound("没有这个村(社区)")
    cadre = accounts_service.first_reachable(
        session=session, area_code=code, role=Role.village_cadre
    )
    return PosterInfo(
        code=code,
        village=area.name,
        full_name=areas_service.full_name(session=session, code=code),
        cadre_name=cadre.full_name if cadre else None,
        cadre_phone=cadre.phone if cadre else None,
    )
