"""Staff notices: a village cadre is texted when a report arrives in the village, again when
its deadline is two working days away and when it has passed — batched into one text per
digest, at most three a day, none after turning them down."""

from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.core import clock
from backend.notices import jobs, service
from backend.notices.models import StaffText
from backend.reports import notify
from backend.reports.models import SelfReport
from backend.worker import runner
from backend.worker import service as worker_service
from tests import factories as f
from tests.reports.conftest import report_body

CADRE_PHONE = "13800001111"


class Phone:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.texts.append((phone, text))

    channel = "test"

    def to(self, phone: str) -> list[str]:
        return [t for p, t in self.texts if p == phone]


@pytest.fixture
def phone() -> Phone:
    p = Phone()
    notify.set_notifier(p)
    yield p
    notify.set_notifier(None)


@pytest.fixture
def cadre(session: Session) -> User:
    u = f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="冷水沟村干部")
    u.phone = CADRE_PHONE
    session.add(u)
    session.commit()
    return u


def _digest(session: Session) -> None:
    """The digest as a scheduled slot runs it, then the texts it queued."""
    worker_service.enqueue(session=session, kind=jobs.DIGEST_JOB, payload={})
    session.commit()
    runner.run_due_jobs()
    runner.run_due_jobs()


def _at(day, hour: int) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(datetime.combine(day, time(hour), tzinfo=clock.CHINA))


def test_a_report_arriving_in_a_village_texts_its_cadre_once(
    client: TestClient, session: Session, cadre: User, phone: Phone
) -> None:
    other = f.user(session, Role.village_cadre, f.YANJIAPING)
    other.phone = "13800002222"
    session.add(other)
    session.commit()
    assert client.post("/api/v1/self-reports", json=report_body()).status_code == 201
    _digest(session)
    texts = phone.to(CADRE_PHONE)
    assert len(texts) == 1 and texts[0].startswith("【守望】待办提醒:新到 1 件(")
    assert "王秀英" not in texts[0]  # counts only: a text is read on a lock screen
    assert phone.to("13800002222") == []  # another village's cadre is not told
    # Nothing new: the next digest sends nothing.
    _digest(session)
    assert len(phone.to(CADRE_PHONE)) == 1


def test_deadlines_two_working_days_away_and_passed_are_told_once_each(
    client: TestClient, session: Session, cadre: User, phone: Phone
) -> None:
    assert client.post("/api/v1/self-reports", json=report_body()).status_code == 201
    _digest(session)
    with Session(session.get_bind()) as s:
        due = s.exec(select(SelfReport)).one().step_due_on
    assert due is not None
    _at(due - timedelta(days=1), 9)
    _digest(session)
    assert "2 个工作日内到期 1 件" in phone.to(CADRE_PHONE)[-1]
    assert "新到" not in phone.to(CADRE_PHONE)[-1]
    _at(due + timedelta(days=7), 9)
    _digest(session)
    assert "已逾期 1 件" in phone.to(CADRE_PHONE)[-1]
    _digest(session)
    assert len(phone.to(CADRE_PHONE)) == 3


def test_no_more_than_three_texts_a_day(
    client: TestClient, session: Session, cadre: User, phone: Phone
) -> None:
    for n in range(5):
        body = report_body(name=f"报告人{n}", phone=f"1391234567{n}")
        assert client.post("/api/v1/self-reports", json=body).status_code == 201
        _digest(session)
    assert len(phone.to(CADRE_PHONE)) == service.MAX_PER_DAY
    with Session(session.get_bind()) as s:
        assert len(s.exec(select(StaffText)).all()) == service.MAX_PER_DAY
    # The next day the rest arrives in one text.
    _at(clock.today() + timedelta(days=1), 9)
    _digest(session)
    assert len(phone.to(CADRE_PHONE)) == service.MAX_PER_DAY + 1
    assert "新到 2 件" in phone.to(CADRE_PHONE)[-1]


def test_a_user_who_turned_texts_down_gets_none(
    client: TestClient, session: Session, cadre: User, phone: Phone
) -> None:
    r = client.put("/api/v1/me/notices", json={"sms": False}, headers=f.auth(cadre))
    assert r.status_code == 200 and r.json() == {"sms": False, "has_phone": True, "max_per_day": 3}
    assert client.get("/api/v1/me/notices", headers=f.auth(cadre)).json()["sms"] is False
    assert client.post("/api/v1/self-reports", json=report_body()).status_code == 201
    _digest(session)
    assert phone.to(CADRE_PHONE) == []
    # Turned back on, what is waiting is told.
    client.put("/api/v1/me/notices", json={"sms": True}, headers=f.auth(cadre))
    _digest(session)
    assert len(phone.to(CADRE_PHONE)) == 1


def test_the_setting_refuses_what_is_not_a_yes_or_no(client: TestClient, cadre: User) -> None:
    r = client.put("/api/v1/me/notices", json={"sms": "no"}, headers=f.auth(cadre))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "sms"
    assert client.put("/api/v1/me/notices", json={"sms": False}).status_code == 401


def test_the_digest_is_scheduled_three_times_a_day() -> None:
    from backend.worker import registry

    slots = sorted(s.at for s in registry.schedules() if s.kind == jobs.DIGEST_JOB)
    assert slots == [time(8, 30), time(12, 30), time(17, 30)]
