"""Settings from the environment (prefix IWMO_) and an optional settings file (IWMO_CONFIG_FILE)."""

from __future__ import annotations

import enum
import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(enum.StrEnum):
    """How rules that need an earlier message behave when the gateway has not seen that message.

    strict: the rule fails (the earlier message must be known here);
    lenient: the rule is skipped and the gap is recorded as a notice (e.g. history from before installation).
    """

    STRICT = "strict"
    LENIENT = "lenient"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IWMO_",
        env_file=os.environ.get("IWMO_CONFIG_FILE"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = Field(default="sqlite:///var/iwmo-gateway.db", description="SQLAlchemy URL")
    # The parties this gateway serves: 4-digit gemeentecodes and/or 8-digit AGB codes.
    identiteit: list[str] = Field(default_factory=list)
    mode: Mode = Mode.LENIENT
    max_bericht_bytes: int = 20 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    # Transport: where messages go (routing table) and how long the outbox keeps trying.
    routes_file: str = Field(default="config/routes.toml", description="routing table (TOML)")
    # Digikoppeling's reliable-messaging default: keep retrying for 5 days before giving up.
    transport_horizon_s: int = 5 * 24 * 3600
    transport_retry_basis_s: float = 30.0  # first retry after about this long, doubling per attempt
    transport_retry_max_s: float = 3600.0  # never wait longer than this between attempts
    transport_lease_s: int = 300  # a worker that died mid-send frees its delivery after this long
    transport_timeout_s: float = 30.0
    worker_interval_s: float = 2.0
    # When set, the GGk hub must present this bearer token on POST /ggk.
    ggk_inbound_token: str | None = None
    # Retention (gateway/store/retentie.py): None keeps everything. The feiten term must cover the longest
    # back-reference between parties (a running toewijzing, a late credit), or strict mode starts refusing.
    bewaartermijn_inhoud_dagen: int | None = Field(default=None, ge=1)
    bewaartermijn_feiten_dagen: int | None = Field(default=None, ge=1)
    # Admin console: the secret that signs session cookies. Unset, each process draws its own, so sessions end
    # at a restart and do not carry over between processes; set it when running several.
    admin_secret: str | None = Field(default=None, min_length=32)
    admin_sessie_minuten: int = Field(default=8 * 60, ge=1)

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):])
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
