"""A unit of work in its own process, for the kill -9 test in test_transactions.py:
`python -m tests.storage.uow_process URL ROUND DEPARTMENT INDICATORS`.

It stores a report's revision (the first write of the unit of work, inside a savepoint), prints
"written" once the writes have reached the database, and waits to be killed before it commits.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from storage import submissions
from storage.database import Database

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


async def main(url: str, round_id: int, department_id: int, indicators: list[int]) -> None:
    db = Database(url)
    async with db.session() as session:
        await submissions.save_revision(
            session, round_id, department_id, {i: "5" for i in indicators}, 1, False, 0, NOW
        )
        await session.flush()
        print("written", flush=True)
        await asyncio.sleep(3600)  # killed here, before the commit


if __name__ == "__main__":
    url, round_id, department_id, indicators = sys.argv[1:5]
    asyncio.run(
        main(url, int(round_id), int(department_id), [int(i) for i in indicators.split(",")])
    )
