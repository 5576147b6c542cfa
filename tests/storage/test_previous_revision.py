"""Last period's value: the newest earlier round the department reported for, in one statement."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage import clusters, rounds, submissions
from storage.database import Database
from tests.conftest import CLUSTER

AT = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


async def test_the_newest_reported_round_wins_and_its_newest_revision(
    example_db: Database,
) -> None:
    async with example_db.session() as s:
        indicator = (await clusters.list_indicators(s, CLUSTER))[0]
        department = (await clusters.list_departments(s, CLUSTER))[0]
        assert indicator.id is not None and department.id is not None
        made = {}
        for period, start in (
            ("2023-Q1", date(2023, 1, 1)),
            ("2023-Q2", date(2023, 4, 1)),
            ("2023-Q3", date(2023, 7, 1)),
        ):
            row = await rounds.open_round(s, CLUSTER, period, start, start, None, AT)
            assert row.id is not None
            made[period] = row.id
        q1, q2, q3 = made["2023-Q1"], made["2023-Q2"], made["2023-Q3"]
        for revision, value in ((0, "10"), (1, "11")):  # Q1 corrected once
            await submissions.save_revision(
                s, q1, department.id, {indicator.id: value}, 1, False, revision, AT
            )
        await submissions.save_revision(s, q2, department.id, {indicator.id: "20"}, 1, False, 0, AT)
    async with example_db.session() as s:
        # Newest first, as list_rounds gives them; Q3 has no report.
        found = await submissions.find_latest_revision_in(s, [q3, q2, q1], department.id)
        assert found is not None and found.values == {indicator.id: "20"}
        found = await submissions.find_latest_revision_in(s, [q3, q1], department.id)
        assert found is not None and found.values == {indicator.id: "11"}
        assert await submissions.find_latest_revision_in(s, [q3], department.id) is None
        assert await submissions.find_latest_revision_in(s, [], department.id) is None
