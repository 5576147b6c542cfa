"""The checking step in progress and the checkers' acceptances (storage/score_checks.py) on
both engines: one step per person, replaced and deleted; acceptances kept as history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services import emulation
from bot.services.admin import init_cluster
from storage import clusters, score_checks
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


async def test_steps_and_acceptances(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    async with db.session() as s:
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER) if d.id}
        row = await emulation.open_scoring(
            s, CLUSTER, 2023, date(2024, 2, 15), by=1001, now=NOW, today=NOW.date()
        )
        await emulation.start_checking(s, row, now=NOW)
        await s.commit()
    async with db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        await score_checks.save_check_draft(
            s, 1001, row, ids["yen-bai"], "points", now=NOW, item="ke-hoach-cong-tac"
        )
        draft = await score_checks.save_check_draft(
            s,
            1001,
            row,
            ids["yen-bai"],
            "reason",
            now=NOW,
            item="ke-hoach-cong-tac",
            points_cents=750,
        )
        assert (draft.step, draft.points_cents) == ("reason", 750)
        with pytest.raises(ValueError):
            await score_checks.save_check_draft(s, 1001, row, ids["yen-bai"], "vote", now=NOW)
        await score_checks.record_review(
            s, row, ids["yen-bai"], by=1001, now=NOW, checker_department_id=ids["bac-kan"]
        )
        await score_checks.record_review(
            s, row, ids["yen-bai"], by=1001, now=NOW + timedelta(hours=1)
        )
        await score_checks.record_review(s, row, ids["phu-tho"], by=1001, now=NOW)
        await s.commit()
    async with db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        kept_draft = await score_checks.get_check_draft(s, 1001)
        assert kept_draft is not None
        assert (kept_draft.step, kept_draft.item, kept_draft.points_cents) == (
            "reason",
            "ke-hoach-cong-tac",
            750,
        )
        kept = await score_checks.list_reviews(s, row, ids["yen-bai"])
        assert [(r.checker_department_id, r.accepted_at) for r in kept] == [
            (ids["bac-kan"], NOW),
            (None, NOW + timedelta(hours=1)),
        ]
        assert len(await score_checks.list_reviews(s, row)) == 3
        assert await score_checks.get_scoring_session_by_id(s, row.id or 0) == row
        assert await score_checks.delete_check_draft(s, 1001)
        assert not await score_checks.delete_check_draft(s, 1001)
        await s.commit()
    async with db.session() as s:
        assert await score_checks.get_check_draft(s, 1001) is None
