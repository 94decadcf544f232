"""Webhooks against a real HTTP server on 127.0.0.1: subscribed, signed, retried with
back-off for a day, every attempt logged, replayed, never sent twice at once; and the URLs,
clients and scopes that are refused."""

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import clock, throttle
from backend.reports import notify
from backend.worker import runner
from tests import factories as f
from tests.accounts.test_clients import bearer, make_client
from tests.reports.conftest import submit


class Receiver:
    """A subscriber's endpoint: records what it is sent, answers `statuses` in turn (the
    last one for ever after)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses = [200]
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with outer.lock:
                    outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setattr(settings, "webhook_allowed_networks", "127.0.0.0/8")
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    throttle.reset()

    class Nobody:
        channel = "test"

        def send(self, *, phone: str, text: str) -> None:
            pass

    notify.set_notifier(Nobody())
    yield
    notify.set_notifier(None)
    throttle.reset()


SCOPES = ["webhooks:manage", "reports:read", "households:read", "visits:read"]


def subscriber(
    client: TestClient,
    session: Session,
    url: str,
    *,
    events: tuple[str, ...] = ("self_report.submitted",),
    area: str = f.NINGSHAN,
) -> tuple[dict[str, str], dict[str, Any]]:
    made = make_client(client, session, scopes=SCOPES, area=area)
    headers = bearer(client, made)
    response = client.post(
        "/api/v1/webhooks/subscriptions", json={"url": url, "events": list(events)}, headers=headers
    )
    assert response.status_code == 201, response.text
    return headers, response.json()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The README's verification, as a receiver writes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", s) for s in headers["webhook-signature"].split()
    )


def test_a_report_is_delivered_signed_and_logged(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    headers, sub = subscriber(client, session, receiver.url)
    assert sub["secret"].startswith("whsec_")
    assert sub["subscription"]["event_names"] == ["收到一键报贫"]
    report = submit(client).json()
    assert runner.run_due_jobs() >= 1
    assert len(receiver.received) == 1
    sent_headers, body = receiver.received[0]
    assert verify(sub["secret"], sent_headers, body)
    assert not verify(sub["secret"], sent_headers, body + b" ")
    assert sent_headers["x-shouwang-event"] == "self_report.submitted"
    event = json.loads(body)
    assert event["type"] == "self_report.submitted" and event["id"] == sent_headers["webhook-id"]
    assert event["data"]["self_report_id"] == report["id"]
    assert event["area_code"] == f.LENGSHUIGOU
    # Ids and codes only: the farmer's name and phone are not in it.
    assert "王秀英" not in body.decode() and "13912345678" not in body.decode()
    log = client.get("/api/v1/webhooks/deliveries", headers=headers).json()
    assert log["count"] == 1
    delivery = log["data"][0]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["event"] == "self_report.submitted" and delivery["status_name"] == "已送达"
    one = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=headers).json()
    assert [a["status_code"] for a in one["attempt_log"]] == [200]
    assert one["body"]["id"] == event["id"]


def test_a_failed_delivery_is_retried_with_back_off_then_delivered(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    headers, _ = subscriber(client, session, receiver.url)
    receiver.statuses = [500, 503, 200]
    submit(client)
    runner.run_due_jobs()
    runner.run_due_jobs()  # waits its back-off: nothing sent again yet
    assert len(receiver.received) == 1
    clock.freeze(clock.now() + timedelta(seconds=31))
    runner.run_due_jobs()
    clock.freeze(clock.now() + timedelta(seconds=61))
    runner.run_due_jobs()
    assert len(receiver.received) == 3
    assert len({h["webhook-id"] for h, _ in receiver.received}) == 1
    delivery = client.get("/api/v1/webhooks/deliveries", headers=headers).json()["data"][0]
    one = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=headers).json()
    assert [(a["number"], a["status_code"], a["ok"]) for a in one["attempt_log"]] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert one["status"] == "delivered"


def test_a_delivery_is_given_up_after_a_day_and_can_be_replayed(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    headers, _ = subscriber(client, session, receiver.url)
    receiver.statuses = [500]
    started = clock.now()
    submit(client)
    for _ in range(60):
        runner.run_due_jobs()
        clock.freeze(clock.now() + timedelta(hours=1))
    delivery = client.get("/api/v1/webhooks/deliveries", headers=headers).json()["data"][0]
    assert delivery["status"] == "failed" and delivery["last_status_code"] == 500
    one = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=headers).json()
    times = [a["at"] for a in one["attempt_log"]]
    assert len(times) == delivery["attempts"] >= 10
    last = clock.now().fromisoformat(times[-1])
    assert timedelta(hours=20) < last - started <= timedelta(hours=24)
    # Nothing more is sent once given up.
    sent = len(receiver.received)
    runner.run_due_jobs()
    assert len(receiver.received) == sent
    receiver.statuses = [200]
    replayed = client.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/replay", headers=headers)
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    twice = client.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/replay", headers=headers)
    assert twice.status_code == 409 and twice.json()["error"] == "delivery_in_progress"
    runner.run_due_jobs()
    assert len(receiver.received) == sent + 1
    after = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=headers).json()
    assert after["status"] == "delivered" and after["attempt_log"][-1]["ok"] is True


def test_several_workers_deliver_each_event_once(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    subscriber(client, session, receiver.url)
    reports = 12
    for n in range(reports):
        submit(client, phone=f"139{n:08d}", name=f"王{n}")
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            runner.run_due_jobs(worker=name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    seen = Counter(h["webhook-id"] for h, _ in receiver.received)
    assert len(seen) == reports and set(seen.values()) == {1}


def test_a_client_hears_only_its_area_and_sees_only_its_deliveries(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    mine, _ = subscriber(client, session, receiver.url)
    other, _ = subscriber(client, session, receiver.url, area=f.SHANNAN)
    submit(client)
    runner.run_due_jobs()
    assert len(receiver.received) == 1
    assert client.get("/api/v1/webhooks/deliveries", headers=other).json()["count"] == 0
    delivery = client.get("/api/v1/webhooks/deliveries", headers=mine).json()["data"][0]["id"]
    for method, tail in (("GET", ""), ("POST", "/replay")):
        response = client.request(
            method, f"/api/v1/webhooks/deliveries/{delivery}{tail}", headers=other
        )
        assert response.status_code == 404
    subs = client.get("/api/v1/webhooks/subscriptions", headers=mine).json()["data"]
    hidden = client.delete(f"/api/v1/webhooks/subscriptions/{subs[0]['id']}", headers=other)
    assert hidden.status_code == 404


def test_an_unsubscribed_url_hears_nothing_more(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    headers, sub = subscriber(client, session, receiver.url)
    sid = sub["subscription"]["id"]
    stopped = client.delete(f"/api/v1/webhooks/subscriptions/{sid}", headers=headers)
    assert stopped.status_code == 200 and stopped.json()["active"] is False
    submit(client)
    runner.run_due_jobs()
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "只能是 http 或 https 地址"),
        ("http://127.0.0.1:9/hook", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://localhost/hook", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://169.254.169.254/latest/meta-data", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://100.100.100.200/latest/meta-data", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://10.1.2.3/hook", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://[::1]/hook", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://[::ffff:127.0.0.1]/hook", "不能指向本机、内网、链路本地或云元数据地址"),
        ("http://user:pw@example.com/hook", "地址中不能包含用户名或密码"),
    ],
)
def test_a_url_that_is_not_public_is_refused(
    client: TestClient, session: Session, url: str, message: str
) -> None:
    made = make_client(client, session, scopes=SCOPES)
    response = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": url, "events": ["self_report.submitted"]},
        headers=bearer(client, made),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [{"field": "url", "message": message}]
    assert response.json()["message"].startswith("推送地址(url)")


def test_the_allowed_networks_let_only_themselves_through(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    made = make_client(client, session, scopes=SCOPES)
    headers = bearer(client, made)
    for url, status in (
        (receiver.url, 201),
        ("http://169.254.169.254/latest/meta-data", 422),
        ("http://192.168.1.1/hook", 422),
    ):
        response = client.post(
            "/api/v1/webhooks/subscriptions",
            json={"url": url, "events": ["visit.recorded"]},
            headers=headers,
        )
        assert response.status_code == status, url


def test_who_may_subscribe(client: TestClient, session: Session) -> None:
    body = {"url": "https://example.com/hook", "events": ["self_report.submitted"]}
    person = f.auth(f.user(session, Role.county_officer, f.NINGSHAN))
    refused = client.post("/api/v1/webhooks/subscriptions", json=body, headers=person)
    assert refused.status_code == 403 and refused.json()["error"] == "clients_only"
    without_manage = bearer(client, make_client(client, session, scopes=["reports:read"]))
    refused = client.post("/api/v1/webhooks/subscriptions", json=body, headers=without_manage)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    # An event says no more than the client could read: problems need problems:read.
    blind = bearer(client, make_client(client, session, scopes=["webhooks:manage"]))
    refused = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "https://example.com/hook", "events": ["problem.closed"]},
        headers=blind,
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == "接口客户端没有读取这些事件的权限(problems:read)"
    bad = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "https://example.com/hook", "events": ["household.deleted"]},
        headers=blind,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "events.0"


def test_the_secret_is_stored_encrypted(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    from backend.webhooks.models import WebhookSubscription

    _, sub = subscriber(client, session, receiver.url)
    row = session.get(WebhookSubscription, uuid.UUID(sub["subscription"]["id"]))
    assert row is not None and sub["secret"] not in row.secret_cipher


def test_a_visit_is_an_event_and_a_refused_one_is_not(
    client: TestClient, session: Session, receiver: Receiver
) -> None:
    from tests.visits.conftest import visit_body

    headers, _ = subscriber(client, session, receiver.url, events=("visit.recorded",))
    household = f.household(session, f.LENGSHUIGOU)
    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    body = visit_body(household)
    assert client.post("/api/v1/visits", json=body, headers=cadre).status_code == 201
    # A resend of the same visit, and a visit refused, are no events.
    assert client.post("/api/v1/visits", json=body, headers=cadre).status_code == 200
    elsewhere = f.auth(f.user(session, Role.village_cadre, f.YANJIAPING))
    refused = client.post("/api/v1/visits", json=visit_body(household), headers=elsewhere)
    assert refused.status_code == 404
    runner.run_due_jobs()
    events = receiver.events()
    assert [e["type"] for e in events] == ["visit.recorded"]
    assert events[0]["data"]["visit_id"] == body["id"]
    assert events[0]["data"]["household_id"] == str(household.id)
    assert "慢病卡" not in json.dumps(events, ensure_ascii=False)
    assert client.get("/api/v1/webhooks/deliveries", headers=headers).json()["count"] == 1


def test_a_problem_past_its_deadline_is_told_once(
    client: TestClient, session: Session, receiver: Receiver, people: Any
) -> None:
    from backend.core import db
    from backend.rectification import jobs
    from tests.rectification.conftest import Api

    api = Api(client)
    made = make_client(client, session, scopes=["webhooks:manage", "problems:read"], area="620422")
    headers = bearer(client, made)
    subscribed = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": receiver.url, "events": ["problem.overdue", "problem.issued"]},
        headers=headers,
    )
    assert subscribed.status_code == 201
    batch = api.batch(people.township)
    problem = api.problem(people.township, batch["id"])  # deadline 2023-09-15: long past
    for _ in range(2):  # two nights: one event
        with db.new_session() as own:
            jobs.overdue_events(session=own, payload={})
            own.commit()
    runner.run_due_jobs()
    kinds = Counter(e["type"] for e in receiver.events())
    assert kinds == {"problem.issued": 1, "problem.overdue": 1}
    overdue = next(e for e in receiver.events() if e["type"] == "problem.overdue")
    assert overdue["data"]["problem_id"] == problem["id"]
    assert overdue["data"]["deadline"] == "2023-09-15"
