"""Logging in, who am I, and managing accounts inside one's area."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.core import clock
from tests import factories as f


def _login(client: TestClient, username: str, password: str = f.PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_returns_a_bearer_token_that_opens_me(client: TestClient, session: Session) -> None:
    u = f.user(session, Role.township_officer, f.JIANGKOU, username="jiangkou", full_name="李东晋")
    response = _login(client, "jiangkou")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["full_name"] == "李东晋"
    assert me.json()["role_name"] == "乡镇干部"
    assert me.json()["area_name"] == "江口镇"
    assert me.json()["id"] == str(u.id)


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, session: Session) -> None:
    f.user(session, Role.helper, f.NINGSHAN, username="li")
    wrong = _login(client, "li", "nope-nope")
    unknown = _login(client, "nobody", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.json()["message"]
    assert unknown.json()["message"] == "用户名或密码不正确"


def test_repeated_failures_lock_the_account_and_say_so(
    client: TestClient, session: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    f.user(session, Role.helper, f.NINGSHAN, username="wang")
    for i in range(settings.login_lock_after - 1):
        response = _login(client, "wang", "bad-password")
        assert response.json()["error"] == "bad_credentials"
        assert f"再错 {settings.login_lock_after - 1 - i} 次" in response.json()["message"]
    locked = _login(client, "wang", "bad-password")
    assert locked.json()["error"] == "account_locked"
    assert "已锁定" in locked.json()["message"]
    # Even the right password is refused while locked…
    refused = _login(client, "wang")
    assert refused.status_code == 401 and refused.json()["error"] == "account_locked"
    assert "分钟后再试" in refused.json()["message"]
    # …and accepted once the lock has run out.
    clock.freeze(clock.now() + timedelta(minutes=settings.login_lock_minutes + 1))
    assert _login(client, "wang").status_code == 200
    user = session.exec(select(User).where(User.username == "wang")).one()
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_failed_logins_slow_down_before_the_lock(session: Session, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts import service
    from backend.core.errors import Unauthorized

    f.user(session, Role.helper, f.NINGSHAN, username="zhao")
    waits: list[float] = []
    monkeypatch.setattr(service.time, "sleep", waits.append)
    monkeypatch.setattr(settings, "login_slowdown_after", 2)
    for _ in range(4):
        with pytest.raises(Unauthorized):
            service.authenticate(session=session, username="zhao", password="bad-password")
    assert waits == [0.25, 0.5, 0.75]


def test_inactive_users_cannot_log_in(client: TestClient, session: Session) -> None:
    u = f.user(session, Role.helper, f.NINGSHAN, username="gone")
    u.is_active = False
    session.add(u)
    session.commit()
    assert _login(client, "gone").status_code == 401
    assert client.get("/api/v1/auth/me", headers=f.auth(u)).status_code == 401


def test_county_officer_creates_accounts_only_inside_the_county(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    body = {
        "username": "new_cadre",
        "full_name": "新干部",
        "role": "village_cadre",
        "area_code": f.YANJIAPING,
        "password": "long-enough-1",
    }
    created = client.post("/api/v1/users", json=body, headers=f.auth(county))
    assert created.status_code == 201, created.text
    assert created.json()["area_name"] == "严家坪村委会"
    assert _login(client, "new_cadre", "long-enough-1").status_code == 200
    outside = client.post(
        "/api/v1/users",
        json={**body, "username": "x_cadre", "area_code": f.GAOJIAZHUANG},
        headers=f.auth(county),
    )
    assert outside.status_code == 403
    admin = client.post(
        "/api/v1/users",
        json={**body, "username": "x_admin", "role": "admin"},
        headers=f.auth(county),
    )
    assert admin.status_code == 403
    again = client.post("/api/v1/users", json=body, headers=f.auth(county))
    assert again.status_code == 409 and again.json()["error"] == "username_taken"
    short = client.post(
        "/api/v1/users", json={**body, "username": "y", "password": "short"}, headers=f.auth(county)
    )
    assert short.status_code == 422
    assert (
        session.exec(select(User).where(User.username.in_(["x_cadre", "x_admin", "y"]))).all() == []
    )


def test_only_managers_create_accounts(client: TestClient, session: Session) -> None:
    township = f.user(session, Role.township_officer, f.JIANGKOU)
    body = {
        "username": "sneaky",
        "full_name": "x",
        "role": "helper",
        "area_code": f.JIANGKOU,
        "password": "long-enough-1",
    }
    assert client.post("/api/v1/users", json=body, headers=f.auth(township)).status_code == 403


def test_user_list_is_scoped_and_masks_phones(client: TestClient, session: Session) -> None:
    township = f.user(session, Role.township_officer, f.JIANGKOU)
    inside = f.user(session, Role.helper, f.LENGSHUIGOU)
    inside.phone = "13912345678"
    session.add(inside)
    session.commit()
    f.user(session, Role.helper, f.GAOJIAZHUANG)
    listed = client.get("/api/v1/users?role=helper", headers=f.auth(township)).json()
    assert [u["id"] for u in listed["data"]] == [str(inside.id)]
    assert listed["data"][0]["phone"] == "139****5678"


def test_user_list_refuses_a_malformed_area(client: TestClient, session: Session) -> None:
    township = f.user(session, Role.township_officer, f.JIANGKOU)
    response = client.get("/api/v1/users?area_code=abc", headers=f.auth(township))
    assert response.status_code == 422 and "area_code" in response.json()["message"]


def test_the_accounts_kept_per_token_stay_bounded(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each login's token is remembered for seconds; a day of logins must not grow the memory
    without end: past USERS_KEPT tokens it starts again, and every caller is still answered."""
    from backend.accounts import deps

    monkeypatch.setattr(deps, "USERS_KEPT", 2)
    deps._users.clear()
    people = [f.user(session, Role.village_cadre, f.LENGSHUIGOU) for _ in range(5)]
    for u in people:
        assert client.get("/api/v1/auth/me", headers=f.auth(u)).status_code == 200
        assert len(deps._users) <= 2
    assert client.get("/api/v1/auth/me", headers=f.auth(people[0])).json()["id"] == str(
        people[0].id
    )
