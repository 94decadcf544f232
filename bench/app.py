"""The bench's server: the production app plus one route that only the bench has.

`POST /bench/limit` stores the request body as one row, through the app's own engine (on
SQLite: the process write lock, BEGIN IMMEDIATE, WAL; on PostgreSQL: its pool), from an
async endpoint with a blocking session — the fastest way this stack writes one row
(STYLE.md rule 10). What it sustains is the limit the real write paths are measured
against, in the same run on the same machine. The table is the bench's own, made in the
scratch database when the server starts; the production app never has either.

Run: `uvicorn bench.app:create_bench_app --factory` (bench/run.py does).
"""

import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import JSON, Column, MetaData, Table, Uuid, insert

from backend.core import clock, db
from backend.core.db import UTCDateTime
from backend.main import create_app

LIMIT_TABLE = Table(
    "bench_limit",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)


def create_bench_app() -> FastAPI:
    app = create_app()
    engine = db.get_engine()
    LIMIT_TABLE.create(engine, checkfirst=True)

    @app.post("/bench/limit", include_in_schema=False, status_code=201)
    async def limit(request: Request) -> JSONResponse:
        body = await request.json()
        with engine.begin() as conn:
            conn.execute(
                insert(LIMIT_TABLE).values(id=uuid.uuid4(), body=body, created_at=clock.now())
            )
        return JSONResponse({"stored": True}, status_code=201)

    return app
