"""Base classes and field types for what the API reads and writes."""

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

T = TypeVar("T")


def _input_schema(schema: dict[str, Any], model: type) -> None:
    """Strings are trimmed before their length is checked, so a minLength alone would promise
    that "\u000b" passes; a pattern says that `minLength` characters remain once trimmed.
    A body class with an `EXAMPLE` shows it in the document (and schemathesis sends it)."""
    example = getattr(model, "EXAMPLE", None)
    if example is not None:
        schema["examples"] = [example]
    for prop in schema.get("properties", {}).values():
        for option in [prop, *prop.get("anyOf", [])]:
            least = option.get("minLength", 0)
            if option.get("type") == "string" and least >= 1 and "pattern" not in option:
                option["pattern"] = r"\S" if least == 1 else rf"\S[\s\S]{{{least - 2},}}\S"


class Input(BaseModel):
    """Every request body: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_input_schema
    )


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


def _whole(value: Any) -> Any:
    # JSON Schema's integer includes 12.0, which some clients send for 12; a strict int
    # would refuse it. A fraction, a `true` or "12" still is not an integer.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Strict numbers: a JSON `true` or "12" is not a number of yuan. Every strict int carries
# WHOLE beside it: `Annotated[int, Field(strict=True, …), WHOLE]`.
WHOLE = BeforeValidator(_whole)
Yuan = Annotated[int, Field(strict=True, ge=0, le=100_000_000), WHOLE]
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


# The pattern is declared for clients; the validator answers the Chinese sentence.
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    # Pydantic would read 0 or "0" as a Unix time (1970-01-01): a day is written as one.
    if not isinstance(value, date) and not (isinstance(value, str) and _DAY.match(value)):
        raise ValueError("应为日期(如 2024-05-01)")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]
AreaCode = Annotated[
    str, AfterValidator(_area), Field(json_schema_extra={"pattern": _AREA.pattern})
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(max_length=2000)]
MobilePhone = Annotated[
    str, AfterValidator(_mobile), Field(json_schema_extra={"pattern": _MOBILE.pattern})
]
