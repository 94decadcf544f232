"""The installable app's shell: its templates, the service worker with a shell list and version
computed from the files themselves, and the names the pages' forms offer."""

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRouter
from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from backend.core.enums import plain
from backend.households.models import (
    BASIC_NEED_NAMES,
    CATEGORY_NAMES,
    RISK_NAMES,
    TYPE_NAMES,
)
from backend.households.models import STATUS_NAMES as MONITORING_STATUS_NAMES
from backend.rectification.models import CATEGORY_NAMES as PROBLEM_CATEGORY_NAMES
from backend.rectification.models import SEVERITY_NAMES, SOURCE_NAMES
from backend.rectification.models import STATUS_NAMES as PROBLEM_STATUS_NAMES
from backend.reports.models import KIND_NAMES as REPORT_KIND_NAMES
from backend.reports.models import STATUS_NAMES as REPORT_STATUS_NAMES

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
STATIC = FRONTEND / "static"
TEMPLATES = FRONTEND / "templates"
# Static files served from the root: the worker's scope must cover the whole app, and the
# manifest is linked from every page by this address.
ROOT_FILES = {"sw.js": "/sw.js", "manifest.webmanifest": "/manifest.webmanifest"}
# Static files the worker does not precache: the 512-pixel icons are for the install prompt
# and the splash screen, which the browser fetches itself while online; no page shows them.
# Precached, they were 6.8 KB (PNG does not compress) of a farmer's first load of /report.
NOT_PRECACHED = frozenset({"icons/icon-512.png", "icons/icon-maskable-512.png"})
_IMPORT = re.compile(
    r"""(?:^|;|\s)(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["'](/static/js/[^"']+)["']"""
)


def vocabulary() -> dict[str, dict[str, str]]:
    """The choices a form offers, in the server's words (the same dictionaries the API's
    `*_name` fields come from): rendered into each page, so no script keeps a copy."""
    return {
        "risk_type": plain(RISK_NAMES),
        "basic_needs": plain(BASIC_NEED_NAMES),
        "category": plain(CATEGORY_NAMES),
        "monitoring_status": plain(MONITORING_STATUS_NAMES),
        "monitoring_type": plain(TYPE_NAMES),
        "report_status": plain(REPORT_STATUS_NAMES),
        "report_kind": plain(REPORT_KIND_NAMES),
        "problem_status": plain(PROBLEM_STATUS_NAMES),
        "problem_category": plain(PROBLEM_CATEGORY_NAMES),
        "problem_source": plain(SOURCE_NAMES),
        "severity": plain(SEVERITY_NAMES),
    }


def _files() -> list[Path]:
    return sorted(p for root in (STATIC, TEMPLATES) for p in root.rglob("*") if p.is_file())


def _signature() -> tuple[tuple[str, int, int], ...]:
    # Cheap to take on every request: a changed, added or removed file changes it.
    out = []
    for p in _files():
        st = os.stat(p)
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _url(path: Path) -> str:
    rel = path.relative_to(STATIC).as_posix()
    return ROOT_FILES.get(rel, f"/static/{rel}")


@dataclass(frozen=True)
class Shell:
    version: str
    files: list[str]


@lru_cache(maxsize=4)
def _shell(signature: tuple[tuple[str, int, int], ...], pages: tuple[str, ...]) -> Shell:
    digest = hashlib.sha256()
    for name, _, _ in signature:
        digest.update(name.removeprefix(str(FRONTEND)).encode() + b"\0")
        digest.update(Path(name).read_bytes() + b"\0")
    # The names are rendered into the pages, so a changed name is a changed page.
    digest.update(json.dumps(vocabulary(), sort_keys=True, ensure_ascii=False).encode())
    statics = [
        _url(Path(name))
        for name, _, _ in signature
        if Path(name).is_relative_to(STATIC)
        and _url(Path(name)) != "/sw.js"
        and Path(name).relative_to(STATIC).as_posix() not in NOT_PRECACHED
    ]
    return Shell(version=digest.hexdigest()[:16], files=[*pages, *statics])


# Every page of the app, added by add_page() where its route is declared.
_PAGES: set[str] = set()


def add_page(router: FastAPI | APIRouter, path: str, template: str) -> None:
    """Serve one template of the app's shell at `path`; the worker precaches it."""
    router.add_api_route(
        path,
        page(template),
        methods=["GET"],
        include_in_schema=False,
        response_class=HTMLResponse,
    )
    _PAGES.add(path)


def _pages() -> tuple[str, ...]:
    return tuple(sorted(_PAGES))


def shell(app: FastAPI) -> Shell:
    """The shell as the files are now: every page and static file, and a version that is a
    hash of their content, so any change reaches installed apps as a new worker."""
    return _shell(_signature(), _pages())


def service_worker(app: FastAPI) -> Response:
    current = shell(app)
    head = (
        "// Computed by backend/pwa.py from the files themselves (a content hash), never by hand.\n"
        f"const SHELL = {json.dumps({'version': current.version, 'files': current.files})};\n"
    )
    return Response(
        head + (STATIC / "sw.js").read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@lru_cache(maxsize=64)
def _imports(path: str, signature: tuple[tuple[str, int, int], ...]) -> tuple[str, ...]:
    seen: list[str] = []
    todo = [path]
    while todo:
        url = todo.pop()
        file = STATIC / url.removeprefix("/static/")
        if url in seen or not file.is_file():
            continue
        seen.append(url)
        todo.extend(_IMPORT.findall(file.read_text(encoding="utf-8")))
    return tuple(seen[1:])


def module_preloads(entry: str) -> list[str]:
    """Every module `entry` imports, however deep: listed in the page as modulepreload so a
    slow phone fetches them at once instead of one import level per round trip."""
    return list(_imports(entry, _signature()))


def vocabulary_json() -> Markup:
    """The vocabulary for a <script type="application/json"> element, in the dictionaries'
    own order (the checklist's order is the order of 两不愁三保障; Jinja's tojson sorts)."""
    return htmlsafe_json_dumps(vocabulary(), dumps=json.dumps, ensure_ascii=False)


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.globals["vocabulary_json"] = vocabulary_json
templates.env.globals["module_preloads"] = module_preloads


def page(name: str):  # type: ignore[no-untyped-def]
    """An endpoint rendering one template of the app's shell."""

    def render(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {})

    return render
