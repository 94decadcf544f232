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
    database_url: str = "sqlite:///./data/shouwang.db"
    data_dir: Path = Path("./data")
    # PostgreSQL only: a streaming replica that answers the GET requests (pure reads).
    read_database_url: str = ""
    # PostgreSQL through PgBouncer in transaction mode (deploy/pgbouncer.ini).
    database_pgbouncer: bool = False

    # Signs access tokens. Outside development it must be set to a long random value.
    secret_key: str = DEV_SECRET
    # Encrypts ID numbers at rest and keys their look-up hash; losing it loses the numbers.
    data_key: str = DEV_DATA_KEY

    jwt_issuer: str = "shouwang"
    jwt_audience: str = "shouwang-api"
    access_token_minutes: int = 60

    # After this many failed logins in a row the account waits, then is locked.
    login_slowdown_after: int = 3
    login_lock_after: int = 6
    login_lock_minutes: int = 15

    page_size_max: int = 200
    # Requests inside the app at once per process; more wait their turn (core/inflight.py).
    max_requests_in_flight: int = 150
    upload_max_bytes: int = 10 * 1024 * 1024

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

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.env != "development" and self.env != "test":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("SHOUWANG_SECRET_KEY must be set to 32+ random characters")
            if self.data_key == DEV_DATA_KEY or len(self.data_key) < 32:
                raise ValueError("SHOUWANG_DATA_KEY must be set to 32+ random characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
