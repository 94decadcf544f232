from datetime import timedelta
from pathlib import Path

import pytest
from jose import jwt

from backend.core import clock, security
from backend.core.settings import DEV_SECRET, Settings


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002X", None),
        ("110105194912310021", "校验位不正确,请核对"),
        ("11010519491331002X", "其中的出生日期不存在"),
        ("1101051949123100", "应为 18 位"),
        ("11010A19491231002X", "前 17 位应为数字,最后一位为数字或 X"),
    ],
)
def test_id_number_check_digit(value: str, problem: str | None) -> None:
    assert security.id_number_problem(value) == problem


def test_id_number_birth_date_must_be_past() -> None:
    from tests.factories import id_number

    future = clock.today() + timedelta(days=400)
    assert security.id_number_problem(id_number(future)) == "其中的出生日期不合理"


def test_id_numbers_are_encrypted_hashed_and_masked() -> None:
    number = "11010519491231002X"
    token = security.encrypt_id_number(number)
    assert number not in token
    assert security.decrypt_id_number(token) == number
    assert security.id_number_hash(number) == security.id_number_hash(number.lower())
    assert security.mask_id_number(number) == "110105********002X"


def test_token_algorithm_is_pinned_and_claims_checked() -> None:
    import uuid

    uid = uuid.uuid4()
    token, _ = security.create_access_token(subject=uid)
    assert security.decode_access_token(token) == uid
    claims = jwt.get_unverified_claims(token)
    assert set(claims) == {"sub", "iss", "aud", "iat", "exp", "jti"}  # nothing personal
    # A token without a signature ("alg": "none") is refused.
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    unsigned = (
        token.rsplit(".", 1)[0].replace(token.split(".")[0], "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0")
        + "."
    )
    assert security.decode_access_token(unsigned) is None
    # Wrong audience, wrong issuer, or expired: refused.
    for change in ({"aud": "other"}, {"iss": "other"}, {"exp": 1}):
        forged = jwt.encode({**claims, **change}, DEV_SECRET, algorithm="HS256")
        assert security.decode_access_token(forged) is None
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    assert security.decode_access_token(jwt.encode(no_exp, DEV_SECRET, algorithm="HS256")) is None


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValueError, match="DATA_KEY"):
        Settings(env="production", secret_key="x" * 40)
    assert Settings(env="production", secret_key="x" * 40, data_key="y" * 40).env == "production"


def test_the_embedded_database_moves_with_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SHOUWANG_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHOUWANG_DATA_DIR", str(tmp_path))
    assert Settings(_env_file=None).database_url == f"sqlite:///{tmp_path}/shouwang.db"
    assert Settings(_env_file=None, data_dir="data").database_url == "sqlite:///data/shouwang.db"
    monkeypatch.setenv("SHOUWANG_DATABASE_URL", "postgresql://db/shouwang")
    assert Settings(_env_file=None).database_url == "postgresql://db/shouwang"
