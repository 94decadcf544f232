"""The checker: 50 clients send self-reports and visit batches as the phones' outboxes do
(an answer lost or a 503/429 means "send the same again later"), replay a tenth of what was
acknowledged and send a hundredth again with other content, and check every answer.

It is httpx on asyncio rather than wrk or Locust: those measure rates, while this must
remember each write and its first answer, send the identical body again and compare, and
retry without an answer until it gets one — a client library the project already pins."""

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

REPLAY_EVERY = 10  # 10% of acknowledged writes are sent again, identical
CONFLICT_EVERY = 100  # 1% are sent again under the same id with other content
BATCH = 25  # visits per batch
RETRY_CAP = 5.0  # the outbox waits Retry-After; the run waits at most this long


@dataclass
class Write:
    kind: str  # "report" | "visit"
    id: str
    body: dict[str, Any]
    first: Any = None  # the first acknowledged answer (the receipt; the visit's item result)
    seq: int = 0  # its place among the acknowledged writes


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)  # distinct writes
    acknowledged: dict[str, Write] = field(default_factory=dict)
    replays: int = 0
    replays_same: int = 0
    conflicts: int = 0
    conflicts_409: int = 0
    requests: int = 0
    unanswered: int = 0  # connection lost or refused: sent again
    unavailable: int = 0  # 503 with Retry-After: sent again
    status: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    done: int = 0  # writes (new) acknowledged, for the faults' timing

    def fail(self, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(what)
        else:
            self.failures[-1] = f"… and more ({what})"


def _wall_now() -> datetime:
    # The server runs on the wall clock, not on the tests' frozen one.
    return datetime.now(UTC)  # noqa: TID251


class Load:
    def __init__(
        self,
        *,
        base: str,
        villages: list[str],
        households: dict[str, list[str]],  # village → household ids
        tokens: dict[str, str],  # village → a village cadre's token
        reports: int,
        visits: int,
        clients: int = 50,
        tag: str = "",
    ) -> None:
        self.base = base
        self.villages = villages
        self.households = households
        self.tokens = tokens
        self.reports = reports
        self.visits = visits
        self.clients = clients
        self.tag = tag or uuid.uuid4().hex[:6]
        self.tally = Tally()
        self._phone = 0

    @property
    def total(self) -> int:
        return self.reports + self.visits

    # --- what is sent ----------------------------------------------------------------------

    def _report(self, village: str) -> Write:
        self._phone += 1
        body = {
            "id": str(uuid.uuid4()),
            "area_code": village,
            "name": "可靠性",
            "phone": f"139{self._phone:08d}",
            "risk_types": ["illness"],
            "note": f"reliability {self.tag} {self._phone}",
        }
        return Write("report", body["id"], body)

    def _visit(self, village: str, n: int) -> Write:
        homes = self.households[village]
        body = {
            "id": str(uuid.uuid4()),
            "household_id": homes[n % len(homes)],
            "kind": "home",
            "visited_at": (_wall_now() - timedelta(minutes=1)).isoformat(),
            "family_agrees": True,
            "agreed_by": "户主",
            "notes": f"reliability {self.tag} visit {n}",
        }
        return Write("visit", body["id"], body)

    @staticmethod
    def _other(write: Write) -> dict[str, Any]:
        """The same id with other content: must be refused with 409."""
        key = "note" if write.kind == "report" else "notes"
        return {**write.body, key: write.body[key] + " (changed)"}

    # --- sending, as the outbox does -------------------------------------------------------

    async def _send(self, http: httpx.AsyncClient, path: str, body: Any, token: str | None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        wait = 0.2
        while True:
            self.tally.requests += 1
            try:
                r = await http.post(self.base + path, json=body, headers=headers)
            except httpx.TransportError:
                self.tally.unanswered += 1
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_CAP)
                continue
            self.tally.status[r.status_code] += 1
            if r.status_code in (503, 429):
                after = r.headers.get("Retry-After")
                if after is None:
                    self.tally.fail(f"{path}: {r.status_code} without Retry-After")
                if r.status_code == 503:
                    self.tally.unavailable += 1
                await asyncio.sleep(min(float(after or 1), RETRY_CAP))
                continue
            if r.status_code >= 500:
                self.tally.fail(f"{path}: {r.status_code} {r.text[:200]}")
                await asyncio.sleep(wait)
                continue
            return r

    async def _post_report(self, http: httpx.AsyncClient, write: Write, mode: str) -> None:
        body = self._other(write) if mode == "conflict" else write.body
        r = await self._send(http, "/api/v1/self-reports", body, None)
        if mode == "new":
            # 200 when an earlier try was stored but its answer lost (kill -9): still the one.
            if r.status_code not in (200, 201):
                self.tally.fail(f"report {write.id}: {r.status_code} {r.text[:200]}")
                return
            self._acknowledge(write, r.json())
        elif mode == "replay":
            self.tally.replays += 1
            if r.status_code == 200 and r.json() == write.first:
                self.tally.replays_same += 1
            else:
                self.tally.fail(f"replay of report {write.id}: {r.status_code} {r.text[:200]}")
        else:
            self.tally.conflicts += 1
            if r.status_code == 409:
                self.tally.conflicts_409 += 1
            else:
                self.tally.fail(f"conflict on report {write.id}: {r.status_code}")

    async def _post_batch(
        self, http: httpx.AsyncClient, token: str, items: list[tuple[Write, str]]
    ) -> None:
        bodies = [self._other(w) if mode == "conflict" else w.body for w, mode in items]
        r = await self._send(http, "/api/v1/visits/batch", {"items": bodies}, token)
        if r.status_code != 200:
            self.tally.fail(f"visit batch: {r.status_code} {r.text[:200]}")
            return
        for (write, mode), result in zip(items, r.json()["results"], strict=True):
            if result["id"] != write.id:
                self.tally.fail(f"visit batch answered {result['id']} for {write.id}")
            elif mode == "new":
                if result["status"] in (200, 201):
                    self._acknowledge(write, result["id"])
                else:
                    self.tally.fail(f"visit {write.id}: {result}")
            elif mode == "replay":
                self.tally.replays += 1
                if result["status"] == 200 and result["id"] == write.first:
                    self.tally.replays_same += 1
                else:
                    self.tally.fail(f"replay of visit {write.id}: {result}")
            else:
                self.tally.conflicts += 1
                if result["status"] == 409 and result.get("error") == "visit_id_conflict":
                    self.tally.conflicts_409 += 1
                else:
                    self.tally.fail(f"conflict on visit {write.id}: {result}")

    def _acknowledge(self, write: Write, first: Any) -> None:
        self.tally.acknowledged[write.id] = write
        write.first = first
        write.seq = len(self.tally.acknowledged)
        self.tally.done += 1

    async def _client(self, http: httpx.AsyncClient, n: int) -> None:
        village = self.villages[n % len(self.villages)]
        token = self.tokens[village]
        share = lambda total: total // self.clients + (1 if n < total % self.clients else 0)  # noqa: E731
        reports, visits = share(self.reports), share(self.visits)
        again: list[tuple[Write, str]] = []  # acknowledged writes to send again

        def later(write: Write) -> None:
            seq = write.seq
            if seq % CONFLICT_EVERY == CONFLICT_EVERY // 2:
                again.append((write, "conflict"))
            elif seq % REPLAY_EVERY == 0:
                again.append((write, "replay"))

        made = 0
        while reports or visits or again:
            if reports:
                reports -= 1
                write = self._report(village)
                self.tally.sent["report"] += 1
                await self._post_report(http, write, "new")
                later(write)
            old_reports = [(w, m) for w, m in again if w.kind == "report"]
            for write, mode in old_reports:
                await self._post_report(http, write, mode)
            again = [(w, m) for w, m in again if w.kind != "report"]
            if visits or again:
                fresh = []
                for _ in range(min(BATCH, visits)):
                    fresh.append(self._visit(village, n * 100_000 + made))
                    made += 1
                visits -= len(fresh)
                self.tally.sent["visit"] += len(fresh)
                old, again = again, []
                await self._post_batch(http, token, [(w, "new") for w in fresh] + old)
                for write in fresh:
                    if write.id in self.tally.acknowledged:
                        later(write)

    async def run(self) -> Tally:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            await asyncio.gather(*(self._client(http, n) for n in range(self.clients)))
        return self.tally
