"""`shouwang serve --workers N`: uvicorn's supervisor, saying in the log why a worker died.

uvicorn pings each worker every half second and kills one that does not answer within
`timeout_worker_healthcheck` seconds, then logs only "Child process [pid] died"; a worker
whose app failed to build dies with its traceback on bare stderr, outside the JSON log.
Here every death is logged as an error with its cause — its exit status or signal, or the
unanswered health check — and an app that fails to start logs its exception first."""

import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("shouwang.serve")


def exit_reason(code: int | None) -> str:
    """What a worker's exit status says, in words an operator can act on."""
    if code is None:
        return "is still running"
    if code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGKILL:
            return f"was killed by {name} (kill -9, or the kernel's out-of-memory killer)"
        return f"was killed by {name}"
    if code == STARTUP_FAILURE:
        return "failed to start (its error is logged just before)"
    return f"exited with status {code}"


class Supervisor(Multiprocess):
    """uvicorn's Multiprocess, logging why it replaces a worker."""

    def keep_subprocess_alive(self) -> None:
        for process in self.processes:
            if "is_alive" not in vars(process):
                process.is_alive = self._explained(process)  # type: ignore[method-assign]
        super().keep_subprocess_alive()

    def _explained(self, process: Process) -> Callable[..., bool]:
        def is_alive(timeout: float = 5) -> bool:
            if not process.process.is_alive():
                log.error("uvicorn worker %s %s", process.pid, exit_reason(process.exitcode))
                return False
            if process.ping(timeout):
                return True
            log.error(
                "uvicorn worker %s did not answer the supervisor's health check within %s s "
                "(blocked or starved of CPU): killed and replaced",
                process.pid,
                timeout,
            )
            return False

        return is_alive


def create_app() -> Any:
    """The app factory the workers call: backend.main.create_app, with a failure logged (as a
    JSON line with its traceback) before the worker exits."""
    try:
        from backend.main import create_app as build

        return build()
    except Exception:
        log.exception("worker %s could not build the app", os.getpid())
        raise
