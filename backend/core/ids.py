"""Identifiers: UUIDs for every exposed record, readable references for people to quote."""

import secrets
import uuid

# No 0/O, 1/I/L: references are read aloud over the phone and typed on keypads.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def short_code(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
