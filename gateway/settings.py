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

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):])
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
