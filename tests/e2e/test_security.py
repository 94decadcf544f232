"""The pages under their Content-Security-Policy in a real browser: nothing they need is
blocked; and the phones' outbox waits on 503 (the database gone) instead of failing."""

import pytest

pytestmark = pytest.mark.e2e

PAGES = ["/", "/report", "/report/status", "/staff", "/field", "/api/v1/areas/610923102217/poster"]


@pytest.mark.parametrize("url", PAGES)
def test_no_page_breaks_its_own_content_security_policy(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__violations") == []


def test_the_outbox_waits_on_503_and_honours_retry_after(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/report")
    # The server's answer while the database is gone (tests/security/test_outage.py).
    page.route(
        "**/api/v1/self-reports",
        lambda route: route.fulfill(
            status=503,
            headers={"Retry-After": "5", "Content-Type": "application/json"},
            body='{"error":"database_unavailable","message":"数据库暂时无法连接,请稍后再试"}',
        ),
    )
    outcome = page.evaluate(
        """async () => {
            const { request } = await import('/static/js/lib/queue.js');
            const o = await request('/api/v1/self-reports', { method: 'POST' }, () => true);
            return { kind: o.kind, reason: o.reason, wait: o.wait };
        }"""
    )
    assert outcome == {"kind": "later", "reason": "server", "wait": 5}
