"""Requests in flight are capped below the thread pool's size, so a request that holds a lock
across thread-pool calls (a loader dependency, then the endpoint) always finds a free thread.

Without the cap, a burst on one row can fill every pool thread with requests waiting for the
lock while its holder waits for a thread: a deadlock that only a lock timeout breaks. Past the
cap, requests wait in the event loop, holding no thread (they are queued, not refused)."""

import asyncio
import weakref

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

# Threads beyond the cap: for the service worker's own calls, file responses and the like.
SPARE_THREADS = 10


class InFlightLimit:
    """Pure ASGI middleware: at most `limit` HTTP requests inside the app at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> anyio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            # First request in this loop: size the loop's thread pool above the cap.
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.limit + SPARE_THREADS)
            gate = self._gates[loop] = anyio.Semaphore(self.limit)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self._gate():
            await self.app(scope, receive, send)
