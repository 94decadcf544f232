"""Fifty phones replaying the same visit at once, over real HTTP to a real server."""

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from backend.accounts.models import User
from backend.households.models import Household
from backend.main import create_app
from backend.visits.models import LedgerEntry, Visit
from tests import factories as f
from tests.visits.conftest import visit_body


@pytest.fixture
def server(app_engine: Engine) -> Iterator[str]:
    """uvicorn on a free port in this process (the engine under test is the app's engine);
    sync endpoints run on its thread pool, so requests really overlap on the server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, log_level="warning", limit_concurrency=200
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_fifty_identical_posts_at_once_store_one_row_and_no_5xx(
    server: str, session: Session, helper: User, home: Household
) -> None:
    body = visit_body(home)
    headers = f.auth(helper)
    start = threading.Barrier(50)

    def post(_: int) -> int:
        with httpx.Client(base_url=server, timeout=30) as c:
            start.wait()
            return c.post("/api/v1/visits", json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(post, range(50)))
    assert sorted(set(statuses)) == [200, 201], statuses
    assert statuses.count(201) == 1
    # The same id with another payload is a 409.
    changed = {**body, "notes": "另一份内容"}
    with httpx.Client(base_url=server) as c:
        assert c.post("/api/v1/visits", json=changed, headers=headers).status_code == 409
    # (Read last: on SQLite this session's transaction takes the server's write lock.)
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Visit)).one() == 1
    assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 1
    session.rollback()
