"""Base classes and field types for what the API reads and writes."""

import re
from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, computed_field

T = TypeVar("T")


class Input(BaseModel):
    """Every request body: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    data: list[T]
    count: int


def name_field(names: Mapping[Any, str], field: str, answer: Any = str) -> Any:
    """A read-only answer field with the Chinese name of `field`'s value from `names` (an
    enum's X_NAMES), answered beside the code so screens and third parties show the server's
    words: `relation_name = name_field(RELATION_NAMES, "relation")`. A list of values gives
    a list of names, no value gives None (`answer` is then `list[str]` or `str | None`), and
    a value without a name is shown as it is."""

    def name(self: BaseModel) -> Any:
        value = getattr(self, field)
        if value is None:
            return None
        if isinstance(value, list):
            return [names.get(v, v) for v in value]
        return names.get(value, value)

    return computed_field(return_type=answer)(property(name))


# Strict numbers: a JSON `true` or "12" is not a number of yuan.
Yuan = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
StrictBool = Annotated[bool, Field(strict=True)]
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_AREA = re.compile(r"^\d{2,12}$")


def _mobile(value: str) -> str:
    if not _MOBILE.match(value):
        raise ValueError("应为 11 位手机号码")
    return value


def _area(value: str) -> str:
    if not _AREA.match(value):
        raise ValueError("应为地区代码(2 到 12 位数字)")
    return value


AreaCode = Annotated[str, AfterValidator(_area)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(max_length=2000)]
MobilePhone = Annotated[str, AfterValidator(_mobile)]
