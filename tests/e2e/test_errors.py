"""Failures users must never see as tracebacks, and messages longer than Telegram allows."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from tests.conftest import Cluster


async def test_a_storage_failure_becomes_one_polite_sentence(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    h = cluster.h
    await cluster.open_round()
    officer = cluster.officers["hoa-binh"]
    assert h.db is not None
    async with h.db.engine.begin() as connection:  # the database breaks under the bot
        await connection.execute(text("DROP TABLE draft"))
    with caplog.at_level(logging.ERROR):
        replies = await h.say(officer, officer.id, "/report")
    assert len(replies) == 1
    assert "đã có lỗi xảy ra" in replies[0].text
    assert "Traceback" not in replies[0].text and "draft" not in replies[0].text
    assert any("failed" in r.getMessage() for r in caplog.records)
    assert h.emu.token not in caplog.text


async def test_a_history_longer_than_a_message_is_split_at_lines(cluster: Cluster) -> None:
    h = cluster.h
    await cluster.open_round()
    officer = cluster.officers["phu-tho"]
    first = " ".join(["Kết quả nổi bật của đơn vị trong năm"] * 80)[:2990]
    second = " ".join(["Đơn vị đã hoàn thành kế hoạch cải cách hành chính"] * 80)[:2990]
    await cluster.submit("phu-tho", ["187", "28", "55", "100", first])
    await cluster.submit("phu-tho", ["187", "28", "55", "100", second])
    history = await h.say(officer, officer.id, "/history")
    # Two revisions of ~3.000 characters each, old and new: more than one message can hold.
    assert len(history) >= 2
    assert all(len(m.text) <= 4096 for m in history)
    joined = "\n".join(m.text for m in history)
    assert joined.count(first) == 2 and joined.count(second) == 1
    assert "Lần 1" in history[0].text
