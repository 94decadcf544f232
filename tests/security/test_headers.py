"""Security headers on every kind of answer, in the app and in deploy/nginx.conf, and no
inline script or style in the templates (the policy would block it, and a page would break)."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.core import headers
from backend.main import create_app

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/report",
        "/staff",
        "/static/css/app.css",
        "/sw.js",
        "/api/v1/health",
        "/api/v1/households",  # 401
        "/api/v1/nothing-here",  # 404
        "/api/v1/openapi.json",
    ],
)
def test_every_answer_carries_the_security_headers(client: TestClient, url: str) -> None:
    response = client.get(url)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (url, name)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
    assert script_src == "'self'" and "unsafe-inline" not in csp
    # Plain HTTP (a LAN test box, or TLS not configured): no HSTS to pin the name for a year.
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_once_the_request_came_over_tls(app_engine) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(), base_url="https://testserver") as c:
        response = c.get("/api/v1/health")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_an_unexpected_error_carries_them_too(app_engine) -> None:  # type: ignore[no-untyped-def]
    app = create_app()

    def boom() -> None:
        raise RuntimeError("x")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_api_docs_allow_only_their_own_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self' https://cdn.jsdelivr.net .*'sha256-[A-Za-z0-9+/=]+'", csp)


TEMPLATES = sorted((ROOT / "frontend/templates").glob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_no_template_has_an_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    # A <script> runs only from a file (src=); a JSON data block is not a script.
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<style\b", text)
    assert not re.search(r"\son[a-z]+\s*=", text), "an on*= handler"
    assert not re.search(r"\sstyle\s*=", text), "a style attribute"


def test_nginx_sends_the_same_headers_on_every_answer() -> None:
    conf = (ROOT / "deploy/nginx.conf").read_text()
    assert f'""      "{headers.CSP}";' in conf
    for name, value in EXPECTED.items():
        assert f"add_header {name} {value} always;" in conf
        assert f"proxy_hide_header {name};" in conf
    assert "add_header Content-Security-Policy $shouwang_csp always;" in conf
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d+[^"]*" always;', conf)
    # add_header inside a location would drop the server's headers there.
    for block in re.findall(r"location [^{]*\{([^}]*)\}", conf):
        assert "add_header" not in block
