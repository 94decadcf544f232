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
from backend.core.errors import FIELD_LABELS
from backend.households.models import (
    BASIC_NEED_NAMES,
    CATEGORY_NAMES,
    EMPLOYMENT_NAMES,
    HEALTH_NAMES,
    LABOUR_NAMES,
    MEASURE_NAMES,
    MEASURE_STATUS_NAMES,
    RELATION_NAMES,
    RISK_NAMES,
    SCHOOLING_NAMES,
    TYPE_NAMES,
)
from backend.households.models import STATUS_NAMES as MONITORING_STATUS_NAMES
from backend.rectification.models import CATEGORY_NAMES as PROBLEM_CATEGORY_NAMES
from backend.rectification.models import SEVERITY_NAMES, SOURCE_NAMES
from backend.rectification.models import STATUS_NAMES as PROBLEM_STATUS_NAMES
from backend.reports.models import KIND_NAMES as REPORT_KIND_NAMES
from backend.reports.models import STATUS_NAMES as REPORT_STATUS_NAMES
from backend.warnings.models import SOURCE_NAMES as WARNING_SOURCE_NAMES
from backend.warnings.models import WARNING_STATUS_NAMES

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
STATIC = FRONTEND / "static"
TEMPLATES = FRONTEND / "templates"
# What a template needs: the static files it names (src, href, module.entry) and its parent.
# Files no page names are not precached: the 512-pixel icons (the browser fetches them itself
# for the install prompt and the splash screen) and the printable documents' styles (those
# pages are rendered by the server from live data, so they never open offline anyway).
_REFERENCE = re.compile(r"""["'](/static/[^"'{}]+|/manifest\.webmanifest)["']""")
_EXTENDS = re.compile(r"""{%-?\s*extends\s+["']([^"']+)["']""")
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
        "warning_source": plain(WARNING_SOURCE_NAMES),
        "warning_status": plain(WARNING_STATUS_NAMES),
        # The household card's forms: members and measures.
        "relation": plain(RELATION_NAMES),
        "health": plain(HEALTH_NAMES),
        "schooling": plain(SCHOOLING_NAMES),
        "labour": plain(LABOUR_NAMES),
        "employment": plain(EMPLOYMENT_NAMES),
        "measure_kind": plain(MEASURE_NAMES),
        "measure_status": plain(MEASURE_STATUS_NAMES),
        # Every field's Chinese name (the audit trail names what changed by them).
        "field": dict(FIELD_LABELS),
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


@dataclass(frozen=True)
class Section:
    """Pages that share one template, and every file that template needs."""

    pages: list[str]
    files: list[str]


@dataclass(frozen=True)
class Shell:
    version: str
    # Precached when the worker installs: the public pages (a farmer's first visit, from the
    # village's QR poster, is all a phone on 3G should pay for) and everything they need.
    files: list[str]
    # Precached when one of their pages is open (or was held by the previous version).
    sections: list[Section]


def _needs(template: str) -> list[str]:
    """The static files a template names (its parents' too), and every module they import."""
    found: list[str] = []
    name: str | None = template
    while name:
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        found.extend(_REFERENCE.findall(text))
        parent = _EXTENDS.search(text)
        name = parent.group(1) if parent else None
    out: list[str] = []
    for url in found:
        for one in (url, *_graph(url)) if url.endswith(".js") else (url,):
            if one not in out:
                out.append(one)
    return out


def _graph(entry: str) -> list[str]:
    seen: list[str] = []
    todo = [entry]
    while todo:
        url = todo.pop()
        file = STATIC / url.removeprefix("/static/")
        if url in seen or not file.is_file():
            continue
        seen.append(url)
        todo.extend(_IMPORT.findall(file.read_text(encoding="utf-8")))
    return seen[1:]


@lru_cache(maxsize=4)
def _shell(
    signature: tuple[tuple[str, int, int], ...], pages: tuple[tuple[str, str, bool], ...]
) -> Shell:
    digest = hashlib.sha256()
    for name, _, _ in signature:
        digest.update(name.removeprefix(str(FRONTEND)).encode() + b"\0")
        digest.update(Path(name).read_bytes() + b"\0")
    # The names are rendered into the pages, so a changed name is a changed page.
    digest.update(json.dumps(vocabulary(), sort_keys=True, ensure_ascii=False).encode())
    first: list[str] = []
    by_template: dict[str, Section] = {}
    for path, template, public in pages:
        if public:
            first.extend(f for f in (path, *_needs(template)) if f not in first)
        else:
            section = by_template.setdefault(template, Section([], _needs(template)))
            section.pages.append(path)
    sections = [
        Section(s.pages, [*s.pages, *(f for f in s.files if f not in first)])
        for s in by_template.values()
    ]
    return Shell(version=digest.hexdigest()[:16], files=first, sections=sections)


# Every page of the app, added by add_page() where its route is declared: path → (template,
# public).
_PAGES: dict[str, tuple[str, bool]] = {}


def add_page(
    router: FastAPI | APIRouter, path: str, template: str, *, public: bool = False
) -> None:
    """Serve one template of the app's shell at `path`; the worker precaches it (a public
    page when it installs, any other when a page of its template is first opened)."""
    router.add_api_route(
        path,
        page(template),
        methods=["GET"],
        include_in_schema=False,
        response_class=HTMLResponse,
    )
    _PAGES[path] = (template, public)


def _pages() -> tuple[tuple[str, str, bool], ...]:
    return tuple((path, *_PAGES[path]) for path in sorted(_PAGES))


def shell(app: FastAPI) -> Shell:
    """The shell as the files are now: every page and the files it needs, and a version that
    is a hash of all their content, so any change reaches installed apps as a new worker."""
    return _shell(_signature(), _pages())


def service_worker(app: FastAPI) -> Response:
    current = shell(app)
    listed = {
        "version": current.version,
        "files": current.files,
        "sections": [{"pages": s.pages, "files": s.files} for s in current.sections],
    }
    head = (
        "// Computed by backend/pwa.py from the files themselves (a content hash), never by hand.\n"
        f"const SHELL = {json.dumps(listed)};\n"
    )
    return Response(
        head + (STATIC / "sw.js").read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@lru_cache(maxsize=64)
def _imports(path: str, signature: tuple[tuple[str, int, int], ...]) -> tuple[str, ...]:
    return tuple(_graph(path))


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
