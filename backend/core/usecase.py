"""The one commit rule: a use case commits once, at its end. Steps only flush.

A function marked `@use_case` commits its session when it returns, unless it runs inside
another use case (enrolment from a self-report runs the household's enrolment): then the
outer one commits, once, for both. Routers and dependencies never commit."""

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlmodel import Session

P = ParamSpec("P")
R = TypeVar("R")
_DEPTH = "shouwang_use_case_depth"


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """Commit `session=` (a keyword argument) when the outermost use case returns."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session: Any = kwargs["session"]
        assert isinstance(session, Session), f"{fn.__qualname__} needs session= as a keyword"
        depth = session.info.get(_DEPTH, 0)
        session.info[_DEPTH] = depth + 1
        try:
            result = fn(*args, **kwargs)
        finally:
            session.info[_DEPTH] = depth
        if depth == 0:
            session.commit()
        return result

    return run
