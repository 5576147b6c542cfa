"""The settings as the bot reads them: the token is a secret that only require_token() reveals."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456:very-secret-token-text"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "DATABASE_URL",
        "CLUSTERBOT_LANGUAGE",
        "CLUSTERBOT_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's


def test_require_token_gives_the_plain_text() -> None:
    settings = load_settings(TELEGRAM_BOT_TOKEN=f"  {TOKEN}\n")
    token = settings.require_token()
    assert token == TOKEN and type(token) is str


def test_the_token_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(TELEGRAM_BOT_TOKEN=TOKEN)
    with caplog.at_level(logging.INFO):
        logging.getLogger("clusterbot.test").info("settings: %s / %r", settings, settings)
    shown = [repr(settings), str(settings), f"{settings}", settings.model_dump_json(), caplog.text]
    assert all("very-secret" not in text for text in shown), shown
    assert "settings:" in caplog.text  # the line was logged, without the token


def test_the_token_read_from_a_dotenv_file_is_secret_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n", encoding="utf-8")
    settings = load_settings()
    assert settings.require_token() == TOKEN
    assert "very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "problem"), [("", "missing"), ("   ", "missing"), ("abc", "bad_token")]
)
def test_a_missing_or_malformed_token_is_named(value: str, problem: str) -> None:
    settings = load_settings(TELEGRAM_BOT_TOKEN=value)
    with pytest.raises(SettingsError) as info:
        settings.require_token()
    assert (info.value.setting, info.value.problem) == ("TELEGRAM_BOT_TOKEN", problem)


def test_no_token_reads_as_empty() -> None:
    # The command line asks the bot's name only when a token is set (bot/cli.py).
    assert not load_settings().telegram_bot_token
    assert load_settings(TELEGRAM_BOT_TOKEN=TOKEN).telegram_bot_token


def test_the_retention_period_defaults_to_400_days_and_refuses_a_negative_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLUSTERBOT_RETENTION_DAYS", raising=False)
    assert load_settings().retention_days == 400
    monkeypatch.setenv("CLUSTERBOT_RETENTION_DAYS", "0")
    assert load_settings().retention_days == 0  # keep everything
    for value in ("-1", "a year"):
        monkeypatch.setenv("CLUSTERBOT_RETENTION_DAYS", value)
        with pytest.raises(SettingsError) as info:
            load_settings()
        assert (info.value.setting, info.value.problem) == ("CLUSTERBOT_RETENTION_DAYS", "invalid")
