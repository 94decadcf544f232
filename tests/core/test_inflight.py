"""At most `limit` requests run inside the app at once; the rest wait their turn, none is
refused, and the thread pool is sized above the cap."""

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.core.inflight import SPARE_THREADS, InFlightLimit


def test_requests_past_the_cap_wait_and_all_are_answered() -> None:
    inside, most = 0, 0

    async def slow(_request):  # type: ignore[no-untyped-def]
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await anyio.sleep(0.05)
        inside -= 1
        return JSONResponse(
            {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}
        )

    app = InFlightLimit(Starlette(routes=[Route("/", slow)]), limit=2)

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers: list[httpx.Response] = []

            async def one() -> None:
                answers.append(await client.get("/"))

            async with anyio.create_task_group() as tg:
                for _ in range(7):
                    tg.start_soon(one)
            return answers

    answers = anyio.run(main)
    assert [a.status_code for a in answers] == [200] * 7
    assert most == 2
    assert answers[0].json()["tokens"] >= 2 + SPARE_THREADS
