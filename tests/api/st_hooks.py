"""schemathesis hooks for the API run (loaded through SCHEMATHESIS_HOOKS).

An integrator sends a new Idempotency-Key with each new request; schemathesis draws the
header like any string and sends one value with many bodies, which the server rightly
refuses (422: the key is already used for another request). A well-formed key is replaced
by a fresh UUID; a malformed one is left, so the refusal of a bad header is still tested."""

import re
import uuid
from typing import Any

import schemathesis

_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    value = headers.get("Idempotency-Key")
    if isinstance(value, str) and _KEY.fullmatch(value):
        headers["Idempotency-Key"] = str(uuid.uuid4())
