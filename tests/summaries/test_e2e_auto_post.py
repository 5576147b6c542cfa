"""The compiled report follows by itself: when the last department submits and when the round
closes (by the head or by the schedule), each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs.scheduler import get_scheduler
from tests.conftest import GROUP, Cluster
from tests.summaries.test_e2e_summary import SLUGS, values


def summaries_in_group(cluster: Cluster) -> list[str]:
    return [m.text for m in cluster.emu.messages(GROUP) if m.text.startswith("📊 BÁO CÁO TỔNG HỢP")]


def charts_in_group(cluster: Cluster) -> list[str]:
    return [
        m.media_group_id or "" for m in cluster.emu.messages(GROUP) if m.kind == "media_group_item"
    ]


async def test_the_last_submission_posts_the_summary_with_charts_once(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS[:-1]):
        await cluster.submit(slug, values(n))
    assert summaries_in_group(cluster) == []
    await cluster.submit(SLUGS[-1], values(6))
    posted = summaries_in_group(cluster)
    assert len(posted) == 1 and "7/7 đơn vị đã nộp" in posted[0]
    # One media group, not a flood: the three indicators the cluster file marks as headline.
    charts = charts_in_group(cluster)
    assert len(set(charts)) == 1 and len(charts) == 3
    # A revision afterwards changes the progress, not the number of summaries.
    await cluster.submit(SLUGS[0], values(0, scale=2))
    assert len(summaries_in_group(cluster)) == 1


async def test_closing_by_the_head_posts_the_summary(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    await cluster.submit("bac-giang", values(1))
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023")
    posted = summaries_in_group(cluster)
    assert len(posted) == 1 and "1/7 đơn vị đã nộp" in posted[0]


async def test_closing_by_the_schedule_posts_the_summary_once(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    await cluster.submit("bac-giang", values(1))
    assert cluster.h.app is not None
    # Past the deadline and its 3 working days of grace: the schedule closes the round.
    cluster.clock.now = datetime(2024, 1, 22, 1, 30, tzinfo=UTC)
    await get_scheduler(cluster.h.app).tick()
    await get_scheduler(cluster.h.app).tick()
    await cluster.h.settled()
    posted = summaries_in_group(cluster)
    assert len(posted) == 1 and "1/7 đơn vị đã nộp" in posted[0]
