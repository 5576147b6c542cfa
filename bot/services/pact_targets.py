"""The year's pact targets, by department: what the scoring's automatic criteria and the
year's summary (target against actual) both read.

A department's target for an indicator is the one it proposed and the head accepted, else its
own in the pact, else the pact's cluster-wide one (`PactTable.target_for`). The pact is the
snapshot the year's signatures were made on; before the head opens it, the cluster file's
[pact].
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.pact_file import PactTable
from storage import clusters, pacts


async def agreed_targets(
    session: AsyncSession, cluster_id: str, year: int
) -> tuple[PactTable | None, dict[int, dict[str, Decimal]]]:
    """The year's pact (its snapshot; else the cluster file's [pact]) and, by department id, the
    targets of their own the head accepted."""
    pact = await pacts.get_pact(session, cluster_id, year)
    if pact is None:
        return await pacts.get_pact_table(session, cluster_id), {}
    agreed = {
        s.department_id: pacts.proposed_targets(s)
        for s in await pacts.list_signatures(session, pact)
        if s.state == pacts.ACCEPTED
    }
    return pacts.pact_snapshot(pact), agreed


async def year_targets(
    session: AsyncSession, cluster_id: str, year: int
) -> dict[int, dict[str, Decimal | None]]:
    """department id -> indicator slug -> its target, for every member department and every
    indicator the pact sets a target for (None: none for this department); {} without a
    pact."""
    pact, agreed = await agreed_targets(session, cluster_id, year)
    if pact is None or not pact.targeted():
        return {}
    return {
        department.id: {
            slug: pact.target_for(slug, department.slug, agreed.get(department.id))
            for slug in pact.targeted()
        }
        for department in await clusters.list_departments(session, cluster_id)
        if department.id is not None
    }
