"""The example cluster through the 2025 mergers: rounds before it reported by the seven, the 2025
file loaded over the 2023 one, the two successors new to the cluster given an officer each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.periods import parse_period
from storage import clusters, rounds, submissions
from tests.conftest import CLUSTER, ROOT, Cluster

EXAMPLE_2025 = ROOT / "examples" / "cum-noi-vu-trung-du-mien-nui-phia-bac-2025.toml"
NEW_MEMBERS = {"bac-ninh": 1101, "lao-cai": 1102}
SUCCESSORS = ("thai-nguyen", "bac-ninh", "phu-tho", "lao-cai", "tuyen-quang")

# Staff positions cut (the first indicator) per department; the other figures follow from it.
BEFORE = {  # 2025-Q2, the seven: 280 in all
    "bac-kan": 10,
    "bac-giang": 20,
    "thai-nguyen": 30,
    "hoa-binh": 40,
    "yen-bai": 50,
    "phu-tho": 60,
    "tuyen-quang": 70,
}
AFTER = {"thai-nguyen": 45, "bac-ninh": 25, "phu-tho": 105, "lao-cai": 55, "tuyen-quang": 80}


def figures(staff: int, text: str = "Tốt") -> list[str | None]:
    """The five indicators' stored values: staff cut, agencies inspected, classes, database %."""
    return [str(staff), str(staff // 10), str(staff // 5), "100", text]


async def stored_round(
    c: Cluster, period: str, staff: Mapping[str, int], texts: Mapping[str, str] | None = None
) -> None:
    """A round as if run with the bot: opened, reported by these departments, closed."""
    db = c.h.db
    assert db is not None
    p = parse_period(period)
    at = datetime.combine(p.end, datetime.min.time(), UTC)
    async with db.session() as s:
        row = await rounds.open_round(
            s, CLUSTER, period, p.start, p.end + timedelta(days=15), None, opened_at=at
        )
        every = await clusters.list_departments(s, CLUSTER, include_merged=True)
        ids = {d.slug: d.id or 0 for d in every}
        indicators = [i.id for i in await clusters.list_indicators(s, CLUSTER) if i.id is not None]
        assert row.id is not None
        for slug, value in staff.items():
            text = (texts or {}).get(slug, "Tốt")
            values = dict(zip(indicators, figures(value, text), strict=True))
            await submissions.save_revision(
                s, row.id, ids[slug], values, by=1, late=False, expected_revision=0, at=at
            )
        await rounds.close_round(s, row, at)


async def merge(c: Cluster, path: Path = EXAMPLE_2025) -> None:
    """Load the 2025 file over the 2023 one on 2 October 2025, and register the officers of the
    successors new to the cluster."""
    c.clock.now = datetime(2025, 10, 2, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    await c.h.init_cluster(path)
    for slug, user_id in NEW_MEMBERS.items():
        if path != EXAMPLE_2025:
            break
        user = c.h.user(user_id, f"Cán bộ {slug}")
        await c.h.say(user, user.id, f"/start {await c.h.invite(CLUSTER, slug)}")
        c.officers[slug] = user
