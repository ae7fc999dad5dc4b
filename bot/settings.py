"""Settings: one pydantic-settings class read from the environment and `.env`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.redact import redact
from bot.shards import ShardSpec

# A bot token is three dot-separated base64url parts (user id, timestamp, HMAC).
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")

IdList = Annotated[list[int], NoDecode]
# PostgreSQL connection strings (the store reached over the network, shared by several processes).
DB_URL_PREFIXES = ("postgresql://", "postgres://")
SQLITE_URL = "sqlite:///"  # sqlite:///relative.db, sqlite:////absolute/path.db


class Settings(BaseSettings):
    """Everything threadreplay reads from its environment; `.env.example` documents every key."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    # A Path for a SQLite file (also given as sqlite:///…), the URL string for PostgreSQL.
    db: Path | str = Field(default=Path("threadreplay.db"), validation_alias="THREADREPLAY_DB")
    seeds: Path = Field(default=Path("seeds"), validation_alias="THREADREPLAY_SEEDS")
    dev_guild: int | None = Field(default=None, validation_alias="THREADREPLAY_DEV_GUILD")
    owner_ids: IdList = Field(default_factory=list, validation_alias="THREADREPLAY_OWNER_IDS")
    admin_role_ids: IdList = Field(
        default_factory=list, validation_alias="THREADREPLAY_ADMIN_ROLE_IDS"
    )
    watch: bool = Field(default=False, validation_alias="THREADREPLAY_WATCH")
    watch_settle: float = Field(default=2.0, gt=0, validation_alias="THREADREPLAY_WATCH_SETTLE")
    time_scale: float = Field(default=1.0, gt=0, le=1.0, validation_alias="THREADREPLAY_TIME_SCALE")
    avatars: str = Field(default="generated", validation_alias="THREADREPLAY_AVATARS")
    shards: Annotated[ShardSpec | None, NoDecode] = Field(
        default=None, validation_alias="THREADREPLAY_SHARDS"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="THREADREPLAY_LOG_LEVEL"
    )

    @field_validator("owner_ids", "admin_role_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` (or spaces) as well as a JSON list."""
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,]+", value.strip().strip("[]")) if part]
        return value

    @field_validator("db", mode="before")
    @classmethod
    def _db_location(cls, value: object) -> object:
        """A database URL stays a string (a Path would fold its `//`); anything else is a file."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.lower().startswith(DB_URL_PREFIXES):
            return text
        if text.lower().startswith(SQLITE_URL):
            return Path(text[len(SQLITE_URL) :])
        if "://" in text:
            raise ValueError(
                "THREADREPLAY_DB must be a SQLite file path, sqlite:///path or a"
                f" postgresql:// URL, not {redact(text)}"
            )
        return Path(text)

    @field_validator("shards", mode="before")
    @classmethod
    def _shard_spec(cls, value: object) -> object:
        """`0-3/8`, `2/8` or `0,2/8`; empty means unset (discord.py decides)."""
        if isinstance(value, str):
            return ShardSpec.parse(value) if value.strip() else None
        return value

    @field_validator("avatars")
    @classmethod
    def _avatar_style(cls, value: str) -> str:
        """`generated`, `none`, or an https URL template holding `{hash}` (Discord fetches it)."""
        value = value.strip()
        if value.lower() in ("generated", "none"):
            return value.lower()
        if not value.startswith("https://") or "{hash}" not in value or len(value) > 200:
            raise ValueError(
                "THREADREPLAY_AVATARS must be 'generated', 'none' or an https:// URL template"
                " with {hash} (for example https://example.org/avatar/{hash}.png)"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """Log levels are case-insensitive."""
        return value.upper() if isinstance(value, str) else value

    @field_validator("dev_guild", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """An empty `THREADREPLAY_DEV_GUILD=` means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def db_is_url(self) -> bool:
        """True when THREADREPLAY_DB is a PostgreSQL URL (shared by processes), False for SQLite."""
        return isinstance(self.db, str)

    @property
    def db_path(self) -> Path:
        """The SQLite file; a ValueError for a URL (where only a file makes sense)."""
        if isinstance(self.db, str):
            raise ValueError("THREADREPLAY_DB is a database URL; this needs a SQLite file")
        return self.db

    def token_problem(self) -> str | None:
        """Why the token cannot be used (never quoting it), or None when it looks like a bot token."""
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            return "DISCORD_TOKEN is not set: put your bot token in the environment or in .env"
        if not TOKEN_SHAPE.match(self.discord_token.get_secret_value().strip()):
            return (
                "DISCORD_TOKEN does not look like a bot token: copy it again from the Developer Portal"
                " (Bot > Reset Token)"
            )
        return None
