"""The shouwang command, run as a newcomer would run it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {
        **os.environ,
        "SHOUWANG_DATA_DIR": str(tmp_path),
        "SHOUWANG_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
    )


def create_user(
    tmp_path: Path, name: str, role: str, area: str
) -> subprocess.CompletedProcess[str]:
    return run(
        tmp_path, "create-user", name, "--role", role, "--area", area, "--password", "long-enough-1"
    )


def test_migrate_import_and_create_user(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    areas = tmp_path / "a.csv"
    areas.write_text(
        "code,name,level,parent_code\n62,甘肃省,province,\n6204,白银市,city,62\n", encoding="utf-8"
    )
    imported = run(tmp_path, "import-areas", str(areas))
    assert imported.returncode == 0 and "已导入 2 个地区" in imported.stdout
    made = create_user(tmp_path, "baiyin", "county_officer", "6204")
    assert made.returncode == 0, made.stderr
    again = create_user(tmp_path, "baiyin", "county_officer", "6204")
    assert again.returncode == 2 and "用户名已被使用" in again.stderr
    bad_name = create_user(tmp_path, "x", "helper", "6204")
    assert bad_name.returncode == 2 and "用户名(username):格式不对" in bad_name.stderr
    bad_area = create_user(tmp_path, "xyz", "helper", "6299")
    assert bad_area.returncode == 2 and "没有这个地区代码" in bad_area.stderr
    bad_csv = tmp_path / "b.csv"
    bad_csv.write_text("code,name,level,parent_code\n620,错,county,62\n", encoding="utf-8")
    assert run(tmp_path, "import-areas", str(bad_csv)).returncode != 0


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    env = {
        "SHOUWANG_ENV": "production",
        "SHOUWANG_SECRET_KEY": "s" * 40,
        "SHOUWANG_DATA_KEY": "d" * 40,
    }
    assert run(tmp_path, "migrate", env=env).returncode == 0
    refused = run(tmp_path, "seed-demo", env=env)
    assert refused.returncode == 2
    assert "生产环境不能载入演示数据" in refused.stderr


def test_the_demo_loads_and_every_check_finds_something_in_it(tmp_path: Path) -> None:
    """`make run`'s steps, then a check run as a county officer would start it. A subprocess:
    on the machine's own day, as a newcomer gets it (the demo is built relative to today)."""
    assert run(tmp_path, "migrate").returncode == 0
    seeded = run(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    checked = run(tmp_path, "run-checks", "--area", "620422")
    assert checked.returncode == 0, checked.stderr
    from backend.checks.catalogue import CHECKS

    counts = {
        line.split()[0]: int(line.rsplit(":", 1)[1])
        for line in checked.stdout.splitlines()
        if line.startswith("  ")
    }
    assert set(counts) == set(CHECKS), counts
    assert [code for code, n in counts.items() if n < 1] == [], counts
