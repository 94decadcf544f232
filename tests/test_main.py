"""The app compresses its own text answers (pages, scripts, JSON) for clients that ask, and
leaves alone what is compressed already."""

import gzip

from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from tests import factories as f

GZIP = {"Accept-Encoding": "gzip"}


def _raw(client: TestClient, path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """The answer as sent (httpx would decode a gzip body on reading it)."""
    with client.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def test_pages_scripts_and_json_are_gzipped_when_asked(
    client: TestClient, session: Session
) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN)
    for path, headers in (
        ("/report", GZIP),
        ("/static/js/report/main.js", GZIP),
        ("/sw.js", GZIP),
        ("/api/v1/openapi.json", GZIP),
        ("/api/v1/calendar?year=2026&month=10", {**GZIP, **f.auth(helper)}),
    ):
        r, body = _raw(client, path, headers)
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers.get("content-encoding") == "gzip", path
        assert "Accept-Encoding" in r.headers["vary"], path
        assert len(gzip.decompress(body)) > len(body), path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_no_gzip_for_a_client_that_does_not_ask(client: TestClient) -> None:
    r, body = _raw(client, "/report", {"Accept-Encoding": "identity"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert b"<html" in body.lower()


def test_images_are_sent_as_they_are(client: TestClient) -> None:
    r, body = _raw(client, "/static/icons/icon-512.png", GZIP)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert "content-encoding" not in r.headers
    assert body.startswith(b"\x89PNG")
