"""Passwords, access tokens, and the protection of ID numbers (encrypted, hashed, masked)."""

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from operator import mul
from typing import Any, TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jose import JWTError, jwt

from backend.core import clock
from backend.core.settings import get_settings

JWT_ALGORITHM = "HS256"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not reveal it;
    made on first use (made at import, it cost every CLI command and worker 0.3 s of CPU)."""
    return _hasher.hash("not-a-real-password")


def create_access_token(
    *, subject: uuid.UUID, minutes: int | None = None, extra: dict[str, Any] | None = None
) -> tuple[str, int]:
    """A signed token for `subject` (a user id) and its lifetime in seconds; `extra` claims
    (an API client's id, scopes and secret version) are signed with it."""
    settings = get_settings()
    lifetime = (minutes or settings.access_token_minutes) * 60
    # The wall clock, not clock.now(): python-jose checks exp against the wall clock, so a
    # token stamped on a frozen or shifted clock would be refused or outlive its minutes.
    issued = datetime.now(UTC)  # noqa: TID251
    claims = {
        "sub": str(subject),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=lifetime)).timestamp()),
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM), lifetime


def decode_access_token(token: str) -> uuid.UUID | None:
    """The user id in a valid token, or None. The algorithm is pinned; exp, iss, aud checked."""
    claims = decode_claims(token)
    return claims["sub"] if claims else None


def decode_claims(token: str) -> dict[str, Any] | None:
    """The claims of a valid token (`sub` as a UUID), or None: the same checks as
    decode_access_token."""
    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            # python-jose checks aud and iss only when the token has them: a token signed
            # with our key but without them (made for another purpose) must not pass.
            options={
                "require_exp": True,
                "require_sub": True,
                "require_iat": True,
                "require_aud": True,
                "require_iss": True,
            },
        )
        return {**claims, "sub": uuid.UUID(claims["sub"])}
    except (JWTError, ValueError, KeyError, TypeError):
        return None


# --- ID numbers (身份证号, GB 11643) -------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number_check_digit(body: str) -> str:
    """The 18th character (GB 11643 check digit, or X) that the first 17 digits call for."""
    if len(body) != len(_WEIGHTS):
        raise ValueError("an ID number's body is 17 digits")
    # map over the digits: an import checks a county's 300,000 numbers (py-spy: the
    # generator's per-digit frames were a twentieth of it).
    return _CHECK[sum(map(mul, map(int, body), _WEIGHTS)) % 11]


def id_number_problem(value: str, today: date | None = None) -> str | None:
    """Why `value` is not a valid 18-character ID number, in Chinese; None if it is.
    `today`: passed by a caller judging many at once (the clock read once)."""
    if len(value) != 18:
        return "应为 18 位"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "前 17 位应为数字,最后一位为数字或 X"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "其中的出生日期不存在"
    if born >= (today or clock.today()) or born.year < 1890:
        return "其中的出生日期不合理"
    if id_number_check_digit(value[:17]) != value[17]:
        return "校验位不正确,请核对"
    return None


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_of(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def mask_id_number(value: str) -> str:
    return value[:6] + "*" * 8 + value[-4:]


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


@lru_cache
def _keys(data_key: str) -> tuple[Fernet, bytes]:
    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            data_key.encode()
        )

    fernet = Fernet(base64.urlsafe_b64encode(derive(b"shouwang id-number encryption")))
    return fernet, derive(b"shouwang id-number lookup")


def _all_keys() -> list[tuple[Fernet, bytes]]:
    """The current data key's, then those of the old keys still being rotated away from
    (`SHOUWANG_OLD_DATA_KEYS`): a row not yet re-encrypted stays readable and findable."""
    settings = get_settings()
    old = [k.strip() for k in settings.old_data_keys.split(",") if k.strip()]
    return [_keys(key) for key in [settings.data_key, *old]]


def encrypt_id_number(value: str) -> str:
    fernet, _ = _keys(get_settings().data_key)
    return fernet.encrypt(value.encode()).decode()


def decrypt_id_number(token: str) -> str:
    try:
        return MultiFernet([f for f, _ in _all_keys()]).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong data key is an operator error, not a user's
        raise RuntimeError("ID number cannot be decrypted: check SHOUWANG_DATA_KEY") from exc


def decrypt_id_numbers(tokens: Iterable[str]) -> Iterator[str]:
    """`decrypt_id_number` for many (a check run over a county's members): the keys read
    and the decrypter made once, not per number."""
    keys = MultiFernet([f for f, _ in _all_keys()])
    for token in tokens:
        try:
            yield keys.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise RuntimeError("ID number cannot be decrypted: check SHOUWANG_DATA_KEY") from exc


def under_current_key(token: str) -> bool:
    """Whether a stored cipher is already the current data key's (rotation skips it)."""
    fernet, _ = _keys(get_settings().data_key)
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def id_number_hash(value: str) -> str:
    """Keyed hash for finding and de-duplicating people without decrypting every row."""
    _, key = _keys(get_settings().data_key)
    return hmac.new(key, normalize_id_number(value).encode(), hashlib.sha256).hexdigest()


def id_number_hashes(value: str) -> list[str]:
    """The hash under the current key, then under each old key: what a look-up matches
    while `shouwang rotate-data-key` has not yet reached every row."""
    person = normalize_id_number(value).encode()
    return [hmac.new(key, person, hashlib.sha256).hexdigest() for _, key in _all_keys()]


@lru_cache
def _secret_box(data_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"shouwang secrets").derive(
        data_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(value: str) -> str:
    """A secret the app must read back (a webhook's signing key), encrypted at rest."""
    return _secret_box(get_settings().data_key).encrypt(value.encode()).decode()


def decrypt_secret(token: str) -> str:
    settings = get_settings()
    old = [k.strip() for k in settings.old_data_keys.split(",") if k.strip()]
    boxes = MultiFernet([_secret_box(key) for key in [settings.data_key, *old]])
    try:
        return boxes.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("secret cannot be decrypted: check SHOUWANG_DATA_KEY") from exc


def secret_under_current_key(token: str) -> bool:
    """Whether a stored secret is already the current data key's (rotation skips it)."""
    try:
        _secret_box(get_settings().data_key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class IdNumberColumns(TypedDict):
    id_number_cipher: str | None
    id_number_hash: str | None


def id_number_columns(id_number: str | None) -> IdNumberColumns:
    """The two columns a person's ID number is stored in (`id_number_cipher`, to show it
    masked or whole; `id_number_hash`, to find the person), both None without one."""
    if not id_number:
        return {"id_number_cipher": None, "id_number_hash": None}
    return {
        "id_number_cipher": encrypt_id_number(id_number),
        "id_number_hash": id_number_hash(id_number),
    }


def mask_value(key: str, value: Any) -> Any:
    """How a value appears in audit rows and logs."""
    if value is None:
        return None
    # Any field holding one (phone, reporter_phone, cadre_phone…), not just the plain name.
    if key.endswith("id_number") and isinstance(value, str):
        return mask_id_number(value)
    if key.endswith("phone") and isinstance(value, str):
        return mask_phone(value)
    return value
