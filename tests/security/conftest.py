"""Every answer the security suite receives, every log line it causes and every audit row it
leaves are scanned for personal data where masked data belongs: a full ID number
(`\\d{17}[\\dXx]`) outside the audited requests that show one (backend/privacy), a full
mobile number in a field that should be masked (only `…/contact` and the export answer one)."""

import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# The only answers that show an ID number whole: the audited requests for one (a member's,
# a report's), a household's personal-data export (backend/privacy) and an area's export to
# the roles that may see them (backend/transfer, audited with its row count). Every detail,
# list and change answers them masked, to every role.
_UUID = "[0-9a-f-]{36}"
MAY_SHOW_FULL_ID = re.compile(
    rf"^/api/v1/(households/{_UUID}/(members/{_UUID}/id-number|personal-data)"
    rf"|self-reports/{_UUID}/id-number|exports/[a-z_]+)$"
)
# The audited views of full phone numbers: the report's contact, the household's export;
# and the OpenAPI document, whose request examples carry a made-up number of the right form.
SHOWS_FULL_PHONE = re.compile(
    rf"^/api/v1/(self-reports/{_UUID}/contact|households/{_UUID}/personal-data|openapi\.json)$"
)


def _phones(node: object, where: str = "") -> list[str]:
    """Values of fields named *phone that are full numbers."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("phone") and isinstance(value, str) and FULL_MOBILE.search(value):
                out.append(f"{where}.{key}")
            out += _phones(value, f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            out += _phones(value, where)
    return out


@pytest.fixture(autouse=True)
def _scan_for_personal_data(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[None]:
    session = request.getfixturevalue("session") if "session" in request.fixturenames else None
    answers: list[tuple[str, str, object]] = []
    original = TestClient.request

    def recording(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = original(self, method, url, *args, **kwargs)
        answers.append((method, response.request.url.path, response))
        return response

    monkeypatch.setattr(TestClient, "request", recording)
    with caplog.at_level(logging.INFO):
        yield
    found = []
    for method, path, response in answers:
        kind = response.headers.get("content-type", "")  # type: ignore[attr-defined]
        if not kind.startswith(("application/json", "text/")):
            continue  # photos, documents
        text = response.text  # type: ignore[attr-defined]
        allowed = MAY_SHOW_FULL_ID.match(path)
        if FULL_ID.search(text) and not allowed:
            found.append(f"full ID number in {method} {path}")
        if kind.startswith("application/json") and not SHOWS_FULL_PHONE.match(path):
            found += [
                f"full phone {w} in {method} {path}" for w in _phones(json.loads(text or "null"))
            ]
    for record in caplog.records:
        message = record.getMessage()
        if FULL_ID.search(message) or FULL_MOBILE.search(message):
            found.append(f"personal data in the log: {record.name}")
    if session is not None:
        from backend.audit.models import AuditEntry

        session.rollback()
        for entry in session.exec(select(AuditEntry)).all():
            changes = json.dumps(entry.changes, ensure_ascii=False)
            if FULL_ID.search(changes) or FULL_MOBILE.search(changes):
                found.append(f"personal data in the audit row {entry.entity} {entry.action}")
    assert found == [], "\n".join(sorted(set(found)))
