"""Enums whose members carry the words a person reads, so each value and its name are
written once, side by side."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Self


class NamedEnum(StrEnum):
    """A string enum declared as `illness = "illness", "因病"`: the value (what is stored and
    sent) stays the plain string, and `names()` gives the {member: name} table behind the
    API's `*_name` fields and the forms' choices. Columns hold plain strings, so readers look
    names up in that table (`STATUS_NAMES[row.status]`) rather than on the member."""

    _value_: str
    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        # Called only to make the members (StrEnum's own __new__ would read the pair as
        # str(value, encoding)); `RiskType("illness")` looks a member up. The default lets
        # type checkers accept that look-up, so a member without its name is refused here.
        if not label:
            raise TypeError(f"{cls.__name__} {value!r} needs its Chinese name")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def names(cls) -> dict[Self, str]:
        return {member: member.label for member in cls}


def plain(names: Mapping[StrEnum, str]) -> dict[str, str]:
    """A {member: name} table keyed by the plain strings, as a page's script reads it."""
    return {str(k): v for k, v in names.items()}
