"""The village's proposals take the self-report's chain: a clearance (or enrolment, or 回退)
is proposed with the visit that verified it, goes through 民主评议 and 公示, the township and
the county, and is announced (公告); every refusal on the way."""

import io
import uuid
from datetime import date, timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import clock, security
from backend.households import plans
from backend.households import workflow as households_workflow
from backend.households.models import Household, IncomeRecord, MonitoringStatus
from backend.households.schemas import MeasureCreate
from backend.visits.models import LedgerEntry
from tests import factories as f
from tests.visits.conftest import visit_body

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock


def lines(session: Session) -> dict[int, int]:
    """Province 61's lines of last year and this year: set at 7000 unless already set (lines
    are reference data the suite keeps, e.g. the demo's), and the amounts in force."""
    year = clock.today().year
    return {
        y: households_workflow.add_line(
            session=session, province_code="61", year=y, amount=7000, basis="测试"
        ).amount
        for y in (year - 1, year)
    }


def ledger_line(session: Session) -> int:
    return lines(session)[int(_months_back(1)[:4])]


class People:
    def __init__(self, session: Session) -> None:
        self.cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="何德福")
        self.town = f.user(session, Role.township_officer, f.JIANGKOU, full_name="李东晋")
        self.county = f.user(session, Role.county_officer, f.NINGSHAN, full_name="杜明文")


@pytest.fixture
def people(session: Session) -> People:
    return People(session)


def _months_back(n: int) -> str:
    today = clock.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def ready_to_clear(session: Session, people: People, wage: int = 4000) -> Household:
    """A household registered years ago, monitored for 400 days, with a measure carried out
    and 6 ledger months of `wage` (2 people): ready for clearance when wage is enough."""
    lines(session)
    members = [
        f.member("head", name="张建明", born=date(1975, 1, 1)),
        f.member("spouse", born=date(1977, 5, 1), male=False),
    ]
    h = f.household(session, members=members, registered_on=clock.today() - timedelta(days=900))
    households_workflow.enroll(
        session=session,
        household=h,
        monitoring_type="marginal",
        risk_types=["accident"],
        actor=None,
        enrolled_on=clock.today() - timedelta(days=400),
        reason="测试",
    )
    plans.add_measure(
        session=session,
        household=h,
        data=MeasureCreate(
            kind="employment",
            description="公益岗位",
            start_on=clock.today() - timedelta(days=380),
            status="done",
        ),
        actor=people.county,
    )
    year = clock.today().year
    session.add(IncomeRecord(household_id=h.id, year=year - 1, household_size=2, wage=2000))
    for n in range(1, 7):
        month = _months_back(n)
        session.add(
            LedgerEntry(
                id=uuid.uuid4(),
                household_id=h.id,
                area_code=h.area_code,
                month=month,
                year=int(month[:4]),
                household_size=2,
                as_of=clock.now(),
                recorded_by=people.cadre.id,
                wage=wage,
            )
        )
    session.commit()
    return h


def home_visit(client: TestClient, who: User, h: Household, **kw) -> str:  # type: ignore[no-untyped-def]
    body = visit_body(h, ledger=None, **kw)
    body.pop("ledger")
    r = client.post("/api/v1/visits", json=body, headers=f.auth(who))
    assert r.status_code in (200, 201), r.text
    return body["id"]


def act(client: TestClient, who: User, rid: str, action: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/self-reports/{rid}/{action}", json=body or {}, headers=f.auth(who))


def propose(client: TestClient, who: User, h: Household, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/households/{h.id}/proposals", json=body, headers=f.auth(who))


def test_clearance_goes_through_the_whole_chain_and_is_announced(
    client: TestClient, session: Session, people: People
) -> None:
    h = ready_to_clear(session, people)
    visit = home_visit(client, people.cadre, h)
    r = propose(
        client, people.cadre, h, kind="clearance_proposal", visit_id=visit, reason="务工稳定"
    )
    assert r.status_code == 201, r.text
    case = r.json()
    rid = case["id"]
    assert (case["kind"], case["kind_name"], case["status"]) == (
        "clearance_proposal",
        "风险消除申请",
        "township_review",
    )
    assert case["proposal_visit_id"] == visit
    # The village's buttons: the civic steps; never the county's decision.
    assert {"community_review", "public_notice"} <= set(case["actions"])
    assert "clear" not in case["actions"] and "enroll" not in case["actions"]

    # The county cannot skip the township.
    skipped = act(client, people.county, rid, "clear", {})
    assert skipped.status_code == 409 and skipped.json()["error"] == "wrong_state"
    # Nor can the township forward before 评议 and 公示.
    early = act(client, people.town, rid, "forward", {})
    assert early.status_code == 409 and early.json()["error"] == "civic_steps_missing"

    today = clock.today()
    assert (
        act(
            client,
            people.cadre,
            rid,
            "community-review",
            {"held_on": str(today), "minutes": "同意"},
        ).status_code
        == 200
    )
    before = act(
        client,
        people.cadre,
        rid,
        "public-notice",
        {"start_on": str(today - timedelta(days=1)), "days": 5},
    )
    assert before.status_code == 422 and before.json()["detail"][0]["field"] == "start_on"
    short = act(client, people.cadre, rid, "public-notice", {"start_on": str(today), "days": 4})
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "days"
    ok = act(
        client,
        people.cadre,
        rid,
        "public-notice",
        {"start_on": str(today), "days": 5, "objections": "无"},
    )
    assert ok.status_code == 200, ok.text
    running = act(client, people.town, rid, "forward", {})
    assert running.status_code == 409 and running.json()["error"] == "public_notice_running"

    clock.freeze(clock.now() + timedelta(days=5))
    assert act(client, people.town, rid, "forward", {}).status_code == 200
    town_view = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(people.town)).json()
    assert "clear" not in town_view["actions"]
    county_view = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(people.county)).json()
    assert "clear" in county_view["actions"] and "enroll" not in county_view["actions"]

    back = act(
        client, people.county, rid, "clear", {"decided_on": str(clock.today() - timedelta(days=30))}
    )
    assert back.status_code == 422 and back.json()["detail"][0]["field"] == "decided_on"
    wrong = act(client, people.county, rid, "enroll", {"monitoring_type": "marginal"})
    assert wrong.status_code == 409 and wrong.json()["error"] == "wrong_kind"
    done = act(client, people.county, rid, "clear", {"note": "同意消除"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "cleared"
    # The income and the line the decision used: 6 ledger months of 4000 yuan for 2 people.
    assert (
        body["decision_income_basis"],
        body["decision_income"],
        body["decision_line_amount"],
    ) == (
        "ledger",
        24000,
        ledger_line(session),
    )
    session.refresh(h)
    assert h.monitoring_status == MonitoringStatus.risk_cleared
    assert h.risk_cleared_on == clock.today()

    # 公告 after the decision: not before it, once.
    assert "announce" in body["actions"]
    early = act(
        client,
        people.cadre,
        rid,
        "announce",
        {"announced_on": str(clock.today() - timedelta(days=1))},
    )
    assert early.status_code == 422 and early.json()["detail"][0]["field"] == "announced_on"
    posted = act(
        client, people.cadre, rid, "announce", {"announced_on": str(clock.today()), "days": 7}
    )
    assert posted.status_code == 200 and posted.json()["announced_on"] == str(clock.today())
    again = act(client, people.cadre, rid, "announce", {"announced_on": str(clock.today())})
    assert again.status_code == 409
    _check_notices(client, session, people, h, rid)


def _check_notices(
    client: TestClient, session: Session, people: People, h: Household, rid: str
) -> None:
    """The 公示 and the 公告 as a page and as DOCX: the name and ID number masked, the
    decision, the dates and where to object."""
    from backend.households import service as households_service

    head = households_service.members_of(session=session, household_id=h.id)[0]
    number = security.decrypt_id_number(head.id_number_cipher)
    masked = number[:6] + "********" + number[-4:]
    url = f"/api/v1/self-reports/{rid}/notice"
    page = client.get(url, params={"stage": "public_notice"}, headers=f.auth(people.cadre))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "张*明" in html and masked in html
    assert "张建明" not in html and number not in html
    assert "标注风险消除的公示" in html and "公示期" in html and "如有异议" in html
    posted = client.get(url, params={"stage": "announcement"}, headers=f.auth(people.cadre))
    assert posted.status_code == 200 and "公告期" in posted.text
    assert f"监测收入标准{ledger_line(session)}元" in posted.text
    word = client.get(
        url, params={"stage": "announcement", "format": "docx"}, headers=f.auth(people.cadre)
    )
    assert word.status_code == 200
    document = Document(io.BytesIO(word.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "张*明户标注风险消除的公告" in text and "公告期" in text
    assert "张*明" in cells and masked in cells and number not in text + "".join(cells)


def test_a_notice_is_refused_before_its_step_is_recorded(
    client: TestClient, session: Session, people: People
) -> None:
    h = ready_to_clear(session, people)
    visit = home_visit(client, people.cadre, h)
    rid = propose(
        client, people.cadre, h, kind="clearance_proposal", visit_id=visit, reason="x"
    ).json()["id"]
    url = f"/api/v1/self-reports/{rid}/notice"
    for stage in ("public_notice", "announcement"):
        r = client.get(url, params={"stage": stage}, headers=f.auth(people.cadre))
        assert r.status_code == 409, stage
    outsider = f.user(session, Role.village_cadre, f.YANJIAPING)
    assert client.get(url, headers=f.auth(outsider)).status_code == 404


def test_a_proposal_needs_a_recent_home_visit_of_the_household(
    client: TestClient, session: Session, people: People
) -> None:
    h = ready_to_clear(session, people)
    other = f.household(session, registered_on=clock.today() - timedelta(days=900))
    missing = propose(
        client, people.cadre, h, kind="clearance_proposal", visit_id=str(uuid.uuid4()), reason="x"
    )
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "visit_id"
    no_visit = propose(client, people.cadre, h, kind="clearance_proposal", reason="x")
    assert no_visit.status_code == 422
    theirs = home_visit(client, people.cadre, other)
    r = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=theirs, reason="x")
    assert r.status_code == 422 and "不是这一户" in r.json()["message"]
    phoned = home_visit(client, people.cadre, h, kind="phone", reached="户主")
    r = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=phoned, reason="x")
    assert r.status_code == 422 and "入户" in r.json()["message"]
    old = home_visit(
        client, people.cadre, h, visited_at=(clock.now() - timedelta(days=40)).isoformat()
    )
    r = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=old, reason="x")
    assert r.status_code == 422 and "30 天" in r.json()["message"]
    helper = f.user(session, Role.helper, f.NINGSHAN)
    fresh = home_visit(client, people.cadre, h)
    r = propose(client, helper, h, kind="clearance_proposal", visit_id=fresh, reason="x")
    assert r.status_code in (403, 404)
    ok = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=fresh, reason="x")
    assert ok.status_code == 201
    twice = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=fresh, reason="x")
    assert twice.status_code == 409 and twice.json()["error"] == "open_case_exists"


def test_clearance_is_refused_at_once_with_the_income_basis_it_used(
    client: TestClient, session: Session, people: People
) -> None:
    h = ready_to_clear(session, people, wage=1000)
    visit = home_visit(client, people.cadre, h)
    r = propose(client, people.cadre, h, kind="clearance_proposal", visit_id=visit, reason="x")
    assert r.status_code == 409 and r.json()["error"] == "clear_risk_refused"
    message = r.json()["message"]
    assert "按收支登记" in message and f"低于监测收入标准 {ledger_line(session)} 元" in message
    wrong = propose(
        client,
        people.cadre,
        h,
        kind="revert_proposal",
        visit_id=visit,
        reason="x",
        risk_types=["illness"],
    )
    assert wrong.status_code == 409 and wrong.json()["error"] == "wrong_household_state"


def test_enrolment_proposal_enrolls_after_the_chain_and_keeps_the_line(
    client: TestClient, session: Session, people: People
) -> None:
    line = lines(session)[clock.today().year - 1]
    h = f.household(session, registered_on=clock.today() - timedelta(days=900))
    session.add(
        IncomeRecord(household_id=h.id, year=clock.today().year - 1, household_size=2, wage=8000)
    )
    session.commit()
    visit = home_visit(client, people.cadre, h)
    no_risk = propose(
        client, people.cadre, h, kind="enrolment_proposal", visit_id=visit, reason="x"
    )
    assert no_risk.status_code == 422
    r = propose(
        client,
        people.cadre,
        h,
        kind="enrolment_proposal",
        visit_id=visit,
        reason="户主车祸",
        risk_types=["accident"],
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    today = clock.today()
    act(client, people.cadre, rid, "community-review", {"held_on": str(today), "minutes": "同意"})
    act(client, people.cadre, rid, "public-notice", {"start_on": str(today), "days": 5})
    clock.freeze(clock.now() + timedelta(days=5))
    assert act(client, people.town, rid, "forward", {}).status_code == 200
    back = act(
        client,
        people.county,
        rid,
        "enroll",
        {"monitoring_type": "sudden_hardship", "decided_on": str(today)},
    )
    assert back.status_code == 422
    done = act(client, people.county, rid, "enroll", {"monitoring_type": "sudden_hardship"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "enrolled"
    assert (
        body["decision_income_basis"],
        body["decision_income"],
        body["decision_line_amount"],
    ) == (
        "yearly",
        4000,
        line,
    )
    session.refresh(h)
    assert h.monitoring_status == MonitoringStatus.monitored and h.enrolled_on == clock.today()
    _check_enrolment_notices(client, session, people, h, rid, line)


def _check_enrolment_notices(  # type: ignore[no-untyped-def]
    client: TestClient, session: Session, people: People, h: Household, rid: str, line: int
) -> None:
    """The enrolment's 公示 and, once posted, its 公告: page and DOCX, name and ID masked, what
    was decided on which income and line."""
    from backend.households import service as households_service
    from backend.reports.notices import mask_name

    head = households_service.members_of(session=session, household_id=h.id)[0]
    number = security.decrypt_id_number(head.id_number_cipher)
    masked_id, masked_name = number[:6] + "********" + number[-4:], mask_name(head.name)
    url = f"/api/v1/self-reports/{rid}/notice"
    page = client.get(url, params={"stage": "public_notice"}, headers=f.auth(people.cadre))
    assert page.status_code == 200, page.text
    assert "纳入防止返贫动态监测对象的公示" in page.text and "公示期" in page.text
    assert masked_name in page.text and masked_id in page.text and "如有异议" in page.text
    assert head.name not in page.text and number not in page.text
    early = client.get(url, params={"stage": "announcement"}, headers=f.auth(people.cadre))
    assert early.status_code == 409 and early.json()["error"] == "no_announcement"
    posted = act(client, people.cadre, rid, "announce", {"announced_on": str(clock.today())})
    assert posted.status_code == 200, posted.text
    notice = client.get(url, params={"stage": "announcement"}, headers=f.auth(people.cadre))
    assert notice.status_code == 200
    assert "纳入防止返贫动态监测对象的公告" in notice.text and "公告期" in notice.text
    assert f"监测收入标准{line}元" in notice.text and "年度收入登记" in notice.text
    # Signed once by the committee (the village is 冷水沟村委会 in the official list), set in
    # full-width punctuation like any 公文.
    assert "冷水沟村民委员会</p>" in notice.text and "村委会村民委员会" not in notice.text
    assert "公告期：" in notice.text and "公告期:" not in notice.text
    word = client.get(
        url, params={"stage": "announcement", "format": "docx"}, headers=f.auth(people.cadre)
    )
    assert word.status_code == 200
    document = Document(io.BytesIO(word.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert f"{masked_name}户纳入防止返贫动态监测对象的公告" in text
    assert masked_id in cells and number not in text + "".join(cells)


def _lookup(client: TestClient, code: str, phone: str) -> dict:
    r = client.get("/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": phone})
    assert r.status_code == 200, r.text
    return r.json()


def _clearance_at_the_county(
    client: TestClient, session: Session, people: People, phone: str
) -> tuple[str, str, list[dict]]:
    """A clearance proposed, through 评议, 公示 and the township: (id, receipt code, what
    the farmer read on the way)."""
    h = ready_to_clear(session, people)
    h.phone = phone
    session.add(h)
    session.commit()
    visit = home_visit(client, people.cadre, h)
    case = propose(
        client, people.cadre, h, kind="clearance_proposal", visit_id=visit, reason="务工稳定"
    ).json()
    rid, code = case["id"], case["receipt_code"]
    read = [_lookup(client, code, phone)]
    today = clock.today()
    act(client, people.cadre, rid, "community-review", {"held_on": str(today), "minutes": "同意"})
    act(client, people.cadre, rid, "public-notice", {"start_on": str(today), "days": 5})
    clock.freeze(clock.now() + timedelta(days=5))
    assert act(client, people.town, rid, "forward", {}).status_code == 200
    read.append(_lookup(client, code, phone))
    return rid, code, read


def test_the_farmer_reads_in_plain_words_what_a_clearance_decision_means(
    client: TestClient, session: Session, people: People
) -> None:
    phone = "13900001234"
    rid, code, (waiting, county) = _clearance_at_the_county(client, session, people, phone)
    assert waiting["status"] == "township_review" and "风险消除的申请" in waiting["step"]
    assert "县里正在审定" in county["step"]
    assert act(client, people.county, rid, "clear", {"note": "同意消除"}).status_code == 200
    done = _lookup(client, code, phone)
    assert (done["status"], done["status_name"], done["decision"]) == (
        "cleared",
        "已审定风险消除",
        "cleared",
    )
    assert "返贫风险已经消除" in done["step"]
    assert "不再作为防止返贫监测对象" in done["next_step"]
    assert "可以随时再报告" in done["next_step"]
    # Not a word of a farmer's own report ("纳入监测帮扶") in what the clearance says.
    assert "纳入监测帮扶" not in done["step"]


def test_a_refused_clearance_tells_the_farmer_they_stay_monitored(
    client: TestClient, session: Session, people: People
) -> None:
    phone = "13900001235"
    rid, code, _ = _clearance_at_the_county(client, session, people, phone)
    refused = act(client, people.county, rid, "reject", {"reason": "收入来源尚不稳定"})
    assert refused.status_code == 200, refused.text
    body = _lookup(client, code, phone)
    assert body["status"] == "rejected" and "暂不标注风险消除" in body["step"]
    assert "继续作为防止返贫监测对象" in body["next_step"]
    assert body["reason"] == "收入来源尚不稳定"


def test_revert_proposal_puts_a_cleared_household_back_and_a_farmers_report_stays_apart(
    client: TestClient, session: Session, people: People
) -> None:
    from backend.households import service as households_service
    from tests.reports.conftest import submit

    h = ready_to_clear(session, people)
    h.monitoring_status = MonitoringStatus.risk_cleared
    h.risk_cleared_on = clock.today() - timedelta(days=100)
    session.add(h)
    session.commit()
    visit = home_visit(client, people.cadre, h)
    r = propose(
        client,
        people.cadre,
        h,
        kind="revert_proposal",
        visit_id=visit,
        reason="户主突发大病",
        risk_types=["illness"],
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    # The farmer reports too: a case of its own, never joined to the village's proposal.
    head = households_service.members_of(session=session, household_id=h.id)[0]
    number = security.decrypt_id_number(head.id_number_cipher)
    own = submit(client, id_number=number, name=head.name)
    assert own.status_code in (200, 201), own.text
    assert own.json()["id"] != rid
    today = clock.today()
    act(client, people.cadre, rid, "community-review", {"held_on": str(today), "minutes": "同意"})
    act(client, people.cadre, rid, "public-notice", {"start_on": str(today), "days": 5})
    clock.freeze(clock.now() + timedelta(days=5))
    assert act(client, people.town, rid, "forward", {}).status_code == 200
    done = act(client, people.county, rid, "enroll", {"monitoring_type": "sudden_hardship"})
    assert done.status_code == 200, done.text
    session.commit()  # end the test's read snapshot (SQLite WAL) before reading again
    session.refresh(h)
    assert h.monitoring_status == MonitoringStatus.monitored and h.risk_cleared_on is None
