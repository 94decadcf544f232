"""create_app(): routers, middleware, the PWA and its static files, the in-process worker."""

import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import anyio
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlmodel import Session
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from backend import pwa
from backend.accounts.router import router as accounts_router
from backend.areas.router import router as areas_router
from backend.audit.context import current_client
from backend.audit.router import router as audit_router
from backend.checks.router import router as checks_router
from backend.core import headers, idempotency, logs, memory, versions
from backend.core.db import get_read_engine
from backend.core.downloads import DOCX, XLSX
from backend.core.errors import complete_openapi, install_handlers
from backend.core.inflight import InFlightLimit
from backend.core.settings import get_settings
from backend.files.router import router as files_router
from backend.households.router import router as households_router
from backend.notices.router import router as notices_router
from backend.privacy.router import router as privacy_router
from backend.rectification.router import router as rectification_router
from backend.reports.router import pages as report_pages
from backend.reports.router import router as reports_router
from backend.stats.router import router as stats_router
from backend.todo.router import router as todo_router
from backend.transfer.router import router as transfer_router
from backend.visits.router import router as visits_router
from backend.warnings.router import router as warnings_router
from backend.webhooks.router import router as webhooks_router
from backend.workdays import service as workdays_service
from backend.workdays.router import router as workdays_router
from backend.worker.runner import Worker

log = logging.getLogger("shouwang.access")

API_DESCRIPTION = """
守望 — 防止返贫动态监测和帮扶平台的开放接口。

Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send the token as
`Authorization: Bearer …`. Every answer is limited to the caller's area scope; a record
outside it answers 404, the same as a missing one. Errors have one shape:
`{"error": code, "message": "中文说明", "detail": …}`.

A household's or problem's GET answers an `ETag`; send it back as `If-Match` on a change to
get 412 `precondition_failed` instead of overwriting someone else's change (without
If-Match nothing is checked). Creating POSTs honour an `Idempotency-Key` header: the same key
from the same caller within 24 hours answers the first answer (`Idempotent-Replayed: true`)
and creates nothing; the same key with another body is 422.
"""


async def _client_and_timing(request: Request, call_next):  # type: ignore[no-untyped-def]
    # The audit log records which client made a change; never the query string
    # (it may carry a phone number or a receipt code).
    ip = request.client.host if request.client else "-"
    agent = request.headers.get("user-agent", "-")[:120]
    token = current_client.set(f"{ip} {agent}")
    # nginx's $request_id when it sends one (the two logs then join), else our own.
    rid = request.headers.get("x-request-id", "")
    rid = rid if rid.isalnum() and len(rid) <= 64 else uuid.uuid4().hex
    rid_token = logs.request_id.set(rid)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    finally:
        current_client.reset(token)
        logs.request_id.reset(rid_token)
    headers.secure(response.headers, https=request.url.scheme == "https")
    response.headers["X-Request-ID"] = rid
    user = getattr(request.state, "user", None)
    log.info(
        "%s %s %s",
        request.method,
        request.url.path,
        response.status_code,
        extra={
            "request_id": rid,
            "user_id": str(user.id) if user is not None else None,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response


# Bodies already compressed gain nothing from gzip but the CPU it costs: Starlette's own list
# (images, zip, gzip, audio, video, fonts, event streams) plus PDFs and Office files (zips).
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf", XLSX, DOCX)


def health() -> JSONResponse:
    """Answers ok after a real database round trip; 503 when the database does not answer."""
    try:
        with Session(get_read_engine()) as session:
            session.exec(text("SELECT 1")).one()  # type: ignore[call-overload]
    except Exception as exc:
        # One line: a monitor polls this every few seconds through an outage.
        log.error("health check: database unreachable: %s", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "error": "database", "message": "数据库无法连接,请稍后再试"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok"})


ROUTERS = (
    areas_router,
    accounts_router,
    households_router,
    audit_router,
    files_router,
    workdays_router,
    reports_router,
    report_pages,
    visits_router,
    rectification_router,
    stats_router,
    todo_router,
    notices_router,
    checks_router,
    webhooks_router,
    warnings_router,
    transfer_router,
    privacy_router,
)

# The staff desk is one shell; /rectification and /coverage open it on their section.
PAGES = (
    ("/", "index.html"),
    ("/staff", "staff.html"),
    ("/rectification", "staff.html"),
    ("/coverage", "staff.html"),
    ("/dashboard", "staff.html"),
    ("/field", "field.html"),
)


def api_docs() -> Response:
    """Swagger UI, under a policy that lets its CDN files and its one inline script run."""
    page = get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="守望 Shouwang API")
    html = bytes(page.body).decode()
    policy = headers.csp_allowing(
        html, sources="https://cdn.jsdelivr.net https://fastapi.tiangolo.com"
    )
    page.headers["Content-Security-Policy"] = policy
    return page


def manifest() -> FileResponse:
    return FileResponse(pwa.STATIC / "manifest.webmanifest", media_type="application/manifest+json")


def _mount_frontend(app: FastAPI) -> None:
    """The PWA: its static files, service worker, manifest and pages (not in the API schema)."""
    app.mount("/static", StaticFiles(directory=pwa.STATIC), name="static")

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> Response:
        # Served from the root so its scope covers the whole app; never cached stale. Its
        # shell list and version are computed from the files (backend/pwa.py).
        return pwa.service_worker(app)

    app.add_api_route("/manifest.webmanifest", manifest, methods=["GET"], include_in_schema=False)
    for path, name in PAGES:
        # The home page is public (the farmer's way in, and the offline fallback).
        pwa.add_page(app, path, name, public=path == "/")


@cache
def _freeze_start_up() -> None:
    """What start-up built (modules, routes, models) lives as long as the process: kept out
    of the garbage collector's walks. A phone's batch of 200 visits sets off a full
    collection now and then, which walked all of it (measured in process on the
    100,000-household county: 0.4-0.6 s stalls inside a batch; frozen, under 50 ms). Once a
    process: the tests start many apps."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On the embedded default the worker (texts, nightly jobs) is a thread of this process,
    so `make run` starts one process; with PostgreSQL it is `shouwang worker` (settings).
    Beside it a thread gives back the memory a burst of requests freed (core/memory.py)."""
    memory.limit_arenas()  # before this process starts a thread
    returner = memory.Returner()
    returner.start()
    worker = Worker() if get_settings().runs_worker_in_process else None
    app.state.worker = worker
    if worker is not None:
        worker.start()
    workdays_service.warm()
    _freeze_start_up()
    try:
        yield
    finally:
        returner.stop()
        if worker is not None:
            # It finishes the job in hand; wait in a thread, not in the event loop.
            await anyio.to_thread.run_sync(worker.stop)


async def _replay(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, idempotency.Replayed)
    return idempotency.replay_response(exc)


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="守望 Shouwang API",
        version="1.0.0",
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_api_route("/docs", api_docs, methods=["GET"], include_in_schema=False)
    install_handlers(app)
    app.add_exception_handler(idempotency.Replayed, _replay)
    # Innermost: the ETag a loader left for the answer, and the answer an Idempotency-Key
    # claimed, both seen as the handler's own answer (before gzip).
    app.add_middleware(versions.ETagHeader)
    app.add_middleware(idempotency.IdempotencyRecorder)
    app.add_middleware(InFlightLimit, limit=get_settings().max_requests_in_flight)
    app.middleware("http")(_client_and_timing)
    # Outermost, so every text answer (JSON, pages, scripts, the service worker) leaves
    # compressed for a client that asks; level 6, zlib's default, is within a few per cent
    # of 9's size for JSON at a fraction of its CPU.
    app.add_middleware(
        GZipMiddleware, minimum_size=500, compresslevel=6, exclude_content_types=NOT_COMPRESSED
    )
    app.add_api_route(
        "/api/v1/health", health, methods=["GET"], tags=["health"], operation_id="health"
    )
    for router in ROUTERS:
        app.include_router(router)
    _mount_frontend(app)
    generate = app.openapi
    # The refusals every route shares, declared once (core/errors.complete_openapi).
    app.openapi = lambda: complete_openapi(generate())  # type: ignore[method-assign]
    if not workdays_service.covers_next_year():
        # Deadlines late in the year run into next year's holidays; say so where operators look.
        logging.getLogger("shouwang").warning(
            "holiday calendar covers %s-%s only: enter next year's holidays per county "
            "(PUT /api/v1/calendar/{date}) or upgrade chinesecalendar",
            *workdays_service.covered_years(),
        )
    return app
