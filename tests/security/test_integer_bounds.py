"""Every integer the API reads is bounded: a huge value is a 422 naming the field in
Chinese, never an overflow inside the database driver (a 500)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.main import create_app
from tests import factories as f
from tests.security.routes import operations

HUGE = 2**63


def _unbounded(node: Any, where: str) -> list[str]:
    out = []
    if isinstance(node, dict):
        if (
            node.get("type") == "integer"
            and "maximum" not in node
            and "exclusiveMaximum" not in node
        ):
            out.append(where)
        for key, value in node.items():
            out += _unbounded(value, f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            out += _unbounded(value, where)
    return out


def test_every_integer_the_api_reads_has_a_maximum() -> None:
    document = create_app().openapi()
    found = []
    schemas = document["components"]["schemas"]
    bodies: set[str] = set()
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                found += _unbounded(p.get("schema", {}), f"{method} {path} {p['name']}")
            _refs(op.get("requestBody", {}), bodies)
    seen: set[str] = set()
    while bodies:
        name = bodies.pop()
        if name not in seen:
            seen.add(name)
            _refs(schemas[name], bodies)
            found += _unbounded(schemas[name], name)
    assert found == []


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            out.add(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def _callers(client: TestClient, session: Session) -> list[dict[str, str]]:
    """Who to ask, in turn, until one may call the operation: the administrator, a county
    officer (the warnings queue), an API client with every scope (its webhooks and
    warnings)."""
    from backend.accounts.models import ApiScope

    return [
        f.auth(f.user(session, Role.admin, None)),
        f.auth(f.user(session, Role.county_officer, f.NINGSHAN)),
        f.api_client_auth(client, session, [s.value for s in ApiScope]),
    ]


def _ask(client: TestClient, callers: list[dict[str, str]], method: str, url: str, **kw: Any):  # type: ignore[no-untyped-def]
    for headers in callers:
        response = client.request(method, url, headers=headers, **kw)
        if response.status_code != 403:
            break
    return response


@pytest.mark.parametrize("value", [HUGE, 10**30, -1])
def test_a_huge_or_negative_integer_in_any_query_is_422_naming_it(
    client: TestClient, session: Session, value: int
) -> None:
    callers = _callers(client, session)
    household = str(f.household(session).id)
    tried = 0
    for op in operations(client.app):  # type: ignore[arg-type]
        for name in op.query_ints:
            url = op.url(household_id=household)
            response = _ask(client, callers, op.method, url, params={name: value})
            assert response.status_code == 422, (op.key, name, response.text)
            body = response.json()
            # (other required parameters missing are named too, after it or before)
            named = {d["field"]: d["message"] for d in body["detail"]}
            assert named[name].startswith("数值太"), (op.key, named)
            assert body["message"].split(":")[0].endswith(f"({body['detail'][0]['field']})")
            tried += 1
    assert tried >= 10  # every list's offset and limit, the calendar's year and month…


def test_the_largest_offset_allowed_answers_an_empty_page(
    client: TestClient, session: Session
) -> None:
    from backend.core.deps import OFFSET_MAX

    callers = _callers(client, session)
    for op in operations(client.app):  # type: ignore[arg-type]
        if "offset" in op.query_ints:
            response = _ask(client, callers, "GET", op.url(), params={"offset": OFFSET_MAX})
            assert response.status_code == 200, (op.key, response.text)
            body = response.json()
            assert body.get("data", body.get("not_visited")) == [], op.key
