"""What `shouwang serve` refuses or distrusts before the first request: production without
its keys, and forwarded headers from anyone but the configured proxy."""

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from backend import cli

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k" * 40


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--port", "1"],  # never reached
        cwd=ROOT,
        env={
            **os.environ,
            "SHOUWANG_DATA_DIR": str(tmp_path),
            "SHOUWANG_DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
            "SHOUWANG_ENV": "production",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "SHOUWANG_SECRET_KEY 必须设为至少 32 个随机字符(现在是开发用的默认值)"),
        ({"SHOUWANG_SECRET_KEY": "", "SHOUWANG_DATA_KEY": STRONG}, "(现在未设置)"),
        ({"SHOUWANG_SECRET_KEY": STRONG, "SHOUWANG_DATA_KEY": "short"}, "DATA_KEY"),
    ],
    ids=["default-keys", "empty-secret", "short-data-key"],
)
def test_production_refuses_to_start_without_its_keys(
    tmp_path: Path, env: dict[str, str], reason: str
) -> None:
    done = _serve(tmp_path, **env)
    assert done.returncode == 2
    assert done.stderr.startswith("配置有误,拒绝启动:"), done.stderr
    assert reason in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "p.db").exists()  # nothing opened, nothing written


def test_both_missing_keys_are_named_at_once(tmp_path: Path) -> None:
    done = _serve(tmp_path)
    assert "SHOUWANG_SECRET_KEY" in done.stderr and "SHOUWANG_DATA_KEY" in done.stderr


def _uvicorn_options(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:  # type: ignore[type-arg]
    seen: dict = {}  # type: ignore[type-arg]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cli.get_settings.cache_clear()
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setattr("backend.core.db.analyze", lambda: None)
    try:
        assert cli.main(["serve"]) == 0
    finally:
        monkeypatch.undo()
        cli.get_settings.cache_clear()
    return seen


async def _client_seen_by_app(options: dict, headers: dict[str, str]) -> str:  # type: ignore[type-arg]
    """The client address the app sees for a request from 127.0.0.1, under uvicorn's proxy
    handling as `shouwang serve` configures it."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["client"][0].encode()})

    config = uvicorn.Config(
        app,
        proxy_headers=options["proxy_headers"],
        forwarded_allow_ips=options["forwarded_allow_ips"],
    )
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return (await c.get("/", headers=headers)).text


SPOOFED = {"X-Forwarded-For": "203.0.113.7"}


def _seen(options: dict, headers: dict[str, str]) -> str:  # type: ignore[type-arg]
    """Run the ASGI call on a thread and an event loop of its own: Playwright's sync API (the
    browser tests, earlier in the same run) keeps a loop running on the main thread, where
    another cannot start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _client_seen_by_app(options, headers)).result()


def test_forwarded_headers_are_ignored_unless_a_proxy_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _uvicorn_options(monkeypatch)
    assert options["proxy_headers"] is False
    assert _seen(options, SPOOFED) == "127.0.0.1"


def test_forwarded_headers_are_believed_from_the_configured_proxy_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _uvicorn_options(monkeypatch, SHOUWANG_FORWARDED_ALLOW_IPS="127.0.0.1")
    assert _seen(options, SPOOFED) == "203.0.113.7"
    elsewhere = _uvicorn_options(monkeypatch, SHOUWANG_FORWARDED_ALLOW_IPS="10.0.0.5")
    assert _seen(elsewhere, SPOOFED) == "127.0.0.1"
