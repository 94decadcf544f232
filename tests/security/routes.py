"""Every API operation of the app, read from its OpenAPI document, with a request that is
well formed for it: the security suite walks these so that a new endpoint is covered (or
fails for want of a rule) without anyone remembering to add it."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

# Path parameters by name: a value that passes the route's own validation.
PATH_VALUES = {
    "code": "610923102217",
    "area_code": "610923",
    "year": "2025",
    "day": "2026-11-02",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    public: bool  # no login needed (no security requirement in the document)
    query_ints: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **ids: str) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return ids.get(name) or PATH_VALUES.get(name) or str(uuid.uuid4())

        return re.sub(r"\{(\w+)\}", fill, self.path)


def operations(app: FastAPI) -> list[Operation]:
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op["operationId"],
                    public=not op.get("security"),
                    query_ints=tuple(
                        p["name"]
                        for p in params
                        if p["in"] == "query" and _is_int(p.get("schema", {}))
                    ),
                )
            )
    return out


def _is_int(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        return True
    return any(s.get("type") == "integer" for s in schema.get("anyOf", []))
