"""The processes under test: `shouwang serve` (one worker on SQLite, four on PostgreSQL)
and, on PostgreSQL, `shouwang worker`, each in its own process group so kill -9 takes a
server with every uvicorn worker it spawned."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.clusters import BIN, ROOT, spare_port


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=ROOT,
            )
        self.starts += 1

    def kill9(self) -> None:
        """SIGKILL to the whole group: nothing gets to finish or clean up."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill9()


class Server(Process):
    def __init__(self, env: dict[str, str], log: Path, workers: int) -> None:
        self.port = spare_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        args = [str(BIN / "shouwang"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__([*args, "--workers", str(workers)], env, log)

    def start(self) -> None:
        super().start()
        self.wait_ready()

    def wait_ready(self, seconds: float = 180) -> None:
        """Until /health answers 200 (every worker up on PostgreSQL: a few answers in a row)."""
        deadline = time.monotonic() + seconds
        good = 0
        while good < (1 if self.workers == 1 else 8):
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: see {self.log}")
            try:
                ok = httpx.get(self.base + "/api/v1/health", timeout=3).status_code == 200
            except httpx.HTTPError:
                ok = False
            good = good + 1 if ok else 0
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready in {seconds} s: see {self.log}")
            time.sleep(0.1 if ok else 0.3)

    def restart(self) -> None:
        self.kill9()
        self.start()
