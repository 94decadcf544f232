"""Browser tests: a real uvicorn server on a fresh demo database, driven through Debian's
Chromium by Playwright with a phone-sized viewport. One server for the whole session."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, env: dict[str, str], data_dir: Path) -> None:
        self.url = url
        self.env = env
        self.data_dir = data_dir

    def token(self, username: str, password: str = "Shouwang2026!") -> str:
        r = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": username, "password": password}
        )
        r.raise_for_status()
        return r.json()["access_token"]

    def api(self, username: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token(username)}"}
        )


@contextmanager
def served(
    root: Path = ROOT,
    *,
    data_dir: Path | None = None,
    prefix: str = "shouwang-e2e-",
    env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Migrate, seed the demo and run `shouwang serve` from `root` on a free port until the
    block ends; its data in `data_dir` (a new temporary folder named `prefix…` if none).
    `env` adds to the server's environment."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=prefix))
    port = _free_port()
    env = {
        **os.environ,
        "SHOUWANG_ENV": "test",
        "SHOUWANG_DATA_DIR": str(data_dir),
        "SHOUWANG_DATABASE_URL": f"sqlite:///{data_dir}/e2e.db",
        # Every browser test reports from 127.0.0.1: the per-address limit is not under test.
        "SHOUWANG_REPORT_LIMIT_PER_ADDRESS": "1000/hour",
        **(env or {}),
    }
    cli = [sys.executable, "-m", "backend.cli"]
    subprocess.run([*cli, "migrate"], env=env, cwd=root, check=True, capture_output=True)
    subprocess.run([*cli, "seed-demo"], env=env, cwd=root, check=True, capture_output=True)
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        # A shared, loaded machine can take more than half a minute to start the server.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:  # pragma: no cover - a server that never answers fails every e2e test loudly
            raise RuntimeError((data_dir / "server.log").read_text())
        yield LiveServer(url, env, data_dir)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    with served() as live:
        yield live


@pytest.fixture(scope="module")
def copied_app() -> Iterator[tuple[LiveServer, Path]]:
    """A server running from a copy of the application, so a test may change its files the
    way a new release does, without touching the checkout. `python -m backend.cli` run
    inside the copy imports the copy's `backend` (the working directory comes first)."""
    root = Path(tempfile.mkdtemp(prefix="shouwang-e2e-app-"))
    for name in ("backend", "frontend", "migrations"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "alembic.ini", root / "alembic.ini")
    data_dir = root / "data"
    data_dir.mkdir()
    with served(root, data_dir=data_dir) as live:
        yield live, root / "frontend"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):  # type: ignore[no-untyped-def]
    p = context.new_page()
    yield p
    p.close()


def wait_until(page, expression: str, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until a JavaScript expression is true on the page. Playwright's wait_for_function
    polls with eval inside the page, which the app's Content-Security-Policy (no
    'unsafe-eval') refuses; page.evaluate goes through the DevTools protocol instead."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        page.wait_for_timeout(100)
