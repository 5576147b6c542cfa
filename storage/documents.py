"""What the year-end documents read that no other capability's queries give: the election
held at a year's conference (the one electing the next year's offices)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models_elections import Election

__all__ = ["find_conference_election"]


async def find_conference_election(
    session: AsyncSession, cluster_id: str, term: int
) -> Election | None:
    """The newest election for ``term`` that has opened (running or closed); an award vote
    (storage/awards.py) is not one."""
    query = (
        select(Election)
        .where(
            Election.cluster_id == cluster_id,
            Election.term == term,
            col(Election.state).in_(("open", "closed")),
            Election.kind == "election",
        )
        .order_by(col(Election.id).desc())
    )
    return (await session.exec(query)).first()
