"""Reporting rounds: one period of one cluster, with a deadline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Round, RoundReopening


class RoundExists(Exception):
    pass


async def open_round(
    session: AsyncSession,
    cluster_id: str,
    period: str,
    period_start: date,
    deadline: date,
    opened_by: int | None,
    opened_at: datetime,
) -> Round:
    if await find_round_by_period(session, cluster_id, period) is not None:
        raise RoundExists(period)
    row = Round(
        cluster_id=cluster_id,
        period=period,
        period_start=period_start,
        deadline=deadline,
        opened_by=opened_by,
        opened_at=opened_at,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise RoundExists(period) from None
    return row


async def find_round_by_period(session: AsyncSession, cluster_id: str, period: str) -> Round | None:
    query = select(Round).where(Round.cluster_id == cluster_id, Round.period == period)
    return (await session.exec(query)).first()


async def get_round(session: AsyncSession, round_id: int) -> Round | None:
    return await session.get(Round, round_id)


async def list_open_rounds(session: AsyncSession, cluster_id: str) -> list[Round]:
    query = (
        select(Round)
        .where(Round.cluster_id == cluster_id, Round.state == "open")
        .order_by(col(Round.period_start), col(Round.id))
    )
    return list((await session.exec(query)).all())


async def list_rounds(session: AsyncSession, cluster_id: str) -> list[Round]:
    query = (
        select(Round)
        .where(Round.cluster_id == cluster_id)
        .order_by(col(Round.period_start).desc(), col(Round.id).desc())
    )
    return list((await session.exec(query)).all())


async def find_latest_round(session: AsyncSession, cluster_id: str) -> Round | None:
    """The round people mean by default: the newest open one, else the newest."""
    rounds = await list_open_rounds(session, cluster_id)
    if rounds:
        return rounds[-1]
    every = await list_rounds(session, cluster_id)
    return every[0] if every else None


async def close_round(session: AsyncSession, row: Round, now: datetime) -> bool:
    """Close it if it is still open: one conditional UPDATE, so of two closers (chat, CLI,
    schedule) exactly one closes it. False when it was closed already."""
    result = await session.exec(
        update(Round)
        .where(col(Round.id) == row.id, col(Round.state) == "open")
        .values(state="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    return bool(result.rowcount)


async def lock_round(session: AsyncSession, round_id: int) -> Round | None:
    """The round, read fresh and locked until this transaction ends (PostgreSQL: FOR UPDATE).

    A confirmation reads the round's state through this, so a close committing meanwhile is
    either seen (and the report refused) or waits for the confirmation to commit first. On
    SQLite the write transaction (BEGIN IMMEDIATE) already keeps writers apart.
    """
    query = (
        select(Round)
        .where(Round.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def reopen_for(
    session: AsyncSession, row: Round, department_id: int, by: int, now: datetime
) -> None:
    """Let one department submit once more after the round closed (at ``now``)."""
    assert row.id is not None
    query = select(RoundReopening).where(
        RoundReopening.round_id == row.id, RoundReopening.department_id == department_id
    )
    existing = (await session.exec(query)).first()
    if existing is None:
        session.add(
            RoundReopening(
                round_id=row.id, department_id=department_id, reopened_by=by, reopened_at=now
            )
        )
    else:
        existing.used = False
        existing.reopened_by = by
        existing.reopened_at = now
    await session.flush()


async def find_reopening(
    session: AsyncSession, round_id: int, department_id: int
) -> RoundReopening | None:
    query = select(RoundReopening).where(
        RoundReopening.round_id == round_id,
        RoundReopening.department_id == department_id,
        RoundReopening.used == False,  # noqa: E712
    )
    return (await session.exec(query)).first()


async def set_progress_message(
    session: AsyncSession, row: Round, chat_id: int, message_id: int
) -> None:
    row.progress_chat_id = chat_id
    row.progress_message_id = message_id
    session.add(row)
    await session.flush()


async def get_round_with_group(session: AsyncSession, round_id: int) -> tuple[Round, int] | None:
    """The round and its cluster's group chat, when the cluster has one."""
    from storage.models import Cluster

    row = await get_round(session, round_id)
    if row is None:
        return None
    cluster = await session.get(Cluster, row.cluster_id)
    if cluster is None or cluster.group_chat_id is None:
        return None
    return row, cluster.group_chat_id
