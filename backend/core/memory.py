"""The server process's memory: glibc's malloc told to keep two arenas, and to give back
what a burst of requests freed once the burst is over.

Measured in process on the 100,000-household county (the bench's write runs at 10 and 50
clients, then the phones' batches; load 8-11): glibc made an arena for each of up to 16
threads at once (8 a core) and kept 47 MB freed in them, for a peak of 240 MB. With two
arenas it kept 10 MB, peak 205 MB; with the pool's connections also emptied on their return
(core/db.py), 192 MB. A `malloc_trim` after the burst gave 5-30 MB more back to the system.
Elsewhere than glibc (musl) both are skipped.
"""

import ctypes
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("shouwang.memory")

# glibc's mallopt parameter for the number of arenas (malloc.h).
M_ARENA_MAX = -8
# Two arenas: the request threads rarely allocate at the same moment (they take turns with
# the GIL; SQLite's own work is what allocates without it), and two cores.
ARENAS = 2
# One look a second at the process's CPU time; it gives memory back after a quiet second
# (under 50 ms of CPU) that follows at least half a CPU-second of busy seconds since the last
# time. Under steady load it also gives back every TRIM_AT_LEAST_EVERY busy CPU-seconds, so
# what one burst freed does not wait for the load to stop.
LOOK_SECONDS = 1.0
QUIET_CPU_SECONDS = 0.05
WORK_CPU_SECONDS = 0.5
TRIM_AT_LEAST_EVERY = 30.0


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the C library this process already runs on
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc: no malloc_trim or mallopt
        return None
    return libc


_libc = _glibc()


def limit_arenas() -> bool:
    """Keep malloc to ARENAS arenas in this process. Arenas are made as threads first
    allocate, so this is called before the server starts any: whether it took effect."""
    return _libc is not None and _libc.mallopt(M_ARENA_MAX, ARENAS) == 1


def give_back() -> bool:
    """Return the free pages of every arena to the system: whether any went back."""
    return _libc is not None and _libc.malloc_trim(0) == 1


class Returner:
    """A thread of the server process that gives freed memory back after the work that
    freed it (`tick` decides, once a second)."""

    def __init__(
        self,
        give: Callable[[], bool] = give_back,
        cpu: Callable[[], float] = time.process_time,
    ) -> None:
        self._give = give
        self._cpu = cpu
        self._last = cpu()
        self._work = 0.0  # CPU-seconds of busy seconds since memory was last given back
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, cpu: float) -> bool:
        """The process's CPU time now: whether memory was given back."""
        second = cpu - self._last
        self._last = cpu
        quiet = second < QUIET_CPU_SECONDS
        if not quiet:
            self._work += second
        if (quiet and self._work >= WORK_CPU_SECONDS) or self._work >= TRIM_AT_LEAST_EVERY:
            self._give()
            self._work = 0.0
            self._last = self._cpu()  # the trim's own time is no work to give back after
            return True
        return False

    def _run(self) -> None:
        while not self._stop.wait(LOOK_SECONDS):
            try:
                self.tick(self._cpu())
            except Exception:  # never let a failed trim end the thread or the server
                log.exception("giving memory back failed")

    def start(self) -> None:
        if _libc is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="memory-returner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
