"""API clients and the transfer endpoints: importing households needs `households:import`,
exporting needs `exports:read`; without the scope, 403 before anything is read."""

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.households.models import Household
from tests import factories as f
from tests.transfer.conftest import as_csv, family

IMPORT = "/api/v1/imports/households"


def _upload(client: TestClient, headers: dict[str, str], **params: object):  # type: ignore[no-untyped-def]
    data = as_csv(family("6109231022170001"))
    return client.post(IMPORT, headers=headers, params=params, files={"file": ("户.csv", data)})


def test_a_client_without_households_import_gets_403(client: TestClient, session: Session) -> None:
    headers = f.api_client_auth(client, session, ["households:write", "exports:read"])
    refused = _upload(client, headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    session.rollback()
    assert session.exec(select(func.count()).select_from(Household)).one() == 0


def test_a_client_with_households_import_imports(client: TestClient, session: Session) -> None:
    headers = f.api_client_auth(client, session, ["households:import"])
    dry = _upload(client, headers, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["households"]["created"] == 1
    done = _upload(client, headers)
    assert done.status_code == 200, done.text
    session.rollback()
    assert session.exec(select(func.count()).select_from(Household)).one() == 1


def test_a_client_without_exports_read_gets_403(client: TestClient, session: Session) -> None:
    headers = f.api_client_auth(client, session, ["households:read", "households:import"])
    refused = client.get("/api/v1/exports/households", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


def test_a_client_with_exports_read_exports_its_area(client: TestClient, session: Session) -> None:
    f.household(session)
    f.household(session, f.SHANNAN)
    session.commit()
    headers = f.api_client_auth(client, session, ["exports:read"])
    answer = client.get("/api/v1/exports/households", headers=headers)
    assert answer.status_code == 200, answer.text
    lines = answer.content.decode("utf-8-sig").strip().splitlines()
    # The header and the one household inside the client's county (宁陕县), not 明光市's.
    assert len(lines) == 2, lines


def test_a_client_follows_its_background_import_with_households_import(
    client: TestClient, session: Session, settings, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from backend.worker.runner import run_due_jobs

    monkeypatch.setattr(settings, "data_dir", tmp_path)
    headers = f.api_client_auth(client, session, ["households:import"])
    queued = _upload(client, headers, background=True)
    assert queued.status_code == 202, queued.text
    run_due_jobs()
    url = f"/api/v1/imports/{queued.json()['id']}"
    done = client.get(url, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["account"]["households"]["created"] == 1
    reader = f.api_client_auth(client, session, ["households:read"])
    refused = client.get(url, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
