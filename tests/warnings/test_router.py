"""Department warnings: sent by an API client (idempotent per source, person and period),
matched to a household by ID number, triaged by the township into a report on the
household's behalf or dismissed with a reason, and the outcome read back by the sender."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import throttle
from tests import factories as f
from tests.accounts.test_clients import bearer, make_client


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    throttle.reset()
    yield
    throttle.reset()


@pytest.fixture
def sender(client: TestClient, session: Session) -> dict[str, str]:
    return bearer(client, make_client(client, session, scopes=["warnings:write"]))


def warning(id_number: str, **kw: Any) -> dict[str, Any]:
    body = {
        "source": "medical_insurance",
        "id_number": id_number,
        "period": "2026-11",
        "summary": "自付医疗费用超过 2 万元",
        "figures": {"self_paid_yuan": 35000, "threshold_yuan": 20000},
    }
    body.update(kw)
    return body


def head_id(session: Session, area: str = f.LENGSHUIGOU) -> tuple[Any, str]:
    person = f.id_number()
    household = f.household(session, area, members=[f.member("head", id_number=person)])
    return household, person


def test_a_warning_is_matched_to_the_household_and_sent_again_harmlessly(
    client: TestClient, session: Session, sender: dict[str, str]
) -> None:
    household, person = head_id(session)
    first = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["matched"] is True and body["household_id"] == str(household.id)
    assert body["status"] == "pending" and body["status_name"] == "待分拣"
    assert body["source_name"] == "医保" and body["area_code"] == f.LENGSHUIGOU
    assert body["area_name"] == "冷水沟村委会"
    assert body["id_number"] == person[:6] + "********" + person[-4:]
    assert person not in first.text
    again = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    other_period = client.post(
        "/api/v1/warnings", json=warning(person, period="2026-12"), headers=sender
    )
    assert other_period.status_code == 201 and other_period.json()["id"] != body["id"]
    changed = client.post(
        "/api/v1/warnings",
        json=warning(person, figures={"self_paid_yuan": 1}),
        headers=sender,
    )
    assert changed.status_code == 409 and changed.json()["error"] == "warning_differs"


def test_an_unmatched_warning_is_kept_and_listed(
    client: TestClient, session: Session, sender: dict[str, str]
) -> None:
    nobody = f.id_number()
    sent = client.post(
        "/api/v1/warnings", json=warning(nobody, source="civil_affairs"), headers=sender
    )
    assert sent.status_code == 201
    assert sent.json()["matched"] is False and sent.json()["status"] == "unmatched"
    assert sent.json()["area_code"] == f.NINGSHAN
    county = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    listed = client.get("/api/v1/warnings", params={"status": "unmatched"}, headers=county)
    assert [w["id"] for w in listed.json()["data"]] == [sent.json()["id"]]
    # An unmatched warning has no household to report for; it may be dismissed.
    wid = sent.json()["id"]
    refused = client.post(f"/api/v1/warnings/{wid}/report", json={}, headers=county)
    assert refused.status_code == 409 and refused.json()["error"] == "warning_unmatched"
    dismissed = client.post(
        f"/api/v1/warnings/{wid}/dismiss", json={"reason": "本县无此人户籍"}, headers=county
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "610923197003080000"}, "id_number"),
        ({"id_number": "61092319700308001"}, "id_number"),
        ({"period": "2026-13"}, "period"),
        ({"period": "last month"}, "period"),
        ({"source": "tax"}, "source"),
        ({"figures": {"self_paid_yuan": 35000.5}}, "figures.self_paid_yuan"),
        ({"figures": {"Self Paid": 1}}, "figures.Self Paid.[key]"),
    ],
)
def test_a_bad_warning_is_refused_naming_the_field(
    client: TestClient, session: Session, sender: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/warnings", json={**warning(f.id_number()), **change}, headers=sender
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field
    assert "610923197003080000" not in response.text


def test_only_a_client_with_warnings_write_sends(client: TestClient, session: Session) -> None:
    body = warning(f.id_number())
    person = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    refused = client.post("/api/v1/warnings", json=body, headers=person)
    assert refused.status_code == 403 and refused.json()["error"] == "clients_only"
    reader = bearer(client, make_client(client, session, scopes=["households:read"]))
    refused = client.post("/api/v1/warnings", json=body, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["message"] == "接口客户端没有这项权限(warnings:write)"


def test_the_township_triages_into_a_report_and_the_sender_reads_the_outcome(
    client: TestClient, session: Session, sender: dict[str, str]
) -> None:
    household, person = head_id(session)
    wid = client.post("/api/v1/warnings", json=warning(person), headers=sender).json()["id"]
    township = f.auth(f.user(session, Role.township_officer, f.JIANGKOU))
    queue = client.get("/api/v1/warnings", params={"status": "pending"}, headers=township).json()
    assert [w["id"] for w in queue["data"]] == [wid]
    reported = client.post(f"/api/v1/warnings/{wid}/report", json={}, headers=township)
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "reported" and reported.json()["report_receipt_code"]
    report = client.get(f"/api/v1/self-reports/{reported.json()['report_id']}", headers=township)
    assert report.status_code == 200
    assert report.json()["on_behalf"] is True and report.json()["risk_types"] == ["illness"]
    assert report.json()["household_id"] == str(household.id)
    outcome = client.get(f"/api/v1/warnings/sent/{wid}", headers=sender).json()
    assert outcome["status"] == "reported"
    assert outcome["report_receipt_code"] == reported.json()["report_receipt_code"]
    assert outcome["report_status"] == "verifying"
    again = client.post(
        f"/api/v1/warnings/{wid}/dismiss", json={"reason": "重复"}, headers=township
    )
    assert again.status_code == 409 and again.json()["error"] == "warning_triaged"
    twice = client.post(f"/api/v1/warnings/{wid}/report", json={}, headers=township)
    assert twice.status_code == 409 and twice.json()["error"] == "warning_triaged"


def test_a_dismissal_reaches_the_sender_with_its_reason(
    client: TestClient, session: Session, sender: dict[str, str]
) -> None:
    _, person = head_id(session)
    wid = client.post("/api/v1/warnings", json=warning(person), headers=sender).json()["id"]
    township = f.auth(f.user(session, Role.township_officer, f.JIANGKOU))
    short = client.post(f"/api/v1/warnings/{wid}/dismiss", json={"reason": "否"}, headers=township)
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "reason"
    # The triage screen shows this beside the reason box.
    empty = client.post(f"/api/v1/warnings/{wid}/dismiss", json={"reason": ""}, headers=township)
    assert empty.status_code == 422 and empty.json()["message"].startswith("理由")
    done = client.post(
        f"/api/v1/warnings/{wid}/dismiss",
        json={"reason": "已由大病保险报销,自付降至 8000 元"},
        headers=township,
    )
    assert done.status_code == 200
    listed = client.get("/api/v1/warnings/sent", headers=sender).json()
    assert listed["count"] == 1
    assert listed["data"][0]["dismiss_reason"] == "已由大病保险报销,自付降至 8000 元"
    assert listed["data"][0]["status_name"] == "已排除"


def test_the_queue_and_the_sent_list_keep_to_their_own(
    client: TestClient, session: Session, sender: dict[str, str]
) -> None:
    _, person = head_id(session)
    wid = client.post("/api/v1/warnings", json=warning(person), headers=sender).json()["id"]
    elsewhere = f.auth(f.user(session, Role.township_officer, "610923101"))
    assert client.get("/api/v1/warnings", headers=elsewhere).json()["count"] == 0
    for method, tail, body in (
        ("GET", "", None),
        ("POST", "/report", {}),
        ("POST", "/dismiss", {"reason": "不是本镇的"}),
    ):
        response = client.request(
            method, f"/api/v1/warnings/{wid}{tail}", json=body, headers=elsewhere
        )
        assert response.status_code == 404, tail
    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    assert client.get("/api/v1/warnings", headers=cadre).status_code == 403
    other_sender = bearer(client, make_client(client, session, scopes=["warnings:write"]))
    assert client.get(f"/api/v1/warnings/sent/{wid}", headers=other_sender).status_code == 404
    assert client.get("/api/v1/warnings/sent", headers=other_sender).json()["count"] == 0
