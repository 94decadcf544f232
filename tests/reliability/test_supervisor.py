"""`shouwang serve --workers N` says in its log why a worker died (uvicorn alone logged
"Child process [pid] died" and nothing more)."""

import json
import os
import signal
import time
from pathlib import Path

import pytest

from backend.core.supervisor import exit_reason
from tests.clusters import BIN, app_env, prepare, server, spare_port


def test_exit_reasons_are_told() -> None:
    assert "SIGKILL" in exit_reason(-signal.SIGKILL)
    assert "out-of-memory" in exit_reason(-signal.SIGKILL)
    assert exit_reason(-signal.SIGSEGV) == "was killed by SIGSEGV"
    assert "failed to start" in exit_reason(3)
    assert exit_reason(1) == "exited with status 1"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in path.read_text().split()] if path.exists() else []
    return [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]


@pytest.mark.cluster
def test_a_killed_worker_is_logged_with_its_cause(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shouwang.db"
    prepare(url, [], "unused-password-1")
    env = app_env(database_url=url, data_dir=str(tmp_path), worker_in_process="false")
    port = spare_port()
    log = tmp_path / "serve.log"
    args = [str(BIN / "shouwang"), "serve", "--port", str(port), "--workers", "2"]
    with server(args, env, port, log):
        parent = next(
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit()
            and str(port).encode() in (p / "cmdline").read_bytes()
            and b"serve" in (p / "cmdline").read_bytes()
        )
        deadline = time.monotonic() + 120
        while len(_children(parent)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        victim = _children(parent)[0]
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() < deadline:
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
            told = [x for x in lines if x["logger"] == "shouwang.serve"]
            if told:
                break
            time.sleep(0.2)
    assert told, log.read_text()
    assert told[0]["level"] == "ERROR"
    assert told[0]["msg"] == (
        f"uvicorn worker {victim} was killed by SIGKILL (kill -9, or the kernel's "
        "out-of-memory killer)"
    )
