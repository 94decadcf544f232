"""Each domain registers the Chinese names of its own fields; a field has one name."""

import subprocess
import sys
from pathlib import Path

import pytest

from backend.core.errors import FIELD_LABELS, Invalid, register_labels

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("domain", "field", "shown"),
    [
        ("accounts", "username", "用户名(username)"),
        ("households", "helper_id", "帮扶责任人(helper_id)"),
        ("visits", "visited_at", "走访时间(visited_at)"),
        ("reports", "photo_ids", "照片(photo_ids)"),
        ("rectification", "deadline", "整改时限(deadline)"),
        ("files", "file", "文件(file)"),
        ("workdays", "area_code", "所属地区(area_code)"),
    ],
)
def test_importing_a_domain_registers_its_labels(domain: str, field: str, shown: str) -> None:
    # A fresh interpreter: in this one every domain is imported already.
    code = (
        f"import backend.{domain}\n"
        "from backend.core.errors import Invalid\n"
        f"print(Invalid({field!r}, '不对').message)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"{shown}:不对"


def test_a_field_has_one_label_whichever_domain_names_it() -> None:
    register_labels({"name": "姓名"})  # the same name again is fine
    with pytest.raises(ValueError, match="name"):
        register_labels({"name": "名称"})
    assert FIELD_LABELS["name"] == "姓名"
    assert Invalid("members.0.name", "太长").message == "姓名(members.0.name):太长"
