"""The one settings class: every knob comes from SHOUWANG_* environment variables or .env."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me-0123456789abcdef"
DEV_DATA_KEY = "dev-data-key-change-me-0123456789abcdef"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUWANG_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    # Unset: SQLite in data_dir (data_dir/shouwang.db).
    database_url: str = ""
    data_dir: Path = Path("./data")
    # PostgreSQL only: a streaming replica that answers the GET requests (pure reads).
    read_database_url: str = ""
    # PostgreSQL through PgBouncer in transaction mode (deploy/pgbouncer.ini).
    database_pgbouncer: bool = False

    # Signs access tokens. Outside development it must be set to a long random value.
    secret_key: str = DEV_SECRET
    # Encrypts ID numbers at rest and keys their look-up hash; losing it loses the numbers.
    data_key: str = DEV_DATA_KEY
    # While rotating (`shouwang rotate-data-key`): the previous data key(s), comma-separated,
    # still read and matched until every row is re-encrypted under data_key.
    old_data_keys: str = ""

    jwt_issuer: str = "shouwang"
    jwt_audience: str = "shouwang-api"
    access_token_minutes: int = 60

    # API clients (OAuth2 client credentials): their tokens' lifetime; how many requests a
    # client may make (the `limits` notation; a client may have its own); how many tokens
    # it may ask for.
    client_token_minutes: int = 15
    client_rate_limit: str = "600/minute"
    client_token_limit: str = "30/minute"
    # Webhooks: networks a subscription's URL may point into although they are not public
    # (loopback, private, link-local), comma-separated ("127.0.0.0/8" for a local test
    # receiver). Empty: only public addresses.
    webhook_allowed_networks: str = ""
    webhook_timeout_seconds: float = 10.0

    # After this many failed logins in a row the account waits, then is locked.
    login_slowdown_after: int = 3
    login_lock_after: int = 6
    login_lock_minutes: int = 15

    page_size_max: int = 200
    # Requests inside the app at once per process; more wait their turn (core/inflight.py).
    max_requests_in_flight: int = 150
    upload_max_bytes: int = 10 * 1024 * 1024
    # Photos a farmer sent with a report that was rejected are deleted this many days after
    # the decision (the worker, nightly): kept for appeals and inspection, then not longer.
    rejected_photo_retention_days: int = 180

    # 一键报贫: receipts and decisions are texted through this gateway; empty: only logged.
    sms_gateway_url: str = ""
    sms_gateway_key: str = ""
    # Public report form limits (the `limits` notation). memory:// counts inside one process;
    # several workers share a count through e.g. redis://127.0.0.1:6379.
    report_limit_per_phone: str = "5/day"
    report_limit_per_address: str = "30/hour"
    # The public status look-up (receipt code + phone), so phones cannot be guessed.
    lookup_limit_per_address: str = "60/hour"
    lookup_limit_per_code: str = "20/hour"
    rate_limit_storage: str = "memory://"

    # The worker (texts, nightly jobs). In process: a thread of `shouwang serve`; default on
    # for SQLite (one process does everything), off for PostgreSQL, where `shouwang worker`
    # runs as a process of its own.
    worker_in_process: bool | None = None
    # How often an idle worker looks for due jobs (a job this process enqueues wakes it).
    worker_poll_seconds: float = 1.0
    # How long a worker holds a job it took; past that, another worker takes it again.
    worker_lease_seconds: int = 300
    # Addresses of the reverse proxies (nginx) whose X-Forwarded-For/-Proto are believed,
    # comma-separated ("127.0.0.1" behind a local nginx). Empty: none, the client address
    # is the connection's, whatever headers it sends (rate limits count it).
    forwarded_allow_ips: str = ""
    # `shouwang serve --workers N`: seconds a uvicorn worker may leave the supervisor's ping
    # unanswered before it is killed and replaced (uvicorn's own 5 s killed busy workers
    # starting under load).
    serve_healthcheck_seconds: int = 30

    @model_validator(mode="after")
    def _database_with_its_files(self) -> "Settings":
        # The embedded database lives beside the files it refers to: SHOUWANG_DATA_DIR alone
        # moves both (it used to move the files and leave the database in ./data).
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'shouwang.db'}"
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.env != "development" and self.env != "test":
            problems = [
                f"SHOUWANG_{name.upper()} 必须设为至少 32 个随机字符(现在{why})"
                for name, value, default in (
                    ("secret_key", self.secret_key, DEV_SECRET),
                    ("data_key", self.data_key, DEV_DATA_KEY),
                )
                if (why := _weak(value, default))
            ]
            if problems:
                raise ValueError(";".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_worker_in_process(self) -> bool:
        return self.is_sqlite if self.worker_in_process is None else self.worker_in_process


def _weak(value: str, default: str) -> str:
    """Why a key is unfit for production, or ""."""
    if not value:
        return "未设置"
    if value == default:
        return "是开发用的默认值"
    if len(value) < 32:
        return f"只有 {len(value)} 个字符"
    return ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
