"""Rotating the data key: every encrypted ID number re-encrypted under SHOUWANG_DATA_KEY and
its look-up hash recomputed, table by table, a batch per transaction. Until it is done the
old keys (SHOUWANG_OLD_DATA_KEYS) keep the rows not yet reached readable and findable, so
the service runs on throughout; run again, it resumes (rows already under the key are
skipped)."""

import logging
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, select, update
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


def encrypted_tables() -> list[Table]:
    """The tables with an encrypted column, found in the metadata (a new one is covered;
    the caller has imported backend.models, so every domain's tables are registered)."""
    return [t for t in SQLModel.metadata.sorted_tables if CIPHER in t.c and HASH in t.c]


def rotate(engine: Engine) -> list[Rotated]:
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
