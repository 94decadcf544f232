"""No N+1 on any list: each list endpoint runs the same number of SQL statements for a page
of 2 rows as for a page of 5 (STYLE rule 11). Every GET route that takes a page (`PagingDep`)
must be listed here, so a new list is counted the day it is added."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import clock
from backend.core.deps import Paging
from backend.main import create_app
from backend.reports import throttle
from tests import factories as f
from tests.rectification.conftest import HUISHI, Api
from tests.visits.conftest import backdate, visit_body

SMALL, LARGE = 2, 5
ROWS = 6  # of everything, so both pages are full


@contextmanager
def _counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _paged_routes() -> set[str]:
    """The GET paths whose endpoint takes a page."""
    out = set()
    for route in create_app().routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            calls = {d.call for d in route.dependant.dependencies}
            if Paging in calls:
                out.add(route.path)
    return out


@pytest.fixture
def county(client: TestClient, session: Session) -> dict[str, User]:
    """ROWS of every listed thing, made by different people, so that a per-row look-up
    (names, helpers, villages, ledgers, claimants) would show as more statements."""
    officer = f.user(session, Role.county_officer, f.NINGSHAN, full_name="县干部")
    helpers = [
        f.user(session, Role.helper, f.NINGSHAN, full_name=f"帮扶人{i}") for i in range(ROWS)
    ]
    households = [
        backdate(session, f.household(session, helper=helpers[i % 3])) for i in range(ROWS * 2)
    ]
    for i, h in enumerate(households[:ROWS]):
        helper = helpers[i % 3]
        body = visit_body(h, visited_at=(clock.now() - timedelta(minutes=5 + i)).isoformat())
        r = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
        assert r.status_code == 201, r.text
    throttle.reset()
    for i in range(ROWS):
        r = client.post(
            "/api/v1/self-reports",
            json={
                "area_code": f.LENGSHUIGOU,
                "name": f"王秀{i}",
                "phone": f"1391234567{i}",
                "risk_types": ["illness"],
                "note": "老伴住院,花了很多钱",
            },
        )
        assert r.status_code == 201, r.text
    throttle.reset()
    township = f.user(session, Role.township_officer, HUISHI, full_name="张桂兰")
    cadre = f.user(session, Role.village_cadre, f.GAOJIAZHUANG, full_name="高宏伟")
    api = Api(client)
    for _ in range(ROWS):
        batch = api.batch(township)
        problem = api.problem(township, batch["id"])
        api.claim(cadre, problem["id"])
    return {"officer": officer, "township": township, "helper": helpers[0]}


# (path, who asks, query): every paged list, and two lists paged by a `limit` of their own.
LISTS = [
    ("/api/v1/households", "officer", {}),
    ("/api/v1/users", "officer", {}),
    ("/api/v1/audit", "officer", {}),
    ("/api/v1/visits", "officer", {}),
    ("/api/v1/visits/coverage", "officer", {}),
    ("/api/v1/self-reports", "officer", {}),
    ("/api/v1/problem-batches", "township", {}),
    ("/api/v1/problems", "township", {}),
    ("/api/v1/problems", "township", {"overdue": "true"}),
    ("/api/v1/areas", "officer", {"q": "村"}),
]


def _rows(body: dict, path: str) -> int:
    if path.endswith("/coverage"):
        return len(body["not_visited"])
    return len(body["data"])


def test_every_paged_list_is_counted() -> None:
    assert _paged_routes() <= {path for path, _, _ in LISTS}


@pytest.mark.parametrize(("path", "who", "query"), LISTS, ids=[p + str(q) for p, _, q in LISTS])
def test_a_bigger_page_costs_no_more_statements(
    client: TestClient, county: dict[str, User], path: str, who: str, query: dict
) -> None:
    counts = {}
    for limit in (SMALL, LARGE):
        with _counting() as statements:
            r = client.get(path, params={**query, "limit": limit}, headers=f.auth(county[who]))
        assert r.status_code == 200, r.text
        assert _rows(r.json(), path) == limit, (path, limit, r.json())
        counts[limit] = len(statements)
    assert counts[SMALL] == counts[LARGE], (path, counts)


def test_the_phone_list_costs_the_same_for_more_households(
    client: TestClient, session: Session, county: dict[str, User]
) -> None:
    """my-households is not paged (the phone keeps them all): 2 more households of the same
    helper, visited or not, add no statement."""
    helper = county["helper"]
    with _counting() as before:
        first = client.get("/api/v1/visits/my-households", headers=f.auth(helper))
    for _ in range(2):
        backdate(session, f.household(session, helper=helper))
    with _counting() as after:
        second = client.get("/api/v1/visits/my-households", headers=f.auth(helper))
    assert second.json()["count"] == first.json()["count"] + 2
    assert len(before) == len(after)
