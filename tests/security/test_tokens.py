"""Access tokens the API must refuse (401, the same answer for each): expired, not yet
valid, forged, unsigned (alg none), signed with another key or algorithm, for another
audience or issuer, or missing either."""

import base64
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session

from backend.accounts.models import Role
from tests import factories as f


def _claims(user_id: str, settings: Any, **change: Any) -> dict[str, Any]:
    now = int(time.time())  # noqa: TID251 - tokens are checked on the wall clock
    claims = {
        "sub": user_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "jti": "t",
    }
    claims.update(change)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _bad_tokens(user_id: str, settings: Any) -> dict[str, str]:
    key = settings.secret_key
    now = int(time.time())  # noqa: TID251
    sign = lambda **c: jwt.encode(_claims(user_id, settings, **c), key, algorithm="HS256")  # noqa: E731
    good = sign()
    head, _body, sig = good.split(".")
    forged_body = base64.urlsafe_b64encode(
        json.dumps(_claims(user_id, settings, sub="00000000-0000-0000-0000-000000000001")).encode()
    ).rstrip(b"=")
    return {
        "expired": sign(iat=now - 7200, exp=now - 3600),
        "not_yet_valid": sign(nbf=now + 3600),
        "forged_payload": f"{head}.{forged_body.decode()}.{sig}",
        "alg_none": _unsigned(_claims(user_id, settings)),
        "another_key": jwt.encode(_claims(user_id, settings), "x" * 40, algorithm="HS256"),
        "another_algorithm": jwt.encode(_claims(user_id, settings), key, algorithm="HS512"),
        "wrong_audience": sign(aud="another-api"),
        "wrong_issuer": sign(iss="someone-else"),
        "no_audience": sign(aud=None),
        "no_issuer": sign(iss=None),
        "no_expiry": sign(exp=None),
        "truncated": good[:-5],
    }


BAD = [
    "expired",
    "not_yet_valid",
    "forged_payload",
    "alg_none",
    "another_key",
    "another_algorithm",
    "wrong_audience",
    "wrong_issuer",
    "no_audience",
    "no_issuer",
    "no_expiry",
    "truncated",
]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_token_is_401(client: TestClient, session: Session, settings, kind: str) -> None:  # type: ignore[no-untyped-def]
    user = f.user(session, Role.county_officer, f.NINGSHAN)
    token = _bad_tokens(str(user.id), settings)[kind]
    response = client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, kind
    assert response.json()["error"] == "unauthorized"


def test_the_same_claims_properly_signed_pass(
    client: TestClient, session: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    user = f.user(session, Role.county_officer, f.NINGSHAN)
    token = jwt.encode(_claims(str(user.id), settings), settings.secret_key, algorithm="HS256")
    response = client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
