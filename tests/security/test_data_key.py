"""The data key can be rotated: `shouwang rotate-data-key` re-encrypts every ID number
under the new key and recomputes its look-up hash; while it runs, the old key still reads
and finds the rows it has not reached."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import backend.models  # noqa: F401  (every table, as the command has them)
from backend.accounts.models import Role
from backend.cli import main
from backend.core import datakeys, security
from backend.core.settings import get_settings
from backend.households import service as households_service
from backend.households.models import Member
from backend.reports.models import SelfReport
from tests import factories as f

NEW_KEY = "rotated-data-key-0123456789abcdefghijklmnop"


def test_every_encrypted_column_is_found() -> None:
    assert {t.name for t in datakeys.encrypted_tables()} >= {"member", "self_report"}


def test_rotation_reencrypts_and_keeps_people_findable(
    client: TestClient, session: Session, app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    number = f.id_number(date(1968, 4, 2))
    household = f.household(session, members=[f.member("head", id_number=number)])
    sent = client.post(
        "/api/v1/self-reports",
        json={
            "area_code": f.LENGSHUIGOU,
            "name": "王秀英",
            "phone": "13912340000",
            "id_number": f.id_number(date(1970, 1, 5), male=False),
            "risk_types": ["illness"],
        },
    )
    assert sent.status_code == 201
    old_key = get_settings().data_key
    before = {m.id: m.id_number_cipher for m in session.exec(select(Member)).all()}

    # The operator's first step: the new key in force, the old one kept for reading.
    monkeypatch.setattr(get_settings(), "data_key", NEW_KEY)
    monkeypatch.setattr(get_settings(), "old_data_keys", old_key)
    assert households_service.active_member_by_id_number(session=session, id_number=number)
    found = client.get(f"/api/v1/households?q={number}", headers=f.auth(county)).json()
    assert [h["id"] for h in found["data"]] == [str(household.id)]

    done = {d.table: d for d in datakeys.rotate(app_engine)}
    assert done["member"].reencrypted == done["member"].rows == len(before)
    assert done["self_report"].reencrypted == 1

    session.rollback()
    for m in session.exec(select(Member)).all():
        assert m.id_number_cipher != before[m.id]
        assert security.under_current_key(m.id_number_cipher or "")
        assert m.id_number_hash == security.id_number_hash(
            security.decrypt_id_number(m.id_number_cipher or "")
        )
    report = session.exec(select(SelfReport)).one()
    assert security.under_current_key(report.id_number_cipher or "")

    # Run again: nothing left to move. Then the old key retired: still read and found.
    assert all(d.reencrypted == 0 for d in datakeys.rotate(app_engine))
    monkeypatch.setattr(get_settings(), "old_data_keys", "")
    session.rollback()
    member = households_service.active_member_by_id_number(session=session, id_number=number)
    assert (
        member is not None and security.decrypt_id_number(member.id_number_cipher or "") == number
    )
    found = client.get(f"/api/v1/households?q={number}", headers=f.auth(county)).json()
    assert [h["id"] for h in found["data"]] == [str(household.id)]


def test_the_command_refuses_without_the_old_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rotate-data-key"]) == 2
    assert "SHOUWANG_OLD_DATA_KEYS" in capsys.readouterr().err
