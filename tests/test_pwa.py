"""The PWA's shell as the server computes it: every page and static file listed, a version
that follows the files' content, pages that preload their module graph and offer the
server's own names."""

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend import pwa
from backend.main import create_app


def _shell(client: TestClient) -> dict:  # type: ignore[type-arg]
    body = client.get("/sw.js").text
    found = re.match(r"^//.*\nconst SHELL = (\{.*\});\n", body)
    assert found, body[:200]
    return json.loads(found.group(1))


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The front end copied aside, so a test may change a file as a release would."""
    front = tmp_path / "frontend"
    shutil.copytree(pwa.FRONTEND, front)
    monkeypatch.setattr(pwa, "FRONTEND", front)
    monkeypatch.setattr(pwa, "STATIC", front / "static")
    monkeypatch.setattr(pwa, "TEMPLATES", front / "templates")
    return front


def test_the_worker_installs_the_farmers_pages_and_lists_each_section(copy: Path) -> None:
    client = TestClient(create_app())
    response = client.get("/sw.js")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    shell = _shell(client)
    files = set(shell["files"])
    # Installed at once: the public pages and what they need, none of the staff shell.
    assert {"/", "/report", "/report/status", "/manifest.webmanifest"} <= files
    assert {"/static/css/app.css", "/static/js/lib/pwa.js", "/static/icons/icon-192.png"} <= files
    assert {"/static/js/report/outbox.js", "/static/js/lib/queue.js"} <= files  # two levels
    assert not any(f.startswith(("/static/js/staff/", "/static/js/field/")) for f in files)
    assert not {"/staff", "/field"} & files
    # Every other page is in a section with everything its template needs.
    sections = {tuple(s["pages"]): set(s["files"]) for s in shell["sections"]}
    staff = sections[("/coverage", "/dashboard", "/rectification", "/staff")]
    assert {"/staff", "/static/js/staff/main.js", "/static/js/rectification/problems.js"} <= staff
    assert "/static/js/lib/chart.js" in staff  # imported by a staff module
    field = sections[("/field",)]
    assert {"/field", "/static/js/field/main.js", "/static/js/field/visit-form.js"} <= field
    # Every page of the app is somewhere; files no page names are not precached (the install
    # prompt's large icons, the printable documents' styles).
    everything = files.union(*sections.values())
    assert {"/", "/staff", "/rectification", "/coverage", "/dashboard", "/field"} <= everything
    assert not {"/static/icons/icon-512.png", "/static/css/poster.css"} & everything
    assert "/sw.js" not in everything and not any(f.startswith("/api/") for f in everything)
    assert re.fullmatch(r"[0-9a-f]{16}", shell["version"])


def test_a_changed_or_added_file_changes_the_version(copy: Path) -> None:
    client = TestClient(create_app())
    first = _shell(client)
    assert _shell(client) == first  # nothing changed, nothing new
    css = copy / "static" / "css" / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* release 2 */\n", encoding="utf-8")
    second = _shell(client)
    assert second["version"] != first["version"] and second["files"] == first["files"]
    (copy / "static" / "js" / "lib" / "extra.js").write_text("export const x = 1;\n")
    third = _shell(client)
    assert third["version"] != second["version"]
    # A module the farmer's page imports is precached with it, without anyone listing it.
    main = copy / "static" / "js" / "report" / "main.js"
    main.write_text('import "/static/js/lib/extra.js";\n' + main.read_text(encoding="utf-8"))
    assert "/static/js/lib/extra.js" in _shell(client)["files"]


def test_pages_preload_their_whole_module_graph_and_carry_the_vocabulary(copy: Path) -> None:
    client = TestClient(create_app())
    page = client.get("/report").text
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    # report/main.js → report/outbox.js → lib/queue.js (two levels down) is preloaded too.
    assert {"/static/js/report/outbox.js", "/static/js/lib/queue.js"} <= preloaded
    assert not any("/staff/" in p or "/rectification/" in p for p in preloaded)
    staff = client.get("/staff").text
    words = json.loads(re.search(r'id="vocabulary">(.*?)</script>', staff).group(1))  # type: ignore[union-attr]
    assert words["report_status"]["enrolled"] == "已纳入监测帮扶"
    assert words["report_kind"]["clearance_proposal"] == "风险消除申请"
    assert list(words["basic_needs"])[:2] == ["food", "clothing"]  # the dictionaries' order
    assert client.get("/rectification").text == staff  # the same shell, its own section
