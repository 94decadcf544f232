"""Structured logs: JSON lines with a request id, the user, the status and the time taken;
shouwang.* INFO lines reach the log under `shouwang serve`'s configuration; no personal data."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import logs
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict]:  # type: ignore[type-arg]
    formatter = logs.JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "shouwang.access"]


def test_every_request_is_one_json_line_with_id_user_status_and_duration(
    client: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    with caplog.at_level(logging.INFO, logger="shouwang"):
        response = client.get(
            "/api/v1/households", params={"q": "13912345678"}, headers=f.auth(cadre)
        )
        anonymous = client.get("/api/v1/households", headers={"X-Request-ID": "nginx0123abcd"})
    [line, second] = _lines(caplog)
    assert line["request_id"] == response.headers["X-Request-ID"] and len(line["request_id"]) == 32
    assert line["user_id"] == str(cadre.id)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/households", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"
    assert "13912345678" not in json.dumps(line)  # the query string is never logged
    # nginx's request id is kept, so its log and ours join; no user without a token.
    assert second["request_id"] == "nginx0123abcd" == anonymous.headers["X-Request-ID"]
    assert "user_id" not in second and second["status"] == 401


def test_a_full_id_number_or_phone_in_a_message_is_masked() -> None:
    record = logging.LogRecord(
        "shouwang.x",
        logging.INFO,
        __file__,
        1,
        "x %s %s",
        ("13912345678", "61092319700308123X"),
        None,
    )
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["msg"] == "x 139****5678 610923********123X"


def test_shouwang_info_lines_reach_the_log_under_serves_configuration() -> None:
    code = (
        "import logging, logging.config;"
        "from backend.core import logs;"
        "logging.config.dictConfig(logs.config());"
        "logging.getLogger('shouwang.reports').info('text to %s sent', '139****5678')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    [line] = [json.loads(x) for x in done.stderr.splitlines()]
    assert line["logger"] == "shouwang.reports" and line["msg"] == "text to 139****5678 sent"


def test_serve_hands_uvicorn_the_json_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from backend import cli

    seen: dict = {}  # type: ignore[type-arg]

    class Server:
        """uvicorn.Server as `serve` uses it with one worker, recording its configuration."""

        def __init__(self, config: uvicorn.Config) -> None:
            seen["config"] = config
            self.started = True

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn, "Server", Server)
    monkeypatch.setattr("backend.core.db.analyze", lambda: None)
    assert cli.main(["serve"]) == 0
    assert seen["config"].log_config == logs.config() and seen["config"].access_log is False
