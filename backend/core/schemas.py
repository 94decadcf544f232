"""Base classes and field types for what the API reads and writes."""

import re
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")


class Input(BaseModel):
    """Every request body: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    data: list[T]
    count: int


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
