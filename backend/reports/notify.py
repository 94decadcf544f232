"""Texts to farmers about their reports: what each says, how it goes out (a Notifier: the
log, or an SMS gateway over HTTP, from the worker), and the record of every attempt."""

import hashlib
import logging
import uuid
from typing import Any, Protocol

import httpx
from sqlmodel import Session

from backend.core.security import mask_phone
from backend.core.settings import get_settings
from backend.reports.models import STATUS_NAMES, ReportNotice, ReportStatus, SelfReport
from backend.worker import service as worker_service
from backend.worker.registry import Policy, Retry, handler

log = logging.getLogger("shouwang.notify")
# What became of a text about a report is logged where the reports' other records are.
report_log = logging.getLogger("shouwang.reports")


class NotifyError(Exception):
    """The message did not go out; the caller records it and carries on."""


class Notifier(Protocol):
    channel: str

    # `key` names the text: the same key again is the same text sent again (a worker killed
    # while the gateway was answering sends it once more), which the gateway drops.
    def send(self, *, phone: str, text: str, key: str = "") -> None: ...


class LogNotifier:
    """Writes each message to the log: the default, and enough for a pilot without SMS."""

    channel = "log"

    def send(self, *, phone: str, text: str, key: str = "") -> None:
        log.info("text to %s: %s", mask_phone(phone), text)


class SmsGatewayNotifier:
    """POSTs {"phone", "text"} as JSON to an SMS gateway, with the key as a bearer token."""

    channel = "sms"

    def __init__(self, *, url: str, key: str, timeout: float = 5.0) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout

    def send(self, *, phone: str, text: str, key: str = "") -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        if key:
            headers["Idempotency-Key"] = key
        try:
            response = httpx.post(
                self.url,
                json={"phone": phone, "text": text},
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise NotifyError(f"gateway unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            raise NotifyError(f"gateway answered {response.status_code}")


_override: Notifier | None = None


def get_notifier() -> Notifier:
    if _override is not None:
        return _override
    settings = get_settings()
    if settings.sms_gateway_url:
        return SmsGatewayNotifier(url=settings.sms_gateway_url, key=settings.sms_gateway_key)
    return LogNotifier()


def set_notifier(notifier: Notifier | None) -> None:
    """Use this notifier instead of the configured one (tests); None restores the setting."""
    global _override
    _override = notifier


# --- what the farmer is told -------------------------------------------------------------


def message(report: SelfReport, kind: str, outcome: ReportStatus | None = None) -> str:
    code = report.receipt_code
    if kind == "receipt":
        if report.status == ReportStatus.merged:
            return f"【守望】您的困难报告已收到(编号 {code}),已与同一户先前的报告合并办理。"
        return (
            f"【守望】您的困难报告已受理,受理编号 {code}。村里将在 {report.village_due_on:%m月%d日}"
            "前上门核实。凭编号和手机号可查询办理进度。"
        )
    if kind == "enrolled":
        return f"【守望】您的报告({code})已审定:纳入防止返贫监测帮扶,帮扶干部会联系您。"
    if kind == "rejected":
        return f"【守望】您的报告({code})经核实不予纳入监测,理由:{report.decision_reason}"
    if kind == "referred":
        return f"【守望】您的报告({code})已转介:{report.referred_to}。{report.decision_reason}"
    if kind == "withdrawn":
        return (
            f"【守望】您的报告({code})已撤回,原因:{report.decision_reason}。"
            "如仍有困难,可以重新报告或联系村干部。"
        )
    if kind == "merged":
        return f"【守望】您的报告({code})已与同一户的报告合并办理,凭原编号可继续查询进度。"
    if kind == "merged_outcome" and outcome is not None:
        # The outcome of the report this one joined: its status only, never its reason.
        return (
            f"【守望】您的报告({code})已合并办理,办理结果:{STATUS_NAMES[outcome]}。"
            "详情请联系村干部。"
        )
    return f"【守望】您的报告({code})状态:{STATUS_NAMES[report.status]}"


def queue_text(
    *, session: Session, report: SelfReport, kind: str, outcome: ReportStatus | None = None
) -> bool:
    """Queue the text to the farmer in the transaction of the change it reports (the use
    case commits both, or neither). The worker sends it afterwards and retries a failure;
    a text that cannot be sent never delays or fails the change."""
    phone = report.reporter_phone if report.on_behalf and report.reporter_phone else report.phone
    if not phone:
        return False
    worker_service.enqueue(
        session=session,
        kind=TEXT_JOB,
        payload={
            "report_id": str(report.id),
            "kind": kind,
            "phone": phone,
            "text": message(report, kind, outcome),
            "key": uuid.uuid4().hex,
        },
    )
    return True


def _key(payload: dict[str, Any]) -> str:
    """The text's Idempotency-Key: made when it was queued (older jobs: from their content)."""
    if payload.get("key"):
        return str(payload["key"])
    content = "|".join(str(payload.get(k, "")) for k in ("report_id", "kind", "phone", "text"))
    return hashlib.sha256(content.encode()).hexdigest()[:32]


# Texts wait 30 s, 1, 2, 4 … minutes between attempts, at most an hour: a gateway down for
# about two hours still delivers; after that the job is dead, each attempt on record.
TEXT_JOB = "report_text"


@handler(TEXT_JOB, policy=Policy(max_attempts=8))
def send(*, session: Session, payload: dict[str, Any]) -> None:
    """The worker's side: send, then record the attempt (sent or not) on the report."""
    notifier = get_notifier()
    error = ""
    try:
        notifier.send(phone=payload["phone"], text=payload["text"], key=_key(payload))
    except NotifyError as exc:
        error = str(exc)
    except Exception as exc:  # a broken notifier is recorded and retried like a refusal
        error = f"unexpected: {exc.__class__.__name__}"
        report_log.exception("notifier failed")
    session.add(
        ReportNotice(
            report_id=uuid.UUID(payload["report_id"]),
            kind=payload["kind"],
            channel=notifier.channel,
            sent=not error,
            error=error[:300],
        )
    )
    if error:
        report_log.warning(
            "text about report %s (%s) not sent: %s", payload["report_id"], payload["kind"], error
        )
        raise Retry(error)
