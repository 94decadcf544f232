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


def test_the_worker_lists_every_page_and_static_file(copy: Path) -> None:
    client = TestClient(create_app())
    response = client.get("/sw.js")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    shell = _shell(client)
    files = set(shell["files"])
    assert {"/", "/staff", "/field", "/report", "/report/status"} <= files
    statics = {
        "/static/" + p.relative_to(copy / "static").as_posix()
        for p in (copy / "static").rglob("*")
        if p.is_file()
    }
    statics -= {"/static/sw.js", "/static/manifest.webmanifest"}
    # The install prompt's large icons stay out: the browser fetches them online.
    big_icons = {"/static/icons/icon-512.png", "/static/icons/icon-maskable-512.png"}
    assert statics - big_icons <= files and "/manifest.webmanifest" in files
    assert not big_icons & files and "/static/icons/icon-192.png" in files
    assert "/sw.js" not in files and not any(f.startswith("/api/") for f in files)
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
    assert "/static/js/lib/extra.js" in third["files"]


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
