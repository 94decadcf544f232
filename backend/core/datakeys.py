"""Rotating the data key: every encrypted ID number re-encrypted under SHOUWANG_DATA_KEY and
its look-up hash recomputed, and every secret the app reads back (a webhook's signing key, a
kept Idempotency-Key answer) re-encrypted, table by table, a batch per transaction. Until it is done the
old keys (SHOUWANG_OLD_DATA_KEYS) keep the rows not yet reached readable and findable, so
the service runs on throughout; run again, it resumes (rows already under the key are
skipped)."""

import logging
from dataclasses import dataclass

from sqlalchemy import Column, Table, and_, bindparam, select, tuple_, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from backend.core import security

log = logging.getLogger("shouwang.datakeys")

# Every table that keeps an ID number keeps it in these two columns (security.id_number_columns).
CIPHER, HASH = "id_number_cipher", "id_number_hash"
BATCH = 1000


@dataclass
class Rotated:
    table: str
    rows: int  # encrypted values found
    reencrypted: int  # of them, moved to the current key now
    column: str = CIPHER  # id_number_cipher, or a secret's column


def encrypted_tables() -> list[Table]:
    """The tables with an encrypted column, found in the metadata (a new one is covered;
    the caller has imported backend.models, so every domain's tables are registered)."""
    return [t for t in SQLModel.metadata.sorted_tables if CIPHER in t.c and HASH in t.c]


def secret_columns() -> list[tuple[Table, Column]]:  # type: ignore[type-arg]
    """The columns holding a secret encrypted with security.encrypt_secret: by convention
    every `…_cipher` column but the ID number's (found in the metadata, as above)."""
    return [
        (t, c)
        for t in SQLModel.metadata.sorted_tables
        for c in t.c
        if c.name.endswith("_cipher") and c.name != CIPHER
    ]


def rotate(engine: Engine) -> list[Rotated]:
    return rotate_id_numbers(engine) + rotate_secrets(engine)


def rotate_secrets(engine: Engine) -> list[Rotated]:
    done = []
    for table, cipher in secret_columns():
        keys = list(table.primary_key.columns)
        change = (
            update(table)
            .where(and_(*(k == bindparam(f"_pk{i}") for i, k in enumerate(keys))))
            .values({cipher.name: bindparam("_cipher")})
        )
        found = moved = 0
        last: tuple | None = None  # type: ignore[type-arg]
        while True:
            query = select(*keys, cipher).where(cipher.is_not(None)).order_by(*keys).limit(BATCH)
            if last is not None:
                query = query.where(tuple_(*keys) > tuple_(*last))
            with engine.begin() as conn:
                rows = conn.execute(query).all()
                if not rows:
                    break
                last = tuple(rows[-1][: len(keys)])
                found += len(rows)
                params = [
                    {
                        **{f"_pk{i}": value for i, value in enumerate(row[: len(keys)])},
                        "_cipher": security.encrypt_secret(security.decrypt_secret(row[-1])),
                    }
                    for row in rows
                    if not security.secret_under_current_key(row[-1])
                ]
                if params:
                    conn.execute(change, params)
                moved += len(params)
        log.info(
            "data key rotated on %s.%s: %d of %d secrets re-encrypted",
            table.name,
            cipher.name,
            moved,
            found,
        )
        done.append(Rotated(table.name, found, moved, cipher.name))
    return done


def rotate_id_numbers(engine: Engine) -> list[Rotated]:
    done = []
    for table in encrypted_tables():
        (pk,) = table.primary_key.columns
        cipher = table.c[CIPHER]
        change = (
            update(table)
            .where(pk == bindparam("_pk"))
            .values({CIPHER: bindparam("_cipher"), HASH: bindparam("_hash")})
        )
        found = moved = 0
        last = None
        while True:
            query = select(pk, cipher).where(cipher.is_not(None)).order_by(pk).limit(BATCH)
            if last is not None:
                query = query.where(pk > last)
            with engine.begin() as conn:
                rows = conn.execute(query).all()
                if not rows:
                    break
                last = rows[-1][0]
                found += len(rows)
                params = []
                for key, token in rows:
                    if security.under_current_key(token):
                        continue
                    person = security.decrypt_id_number(token)
                    params.append(
                        {
                            "_pk": key,
                            "_cipher": security.encrypt_id_number(person),
                            "_hash": security.id_number_hash(person),
                        }
                    )
                if params:
                    conn.execute(change, params)
                moved += len(params)
        log.info("data key rotated on %s: %d of %d values re-encrypted", table.name, moved, found)
        done.append(Rotated(table.name, found, moved))
    return done
