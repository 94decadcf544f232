"""What the areas API answers."""

from backend.areas.models import AreaLevel
from backend.core.schemas import Output


class AreaPublic(Output):
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None


class AreasPublic(Output):
    data: list[AreaPublic]
    count: int
