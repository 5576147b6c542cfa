"""The settings of `clusterbot run`'s modes: each bad one is one clear line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import WEBHOOK_PORT, SettingsError, load_settings


@pytest.mark.parametrize(
    ("values", "setting", "problem"),
    [
        (
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook"},
            "TELEGRAM_WEBHOOK_URL",
            "bad_webhook_url",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook"},
            "TELEGRAM_WEBHOOK_SECRET",
            "bad_secret",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://b.example/h", "TELEGRAM_WEBHOOK_SECRET": "has space"},
            "TELEGRAM_WEBHOOK_SECRET",
            "bad_secret",
        ),
        ({"CLUSTERBOT_HTTP_PORT": "0"}, "CLUSTERBOT_HTTP_PORT", "bad_port"),
        ({"CLUSTERBOT_HTTP_PORT": "http"}, "CLUSTERBOT_HTTP_PORT", "bad_port"),
        ({"CLUSTERBOT_METRICS": "perhaps"}, "CLUSTERBOT_METRICS", "invalid"),
    ],
)
def test_bad_values_name_their_setting(values: dict[str, str], setting: str, problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**values)
    assert (error.value.setting, error.value.problem) == (setting, problem)


def test_the_listen_port_by_mode() -> None:
    assert load_settings().listen_port is None  # polling, no HTTP server
    assert load_settings(CLUSTERBOT_HTTP_PORT="9100").listen_port == 9100
    webhook = {"TELEGRAM_WEBHOOK_URL": "https://b.example/h", "TELEGRAM_WEBHOOK_SECRET": "s"}
    assert load_settings(**webhook).listen_port == WEBHOOK_PORT
    assert load_settings(**webhook, CLUSTERBOT_HTTP_PORT="8443").listen_port == 8443
    assert load_settings(**webhook, CLUSTERBOT_METRICS="1").metrics


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CLUSTERBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN="123:abc",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/hook",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_WEBHOOK_SECRET" in lines[0] and "256" in lines[0]
