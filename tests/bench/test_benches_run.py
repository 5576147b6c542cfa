"""Each benchmark's quick mode end to end with a handful of officers, so the bench code cannot
rot: the bots start in their own processes, the waves get their replies, the figures come out
(no timing is asserted: these are not measurements)."""

from __future__ import annotations

import math

from bench.memory.run import main_async as memory
from bench.throughput.run import main_async as throughput
from bench.webhook.run import main_async as webhook


async def test_throughput_compares_the_bot_on_both_engines_with_the_echo_bot() -> None:
    result = await throughput(["--quick", "--officers", "2", "--clusters", "1"])
    kinds = {(r.target, r.kind) for r in result.rows}
    expected = {("echo", "echo")} | {
        (bot, kind)
        for bot in ("SQLite", "PostgreSQL")
        for kind in ("report", "answer", "confirm", "paste")
    }
    assert kinds == expected
    for row in result.rows:
        assert row.updates == 2 * row.waves
        assert row.cpu_ms >= 0 and not math.isnan(row.p99)
        # The bots' statements are counted in their own process; the echo bot has none.
        assert (row.statements > 0) == (row.target != "echo"), row


async def test_throughput_profile_names_where_the_answers_cpu_goes() -> None:
    result = await throughput(["--profile", "--officers", "2", "--clusters", "1"])
    text = "\n".join(result.hotspots)
    assert "self time by library or package" in text
    assert "sqlalchemy" in text
    assert "statements per answer" in text


async def test_memory_reads_the_replicas_peak_while_summaries_are_posted() -> None:
    result = await memory(["--quick", "--clusters", "3", "--officers", "10"])
    assert result.charts > 0  # the cluster finished: its summary's charts reached the group
    assert len(result.points) == 4
    assert all(hwm >= rss > 0 for _, rss, hwm, _ in result.points)
    assert result.peak > 0


async def test_webhook_times_the_answers_idle_and_under_load() -> None:
    result = await webhook(["--quick", "--officers", "2", "--clusters", "1", "--idle", "3"])
    assert result.refused == 0
    assert len(result.answers["idle: one update at a time"]) == 3
    assert len(result.answers["under load: answer"]) == 5 * 2
    assert all(seconds > 0 for times in result.answers.values() for seconds in times)
