"""The award tests' common steps: more departments, an award vote opened at once."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.awards import AwardKind, AwardRules
from bot.services import awards as W
from storage.clusters import list_departments
from storage.models import Department
from tests.elections.conftest import NOW, Seeded

DEFAULTS = AwardRules()


async def add_departments(seeded: Seeded, slugs: Sequence[str]) -> None:
    async with seeded.db.session() as s:
        for n, slug in enumerate(slugs):
            s.add(
                Department(
                    cluster_id=seeded.cluster_id,
                    slug=slug,
                    name=slug,
                    name_en=slug,
                    position=10 + n,
                )
            )
    async with seeded.db.session() as s:
        for d in await list_departments(s, seeded.cluster_id):
            assert d.id is not None
            seeded.ids[d.slug] = d.id


async def open_award(
    seeded: Seeded,
    kind: AwardKind,
    rules: AwardRules = DEFAULTS,
    explicit: tuple[int, ...] | None = None,
    term: int = 2023,
) -> W.AwardOpened:
    async with seeded.db.session() as s:
        return await W.open_award(
            s, seeded.cluster_id, kind, rules, term, 1, NOW, "vi", explicit=explicit
        )
