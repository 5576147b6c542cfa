"""CLUSTERBOT_LOG_FORMAT=json: one JSON object a line, naming the update it was written for,
never the token."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import RedactToken
from bot.log_format import JsonFormatter
from bot.settings import SettingsError, load_settings
from tests.conftest import ROOT, Cluster

TOKEN = "123456:very-secret-token-text"


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    """Each line parsed on its own: a line that is not one JSON object fails the test."""
    out = stream.getvalue().splitlines()
    assert out, "nothing was logged"
    return [json.loads(line) for line in out]


@pytest.fixture
def json_log() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """A JSON handler on the root logger, as configure_logging sets it up in JSON mode."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=[TOKEN]))
    handler.addFilter(RedactToken(TOKEN))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream, handler
    finally:
        root.removeHandler(handler)


def test_each_record_is_one_line_of_json_with_its_fields(
    json_log: tuple[io.StringIO, logging.Handler],
) -> None:
    stream, _ = json_log
    log = logging.getLogger("bot.test_json")
    log.warning('two\nlines and a quote " and Vietnamese: Sở Nội vụ')
    try:
        raise ValueError("broken")
    except ValueError:
        log.exception("it failed")
    plain, failed = lines_of(stream)
    assert set(plain) == {"time", "level", "logger", "message"}  # outside an update: no ids
    assert plain["level"] == "WARNING" and plain["logger"] == "bot.test_json"
    assert plain["message"] == 'two\nlines and a quote " and Vietnamese: Sở Nội vụ'
    assert str(plain["time"]).endswith("Z") and "T" in str(plain["time"])
    assert failed["level"] == "ERROR" and failed["message"] == "it failed"
    exception = str(failed["exception"])
    assert exception.startswith("Traceback") and "ValueError: broken" in exception


def test_the_token_never_shows_in_any_field(json_log: tuple[io.StringIO, logging.Handler]) -> None:
    stream, _ = json_log
    log = logging.getLogger("httpx")
    log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/sendMessage refused")
    except ConnectionError:
        log.error("request failed", exc_info=True, stack_info=True)
    request, failed = lines_of(stream)
    assert request["message"] == "HTTP Request: POST https://api.telegram.org/bot<token>/getMe"
    assert "bot<token>/sendMessage refused" in str(failed["exception"])
    assert "very-secret" not in stream.getvalue()


async def test_a_line_logged_inside_an_update_names_it(
    cluster: Cluster, json_log: tuple[io.StringIO, logging.Handler]
) -> None:
    stream, handler = json_log
    handler.setLevel(logging.ERROR)
    h = cluster.h
    await cluster.open_round()
    officer = cluster.officers["hoa-binh"]
    assert h.db is not None
    async with h.db.engine.begin() as connection:  # the database breaks under the bot
        await connection.execute(text("DROP TABLE draft"))
    replies = await h.say(officer, officer.id, "/report")
    assert "đã có lỗi xảy ra" in replies[0].text
    failures = [line for line in lines_of(stream) if line["logger"] == "bot.app"]
    assert len(failures) == 1, failures
    failure = failures[0]
    assert failure["update_id"] == h.emu.last_update_id
    assert failure["chat_id"] == officer.id
    assert failure["handler"] == "reporting.report"  # the handler that failed
    assert "Traceback" in str(failure["exception"]) and "draft" in str(failure["exception"])
    assert h.emu.token not in stream.getvalue()


_SCRIPT = """
import logging, sys
from bot.app import configure_logging
token = sys.argv[1]
configure_logging(token, level=logging.DEBUG, log_format=sys.argv[2])
logging.getLogger("bot.cli").info("polling https://api.telegram.org/bot%s/getUpdates", token)
# What the drivers would log at DEBUG in a secret ballot: they stay at WARNING.
logging.getLogger("sqlalchemy.engine").info("INSERT INTO ballot VALUES ('ballot content')")
logging.getLogger("telegram.ext").debug("update: ballot content")
try:
    raise RuntimeError("no route to " + token)
except RuntimeError:
    logging.getLogger("bot.app").exception("crashed")
"""


def test_configure_logging_in_json_mode_writes_json_lines_without_secrets() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, TOKEN, "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("bot.cli", "INFO"),
        ("bot.app", "ERROR"),
    ]
    assert lines[0]["message"] == "polling https://api.telegram.org/bot<token>/getUpdates"
    assert "RuntimeError: no route to <token>" in str(lines[1]["exception"])
    assert "very-secret" not in done.stderr and "ballot" not in done.stderr


def test_configure_logging_in_text_mode_keeps_the_token_out_of_tracebacks_too() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, TOKEN, "text"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert "bot.cli: polling https://api.telegram.org/bot<token>/getUpdates" in done.stderr
    assert "RuntimeError: no route to <token>" in done.stderr  # the traceback's last line
    assert "very-secret" not in done.stderr and "ballot" not in done.stderr


def test_the_log_format_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLUSTERBOT_LOG_FORMAT", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    assert load_settings().log_format == "text"
    assert load_settings(CLUSTERBOT_LOG_FORMAT="json").log_format == "json"
    with pytest.raises(SettingsError) as info:
        load_settings(CLUSTERBOT_LOG_FORMAT="xml")
    assert (info.value.setting, info.value.problem) == ("CLUSTERBOT_LOG_FORMAT", "invalid")
    with pytest.raises(SettingsError) as info:  # a language is still named as such
        load_settings(CLUSTERBOT_LANGUAGE="fr")
    assert (info.value.setting, info.value.problem) == ("CLUSTERBOT_LANGUAGE", "bad_language")
