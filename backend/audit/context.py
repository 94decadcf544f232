"""Which client a change came from, set once per request by middleware."""

from contextvars import ContextVar

current_client: ContextVar[str] = ContextVar("shouwang_client", default="system")
