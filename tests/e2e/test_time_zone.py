"""What users read is in the cluster's time zone (CLUSTERBOT_TIMEZONE), not a fixed one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.emulator.harness import Harness
from tests.conftest import GROUP, Clock, Cluster

VALUES = ["180", "25", "50", "100", "Tốt"]


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Tokyo", "05/01/2024 10:00"),  # the clock says 01:00 UTC
        ("UTC", "05/01/2024 01:00"),
        ("America/New_York", "04/01/2024 20:00"),
        ("Asia/Ho_Chi_Minh", "05/01/2024 08:00"),
    ],
)
async def test_submission_time_is_shown_in_the_configured_zone(
    zone: str, shown: str, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERBOT_TIMEZONE", zone)
    async with Harness(f"sqlite+aiosqlite:///{tmp_path / 'tz.db'}", clock=clock) as h:
        assert h.settings is not None and h.settings.timezone == zone
        cluster = Cluster(h)
        await cluster.setup()
        await cluster.open_round("2023", "15/01/2024")
        officer = cluster.officers["bac-kan"]
        text = "\n".join(f"{n}: {v}" for n, v in enumerate(VALUES, start=1))
        review = await h.say(officer, officer.id, text)
        saved = await h.press(officer, review[-1], "Xác nhận")
        assert f"Đã nộp báo cáo Năm 2023 lúc {shown}" in saved[0].text, saved[0].text

        status = "\n".join(m.text for m in await h.say(officer, GROUP, "/status"))
        assert f"đã nộp {shown}" in status, status


async def test_a_workbook_drawn_in_the_worker_process_keeps_the_zone(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook is built in another process: the zone must travel with it."""
    import io

    from openpyxl import load_workbook

    monkeypatch.setenv("CLUSTERBOT_TIMEZONE", "Asia/Tokyo")
    async with Harness(f"sqlite+aiosqlite:///{tmp_path / 'tz.db'}", clock=clock) as h:
        cluster = Cluster(h)
        await cluster.setup()
        await cluster.open_round("2023", "15/01/2024")
        await cluster.submit("bac-kan", VALUES)
        officer = cluster.officers["bac-kan"]
        replies = await h.say(officer, officer.id, "/export 2023")
        (document,) = [m for m in replies if m.document is not None]
        assert document.document is not None
        book = load_workbook(io.BytesIO(document.document.data))
        history = book[book.sheetnames[-1]]
        times = [
            c.value for row in history.iter_rows(min_row=2) for c in row if hasattr(c.value, "hour")
        ]
        assert times and getattr(times[0], "hour", None) == 10  # 01:00 UTC is 10:00 in Tokyo
