"""The server gives back what a burst of requests freed, and keeps few malloc arenas."""

import threading

import pytest
from fastapi.testclient import TestClient

from backend.core import memory
from backend.main import create_app

glibc = pytest.mark.skipif(memory._libc is None, reason="malloc_trim and mallopt are glibc's")


class Gives:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> bool:
        self.times += 1
        return True


def returner(cpu: list[float]) -> tuple[memory.Returner, Gives]:
    """A Returner reading its CPU time from `cpu[0]` (the test moves it), started at 0."""
    gives = Gives()
    return memory.Returner(give=gives, cpu=lambda: cpu[0]), gives


def test_gives_back_once_the_work_is_over() -> None:
    cpu = [0.0]
    r, gives = returner(cpu)
    for busy in (0.8, 1.6, 2.4):  # three seconds of requests
        cpu[0] = busy
        assert not r.tick(cpu[0])
    cpu[0] = 2.41  # a quiet second
    assert r.tick(cpu[0])
    assert gives.times == 1
    for _ in range(5):  # still quiet: nothing more to give back
        cpu[0] += 0.01
        assert not r.tick(cpu[0])
    assert gives.times == 1


def test_an_idle_server_never_trims() -> None:
    cpu = [0.0]
    r, gives = returner(cpu)
    for _ in range(100):
        cpu[0] += 0.01  # the worker thread's look at its jobs, nothing else
        r.tick(cpu[0])
    assert gives.times == 0


def test_under_steady_load_it_gives_back_now_and_then() -> None:
    cpu = [0.0]
    r, gives = returner(cpu)
    for _ in range(100):  # 100 seconds, each a CPU-second: never quiet
        cpu[0] += 1.0
        r.tick(cpu[0])
    assert gives.times == 100 // memory.TRIM_AT_LEAST_EVERY


@glibc
def test_glibc_takes_the_settings() -> None:
    assert memory.limit_arenas()
    memory.give_back()  # says whether pages went back; it must not fail


@glibc
def test_the_app_runs_the_returner_while_it_serves(app_engine) -> None:  # type: ignore[no-untyped-def]
    def running() -> bool:
        return any(t.name == "memory-returner" for t in threading.enumerate())

    assert not running()
    with TestClient(create_app()) as c:
        assert c.get("/api/v1/health").status_code == 200
        assert running()
    assert not running()
