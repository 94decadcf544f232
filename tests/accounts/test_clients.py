"""API clients: created by an administrator, a token by client credentials, held to their
scopes, area and request limit; rotated and revoked. Every refusal has its test here."""

import base64
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import ApiClient, Role, User
from backend.core import throttle
from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_limits():  # type: ignore[no-untyped-def]
    throttle.reset()
    yield
    throttle.reset()


def make_client(
    client: TestClient,
    session: Session,
    *,
    scopes: list[str],
    area: str = f.NINGSHAN,
    actor: User | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Create an API client as an administrator; its answer (client and secret)."""
    actor = actor or f.user(session, Role.admin, None)
    response = client.post(
        "/api/v1/api-clients",
        json={"name": "县医保局", "area_code": area, "scopes": scopes, **extra},
        headers=f.auth(actor),
    )
    assert response.status_code == 201, response.text
    return response.json()


def token(client: TestClient, made: dict[str, Any], **form: str) -> Any:
    return client.post(
        "/api/v1/auth/client-token",
        data={
            "grant_type": "client_credentials",
            "client_id": made["client"]["client_id"],
            "client_secret": made["client_secret"],
            **form,
        },
    )


def bearer(client: TestClient, made: dict[str, Any], **form: str) -> dict[str, str]:
    response = token(client, made, **form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- creating, listing -------------------------------------------------------------------


def test_an_admin_creates_a_client_and_sees_its_secret_once(
    client: TestClient, session: Session
) -> None:
    admin = f.user(session, Role.admin, None)
    made = make_client(client, session, scopes=["households:read", "warnings:write"], actor=admin)
    body = made["client"]
    assert made["client_secret"].startswith("sws_")
    assert body["role"] == "county_officer" and body["role_name"] == "县乡村振兴局"
    assert body["scopes"] == ["households:read", "warnings:write"]
    assert body["scope_names"] == ["读取农户", "推送部门预警"]
    assert body["area_name"] == "宁陕县" and body["active"] is True
    assert body["rate_limit"] == "600/minute"
    stored = session.get(ApiClient, uuid.UUID(body["id"]))
    assert stored is not None and made["client_secret"] not in stored.secret_hash
    listed = client.get("/api/v1/api-clients", headers=f.auth(admin)).json()
    assert [c["id"] for c in listed["data"]] == [body["id"]]
    one = client.get(f"/api/v1/api-clients/{body['id']}", headers=f.auth(admin))
    assert one.status_code == 200
    assert made["client_secret"] not in one.text + str(listed)
    # The account it acts through is not a person: not in the account list, cannot log in.
    users = client.get("/api/v1/users", headers=f.auth(admin)).json()
    assert all(u["id"] != str(stored.user_id) for u in users["data"])
    account = session.get(User, stored.user_id)
    assert account is not None
    login = client.post(
        "/api/v1/auth/token",
        data={"username": account.username, "password": made["client_secret"]},
    )
    assert login.status_code == 401


def test_a_township_client_acts_as_the_township(client: TestClient, session: Session) -> None:
    made = make_client(client, session, scopes=["reports:read"], area=f.JIANGKOU)
    assert made["client"]["role"] == "township_officer"


def test_a_county_officer_manages_only_clients_of_the_county(
    client: TestClient, session: Session
) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    mine = make_client(client, session, scopes=["reports:read"], area=f.JIANGKOU, actor=officer)
    other = make_client(client, session, scopes=["reports:read"], area=f.SHANNAN)
    outside = client.post(
        "/api/v1/api-clients",
        json={"name": "外县", "area_code": f.SHANNAN, "scopes": ["reports:read"]},
        headers=f.auth(officer),
    )
    assert outside.status_code == 403
    assert outside.json()["message"] == "只能在本辖区内建立接口客户端"
    listed = client.get("/api/v1/api-clients", headers=f.auth(officer)).json()
    assert [c["id"] for c in listed["data"]] == [mine["client"]["id"]]
    hidden = other["client"]["id"]
    for method, tail in (("GET", ""), ("POST", "/rotate-secret"), ("POST", "/revoke")):
        response = client.request(
            method, f"/api/v1/api-clients/{hidden}{tail}", headers=f.auth(officer)
        )
        assert response.status_code == 404, tail
        assert response.json()["message"] == "没有找到这个接口客户端"


def test_other_roles_cannot_manage_clients(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.township_officer, f.JIANGKOU)
    response = client.post(
        "/api/v1/api-clients",
        json={"name": "x", "area_code": f.JIANGKOU, "scopes": ["reports:read"]},
        headers=f.auth(cadre),
    )
    assert response.status_code == 403 and response.json()["error"] == "role_forbidden"
    assert client.get("/api/v1/api-clients", headers=f.auth(cadre)).status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"role": "helper"}, "role", "接口客户端只能以县、乡镇、村或督查的身份接入"),
        ({"area_code": "61"}, "role", "接口客户端只能以县、乡镇、村或督查的身份接入"),
        ({"area_code": "610923999"}, "area_code", "没有这个地区代码"),
        ({"rate_limit": "lots"}, "rate_limit", "格式不对,应如 600/minute"),
        ({"scopes": []}, "scopes", "条目太少"),
        ({"scopes": ["households:delete"]}, "scopes.0", "不是可选的值"),
    ],
)
def test_a_bad_client_is_refused_naming_the_field(
    client: TestClient, session: Session, change: dict[str, Any], field: str, message: str
) -> None:
    admin = f.user(session, Role.admin, None)
    body = {"name": "县民政局", "area_code": f.NINGSHAN, "scopes": ["reports:read"], **change}
    response = client.post("/api/v1/api-clients", json=body, headers=f.auth(admin))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field
    assert response.json()["detail"][0]["message"].startswith(message)


# --- tokens ------------------------------------------------------------------------------


def test_a_token_by_form_or_by_basic_auth(client: TestClient, session: Session) -> None:
    made = make_client(client, session, scopes=["households:read", "reports:read"])
    by_form = token(client, made)
    assert by_form.status_code == 200
    body = by_form.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["scope"] == "households:read reports:read"
    assert by_form.headers["cache-control"] == "no-store"
    pair = f"{made['client']['client_id']}:{made['client_secret']}"
    basic = client.post(
        "/api/v1/auth/client-token",
        data={"grant_type": "client_credentials", "scope": "reports:read"},
        headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
    )
    assert basic.status_code == 200 and basic.json()["scope"] == "reports:read"
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {basic.json()['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["full_name"] == "县医保局"


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"client_secret": "sws_wrong"}, 401, "invalid_client"),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, 401, "invalid_client"),
        ({"client_id": "not-a-uuid"}, 401, "invalid_client"),
        ({"client_secret": ""}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"scope": "households:read problems:write"}, 400, "invalid_scope"),
    ],
)
def test_a_bad_token_request_is_refused_as_rfc_6749_says(
    client: TestClient, session: Session, form: dict[str, str], status: int, code: str
) -> None:
    made = make_client(client, session, scopes=["households:read"])
    response = token(client, made, **form)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


def test_token_requests_are_limited_per_client(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(settings, "client_token_limit", "2/minute")
    made = make_client(client, session, scopes=["households:read"])
    assert token(client, made).status_code == 200
    assert token(client, made, client_secret="sws_guess").status_code == 401
    third = token(client, made)
    assert third.status_code == 429 and third.json()["error"] == "too_many_token_requests"
    assert int(third.headers["retry-after"]) > 0


# --- held to scopes, area and limit ------------------------------------------------------


def test_a_client_reads_its_area_only(client: TestClient, session: Session) -> None:
    inside = f.household(session, f.LENGSHUIGOU)
    outside = f.household(session, f.SHANNAN)
    made = make_client(client, session, scopes=["households:read"], area=f.JIANGKOU)
    headers = bearer(client, made)
    listed = client.get("/api/v1/households", headers=headers).json()
    assert [h["id"] for h in listed["data"]] == [str(inside.id)]
    assert client.get(f"/api/v1/households/{inside.id}", headers=headers).status_code == 200
    hidden = client.get(f"/api/v1/households/{outside.id}", headers=headers)
    assert hidden.status_code == 404


def test_a_client_outside_its_scopes_gets_403(client: TestClient, session: Session) -> None:
    household = f.household(session, f.LENGSHUIGOU)
    made = make_client(client, session, scopes=["households:read", "reports:read"])
    headers = bearer(client, made)
    write = client.patch(
        f"/api/v1/households/{household.id}", json={"phone": None}, headers=headers
    )
    assert write.status_code == 403
    assert write.json()["error"] == "insufficient_scope"
    assert write.json()["message"] == "接口客户端没有这项权限(households:write)"
    assert write.json()["detail"] == {"required_scope": "households:write"}
    # People's endpoints (accounts, the audit log) are no client's, whatever its scopes.
    people = client.get("/api/v1/users", headers=headers)
    assert people.status_code == 403
    assert people.json()["message"] == "接口客户端不能调用这个接口"
    # A token asked for fewer scopes holds only those.
    narrow = bearer(client, made, scope="reports:read")
    assert client.get("/api/v1/households", headers=narrow).status_code == 403
    assert client.get("/api/v1/self-reports", headers=narrow).status_code == 200


def test_a_clients_requests_are_limited(client: TestClient, session: Session) -> None:
    made = make_client(client, session, scopes=["households:read"], rate_limit="3/minute")
    assert made["client"]["rate_limit"] == "3/minute"
    headers = bearer(client, made)
    for _ in range(3):
        assert client.get("/api/v1/households", headers=headers).status_code == 200
    refused = client.get("/api/v1/households", headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert int(refused.headers["retry-after"]) > 0
    # Another client keeps its own count.
    other = make_client(client, session, scopes=["households:read"], rate_limit="3/minute")
    assert client.get("/api/v1/households", headers=bearer(client, other)).status_code == 200


def test_revoking_stops_the_tokens_and_the_secret(client: TestClient, session: Session) -> None:
    admin = f.user(session, Role.admin, None)
    made = make_client(client, session, scopes=["households:read"], actor=admin)
    headers = bearer(client, made)
    cid = made["client"]["id"]
    revoked = client.post(f"/api/v1/api-clients/{cid}/revoke", headers=f.auth(admin))
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/api/v1/households", headers=headers).status_code == 401
    again = token(client, made)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    rotate = client.post(f"/api/v1/api-clients/{cid}/rotate-secret", headers=f.auth(admin))
    assert rotate.status_code == 409 and rotate.json()["error"] == "client_revoked"


def test_rotating_retires_the_old_secret_and_its_tokens(
    client: TestClient, session: Session
) -> None:
    admin = f.user(session, Role.admin, None)
    made = make_client(client, session, scopes=["households:read"], actor=admin)
    old_headers = bearer(client, made)
    cid = made["client"]["id"]
    rotated = client.post(f"/api/v1/api-clients/{cid}/rotate-secret", headers=f.auth(admin))
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["client_secret"] != made["client_secret"]
    assert fresh["client"]["secret_version"] == 2
    assert client.get("/api/v1/households", headers=old_headers).status_code == 401
    assert token(client, made).status_code == 401
    assert client.get("/api/v1/households", headers=bearer(client, fresh)).status_code == 200


def test_a_token_for_a_clients_account_without_its_claims_is_refused(
    client: TestClient, session: Session
) -> None:
    made = make_client(client, session, scopes=["households:read"])
    stored = session.get(ApiClient, uuid.UUID(made["client"]["id"]))
    assert stored is not None
    plain = client.get("/api/v1/households", headers=f.auth(session.get(User, stored.user_id)))
    assert plain.status_code == 401
    entries = session.exec(
        select(User).where(User.id == stored.user_id, User.is_api_client == True)  # noqa: E712
    ).all()
    assert len(entries) == 1
