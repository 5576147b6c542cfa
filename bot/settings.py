"""Settings from the environment (and an optional `.env`), validated once at start-up."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_BASE_FILE_URL = "https://api.telegram.org/file/bot"
WEBHOOK_PORT = 8080  # the HTTP server's port in webhook mode when CLUSTERBOT_HTTP_PORT is unset
# What Telegram accepts as a webhook's secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


# What can be wrong with a setting; the command line words each one (messages/templates/*/cli.txt).
PROBLEMS = (
    "missing",
    "bad_token",
    "bad_driver",
    "bad_url",
    "bad_zone",
    "bad_language",
    "bad_webhook_url",
    "bad_secret",
    "bad_port",
    "invalid",
)


class SettingsError(Exception):
    """One bad setting: its variable name and a problem code from PROBLEMS."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # A SecretStr: repr(), str() and logs show "**********"; require_token() gives the text.
    telegram_bot_token: SecretStr = Field(
        default=SecretStr(""), validation_alias="TELEGRAM_BOT_TOKEN"
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///clusterbot.db", validation_alias="DATABASE_URL"
    )
    telegram_api_base_url: str = Field(
        default=DEFAULT_API_BASE_URL, validation_alias="TELEGRAM_API_BASE_URL"
    )
    telegram_api_base_file_url: str = Field(
        default=DEFAULT_API_BASE_FILE_URL, validation_alias="TELEGRAM_API_BASE_FILE_URL"
    )
    language: Literal["vi", "en"] = Field(default="vi", validation_alias="CLUSTERBOT_LANGUAGE")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", validation_alias="CLUSTERBOT_TIMEZONE")
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias="CLUSTERBOT_LOG_FORMAT"
    )
    # Days the delivery log and finished drafts are kept (bot/jobs/retention.py); 0: for ever.
    retention_days: int = Field(default=400, ge=0, validation_alias="CLUSTERBOT_RETENTION_DAYS")
    # Running (bot/runtime/): webhook mode when the URL is set, long polling otherwise; the
    # HTTP server (webhook, /healthz, /readyz, /metrics) listens on http_host:http_port.
    webhook_url: str = Field(default="", validation_alias="TELEGRAM_WEBHOOK_URL")
    webhook_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    http_host: str = Field(default="127.0.0.1", validation_alias="CLUSTERBOT_HTTP_HOST")
    # None: no HTTP server in polling mode, WEBHOOK_PORT in webhook mode.
    http_port: int | None = Field(default=None, validation_alias="CLUSTERBOT_HTTP_PORT")
    metrics: bool = Field(default=False, validation_alias="CLUSTERBOT_METRICS")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("bad_driver")
        return value

    @field_validator("telegram_api_base_url", "telegram_api_base_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("bad_url")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("bad_zone") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith("https://"):
            raise ValueError("bad_webhook_url")  # Telegram posts to HTTPS URLs only
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if text and not _SECRET.fullmatch(text):
            raise ValueError("bad_secret")
        return value

    @field_validator("http_port", mode="before")
    @classmethod
    def _port(cls, value: object) -> object:
        if value is None or value == "":
            return None
        try:
            port = int(str(value))
        except ValueError:
            raise ValueError("bad_port") from None
        if not 1 <= port <= 65535:
            raise ValueError("bad_port")
        return port

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret.get_secret_value():
            # Without it anyone who finds the URL could post updates as any user.
            raise ValueError("bad_secret")
        return self

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)

    @property
    def listen_port(self) -> int | None:
        """Where the HTTP server listens; None: no server (polling without a port)."""
        if self.http_port is not None:
            return self.http_port
        return WEBHOOK_PORT if self.webhook_mode else None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        token = self.telegram_bot_token.get_secret_value().strip()
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN", "missing")
        if ":" not in token:
            raise SettingsError("TELEGRAM_BOT_TOKEN", "bad_token")
        return token


_ENV_NAMES = {
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "database_url": "DATABASE_URL",
    "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "telegram_api_base_file_url": "TELEGRAM_API_BASE_FILE_URL",
    "language": "CLUSTERBOT_LANGUAGE",
    "timezone": "CLUSTERBOT_TIMEZONE",
    "log_format": "CLUSTERBOT_LOG_FORMAT",
    "retention_days": "CLUSTERBOT_RETENTION_DAYS",
    "webhook_url": "TELEGRAM_WEBHOOK_URL",
    "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "http_host": "CLUSTERBOT_HTTP_HOST",
    "http_port": "CLUSTERBOT_HTTP_PORT",
    "metrics": "CLUSTERBOT_METRICS",
}

_MODEL_CHECKS = {"bad_secret": "webhook_secret"}  # _webhook_needs_secret


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are validated by pydantic at run time
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        # A check across settings has no field of its own: it names the one to fix.
        field = str(error["loc"][0]) if error["loc"] else _MODEL_CHECKS.get(message, "?")
        name = _ENV_NAMES.get(field, field.upper())
        if error["type"] == "literal_error" and name == "CLUSTERBOT_LANGUAGE":
            message = "bad_language"
        elif message not in PROBLEMS:
            message = "invalid"
        raise SettingsError(name, message) from None
