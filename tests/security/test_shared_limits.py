"""Rate limits shared by every worker: with SHOUWANG_RATE_LIMIT_STORAGE=redis://… two
server processes count one farmer's reports together; with the default memory:// each
process counts alone; Redis gone answers 503 with Retry-After, never a 500 or a free pass."""

import socket
import uuid
from pathlib import Path

import httpx
import pytest

from backend.core.errors import Unavailable
from backend.core.settings import get_settings
from backend.reports import throttle
from tests.clusters import BIN, app_env, prepare, server, spare_port
from tests.factories import LENGSHUIGOU

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def _report(base: str, phone: str) -> httpx.Response:
    body = {
        "id": str(uuid.uuid4()),
        "area_code": LENGSHUIGOU,
        "name": "限额",
        "phone": phone,
        "risk_types": ["illness"],
    }
    return httpx.post(f"{base}/api/v1/self-reports", json=body, timeout=60)


@pytest.mark.cluster
@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_two_servers_share_one_limit_through_redis(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shouwang.db"
    prepare(url, [], "unused-password-1")
    env = app_env(
        database_url=url,
        data_dir=str(tmp_path),
        rate_limit_storage="redis://127.0.0.1:6379",
        report_limit_per_phone="3/day",
    )
    # A phone of its own: Redis outlives the test, and other runs count other phones.
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    ports = [spare_port(), spare_port()]
    args = [str(BIN / "shouwang"), "serve", "--host", "127.0.0.1", "--port"]
    with (
        server([*args, str(ports[0])], env, ports[0], tmp_path / "a.log"),
        server([*args, str(ports[1])], env, ports[1], tmp_path / "b.log"),
    ):
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        answers = [_report(base, phone).status_code for base in (a, b, a, b)]
        refused = _report(b, phone)
    # Three reports in all, whichever process took them; the fourth is refused by both.
    assert answers == [201, 201, 201, 429]
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_reports"
    assert "这个手机号" in refused.json()["message"]
    assert int(refused.headers["Retry-After"]) > 0


def test_memory_is_the_default() -> None:
    assert get_settings().rate_limit_storage == "memory://"


def test_redis_gone_answers_503(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on this port: the count cannot be read, so nothing is admitted.
    monkeypatch.setattr(get_settings(), "rate_limit_storage", f"redis://127.0.0.1:{spare_port()}")
    with pytest.raises(Unavailable) as refused:
        throttle.admit_report(phone="13900001111", address="203.0.113.7")
    assert refused.value.status == 503
    assert refused.value.code == "limits_unavailable"
    assert refused.value.headers == {"Retry-After": "5"}
