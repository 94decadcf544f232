"""Security headers on every answer, page or API: no inline script runs, no other site may
frame us, no referrer leaves the site, HSTS once the request came over TLS."""

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders

# Scripts and styles only from our own files: an injected <script> or on*= handler does not
# run. Photos preview from blob: URLs; the poster's QR code is inline SVG (markup, not a
# style or script). The service worker and manifest are our own files too.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
}


def secure(headers: MutableHeaders, *, https: bool) -> None:
    """Add the security headers an answer has not set itself (a page with its own policy,
    like /docs, keeps it)."""
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if https:
        # Only over TLS: an HSTS header on plain HTTP is ignored, and on a LAN test box it
        # would pin the name to HTTPS for a year.
        headers.setdefault("Strict-Transport-Security", HSTS)


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def csp_allowing(html: str, *, sources: str) -> str:
    """A policy for a page we do not write (Swagger UI): its inline scripts by hash, its
    files (scripts, styles, icon) from `sources`, everything else as strict as ours."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        CSP.replace("script-src 'self'", f"script-src 'self' {sources} {hashes}")
        .replace("style-src 'self'", f"style-src 'self' {sources}")
        .replace("img-src 'self'", f"img-src 'self' {sources}")
    )
