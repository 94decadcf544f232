"""Base classes and field types for what the API reads and writes."""

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
SignedYuan = Annotated[int, Field(strict=True, ge=-100_000_000, le=100_000_000)]
StrictInt = Annotated[int, Field(strict=True)]
StrictBool = Annotated[bool, Field(strict=True)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(max_length=2000)]
MobilePhone = Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
