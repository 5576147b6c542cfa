"""The delivery log: claims under a unique key, their outcome, crash recovery; and the queries
the scheduler needs (who has not submitted, who leads).

Every function works inside the caller's session; a claim counts once that session commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.clusters import list_departments
from storage.models import Department, Membership, Person, Round
from storage.models_delivery import DELIVERED_STATES, Delivery
from storage.submissions import get_latest_submissions
from storage.types import utcnow

_CHUNK = 500


@dataclass(frozen=True)
class Claim:
    """What a claim needs to know about one message (the text is not stored unless queued)."""

    key: str
    kind: str
    chat_id: int
    cluster_id: str | None = None
    round_id: int | None = None
    department_id: int | None = None


def round_key(round_id: int, *parts: object) -> str:
    """The delivery key of a message about one round: ``r<round id>:<part>:<part>...``, e.g.
    ``r12:due-7:1001`` (a reminder to 1001) or ``r12:close:-100123`` (the closing post). The
    ``r<id>:`` prefix is what retention keeps for an open round (storage/retention.py) and what
    a restore renumbers (storage/backup.py)."""
    return ":".join([f"r{round_id}", *(str(part) for part in parts)])


async def _dialect(session: AsyncSession) -> str:
    connection = await session.connection()
    return connection.dialect.name


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        return pg_insert(Delivery)
    if dialect == "sqlite":
        return sqlite_insert(Delivery)
    return insert(Delivery)


async def claim(
    session: AsyncSession,
    item: Claim,
    owner: str,
    *,
    now: datetime | None = None,
    max_attempts: int = 3,
) -> int | None:
    """Take ``item`` for sending: the row id when this caller may send it, None when someone
    already has (sent, being sent, failed for good, or out of attempts).

    A new key is inserted; an existing key is taken over only from the ``retry`` state. Both are
    single statements guarded by the database, so of two claimers exactly one wins.
    """
    at = now or utcnow()
    dialect = await _dialect(session)
    values = {
        "key": item.key,
        "kind": item.kind,
        "chat_id": item.chat_id,
        "cluster_id": item.cluster_id,
        "round_id": item.round_id,
        "department_id": item.department_id,
        "state": "claimed",
        "attempts": 1,
        "owner": owner,
        "created_at": at,
        "updated_at": at,
    }
    statement = (
        _insert(dialect)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Delivery.id)
    )
    inserted = (await session.exec(statement)).first()
    if inserted is not None:
        return int(inserted[0])
    retaken = await session.exec(
        update(Delivery)
        .where(
            col(Delivery.key) == item.key,
            col(Delivery.state) == "retry",
            col(Delivery.attempts) < max_attempts,
        )
        .values(state="claimed", owner=owner, attempts=Delivery.attempts + 1, updated_at=at)
        .returning(col(Delivery.id))
    )
    row = retaken.first()
    return int(row[0]) if row is not None else None


async def enqueue(
    session: AsyncSession,
    item: Claim,
    text: str,
    markup: Any = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Queue a message in the caller's transaction (with the state change it announces).

    False when the key exists already. A queued row is sent by `bot.delivery.deliver_queued`.
    """
    at = now or utcnow()
    dialect = await _dialect(session)
    statement = (
        _insert(dialect)
        .values(
            key=item.key,
            kind=item.kind,
            chat_id=item.chat_id,
            cluster_id=item.cluster_id,
            round_id=item.round_id,
            department_id=item.department_id,
            state="queued",
            attempts=0,
            text=text,
            markup=json.dumps(markup) if markup is not None else None,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Delivery.id)
    )
    return (await session.exec(statement)).first() is not None


async def claim_queued(
    session: AsyncSession,
    row_id: int,
    owner: str,
    *,
    now: datetime | None = None,
    max_attempts: int = 3,
) -> bool:
    """Take a queued row (or a queued row that failed transiently) for sending; False when
    another process took it first."""
    result = await session.exec(
        update(Delivery)
        .where(
            col(Delivery.id) == row_id,
            or_(
                col(Delivery.state) == "queued",
                (col(Delivery.state) == "retry") & (col(Delivery.attempts) < max_attempts),
            ),
        )
        .values(
            state="claimed",
            owner=owner,
            attempts=Delivery.attempts + 1,
            updated_at=now or utcnow(),
        )
    )
    return bool(result.rowcount == 1)


async def queued(session: AsyncSession, limit: int = 1000, max_attempts: int = 3) -> list[Delivery]:
    """Rows queued with their text, and such rows that failed transiently, oldest first."""
    query = (
        select(Delivery)
        .where(
            or_(
                col(Delivery.state) == "queued",
                (col(Delivery.state) == "retry")
                & col(Delivery.text).is_not(None)
                & (col(Delivery.attempts) < max_attempts),
            )
        )
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def mark_sent(
    session: AsyncSession, row_id: int, message_id: int | None, *, now: datetime | None = None
) -> None:
    at = now or utcnow()
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == row_id)
        .values(state="sent", message_id=message_id, sent_at=at, updated_at=at, error=None)
    )


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    error: str,
    *,
    permanent: bool,
    now: datetime | None = None,
) -> None:
    """``permanent``: refused for good. Otherwise surely not delivered, and may be claimed again."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == row_id)
        .values(
            state="failed_permanent" if permanent else "retry",
            error=error[:500],
            updated_at=now or utcnow(),
        )
    )


async def mark_uncertain(
    session: AsyncSession, row_id: int, error: str, *, now: datetime | None = None
) -> None:
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == row_id)
        .values(state="uncertain", error=error[:500], updated_at=now or utcnow())
    )


async def states_of(session: AsyncSession, keys: Iterable[str]) -> dict[str, str]:
    """key -> state for the keys already in the log."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = await session.exec(
            select(Delivery.key, Delivery.state).where(col(Delivery.key).in_(chunk))
        )
        found.update({k: s for k, s in rows.all()})
    return found


async def stale_claims(session: AsyncSession, older_than: datetime) -> list[Delivery]:
    """Rows still `claimed` since before ``older_than``: their sender died mid-send."""
    query = (
        select(Delivery)
        .where(Delivery.state == "claimed", col(Delivery.updated_at) < older_than)
        .order_by(col(Delivery.id))
    )
    return list((await session.exec(query)).all())


async def resolve_stale_claims(
    session: AsyncSession, older_than: datetime, *, now: datetime | None = None
) -> int:
    """Mark claims abandoned by a dead sender `uncertain` (never resent); returns how many."""
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.state) == "claimed", col(Delivery.updated_at) < older_than)
        .values(
            state="uncertain",
            error="the sender stopped between claiming and recording the outcome",
            updated_at=now or utcnow(),
        )
    )
    return int(result.rowcount or 0)


async def count_by_state(session: AsyncSession, kind_prefix: str | None = None) -> dict[str, int]:
    query = select(Delivery.state, func.count()).group_by(col(Delivery.state))
    if kind_prefix is not None:
        query = query.where(col(Delivery.kind).startswith(kind_prefix))
    return {state: int(n) for state, n in (await session.exec(query)).all()}


async def list_round_deliveries(session: AsyncSession, round_ids: Sequence[int]) -> list[Delivery]:
    """Every row of these rounds (the scheduler's view of what was done)."""
    rows: list[Delivery] = []
    ids = list(round_ids)
    for start in range(0, len(ids), _CHUNK):
        query = select(Delivery).where(col(Delivery.round_id).in_(ids[start : start + _CHUNK]))
        rows.extend((await session.exec(query)).all())
    return rows


def is_delivered(state: str) -> bool:
    return state in DELIVERED_STATES


async def get_delivered_message_ids(session: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
    """key -> Telegram message id (0 when unknown) for those of ``keys`` that were delivered."""
    found: dict[str, int] = {}
    ids = list(keys)
    for start in range(0, len(ids), _CHUNK):
        query = select(Delivery.key, Delivery.message_id, Delivery.state).where(
            col(Delivery.key).in_(ids[start : start + _CHUNK])
        )
        for key, message_id, state in (await session.exec(query)).all():
            if is_delivered(state):
                found[key] = int(message_id or 0)
    return found


async def list_refused_reminders(session: AsyncSession, round_ids: Sequence[int]) -> list[Delivery]:
    """The reminders of these rounds that Telegram refused for good (blocked, chat not found)."""
    query = select(Delivery).where(
        col(Delivery.round_id).in_(list(round_ids)),
        Delivery.state == "failed_permanent",
        col(Delivery.kind).startswith("reminder:"),
    )
    return list((await session.exec(query)).all())


# ---------------------------------------------------------------------- the scheduler's queries


async def list_open_rounds(session: AsyncSession) -> list[Round]:
    query = select(Round).where(Round.state == "open").order_by(col(Round.id))
    return list((await session.exec(query)).all())


async def list_round_periods(session: AsyncSession) -> dict[str, set[str]]:
    """cluster id -> the period codes of all its rounds, open or closed."""
    found: dict[str, set[str]] = {}
    for cluster_id, period in (await session.exec(select(Round.cluster_id, Round.period))).all():
        found.setdefault(cluster_id, set()).add(period)
    return found


@dataclass(frozen=True)
class Recipient:
    person_id: int
    department_id: int
    language: str | None


async def list_pending_departments(session: AsyncSession, row: Round) -> list[Department]:
    """The round's departments that have not submitted, in the cluster's order."""
    assert row.id is not None
    done = await get_latest_submissions(session, row.id)
    return [d for d in await list_departments(session, row.cluster_id) if d.id not in done]


async def list_officers(session: AsyncSession, department_ids: Iterable[int]) -> list[Recipient]:
    """The officers of these departments with their language, by department then person."""
    ids = list(dict.fromkeys(department_ids))
    found: list[Recipient] = []
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(Membership.person_id, Membership.department_id, Person.language)
            .join(Person, col(Person.id) == col(Membership.person_id), isouter=True)
            .where(
                Membership.role == "officer",
                col(Membership.department_id).in_(ids[start : start + _CHUNK]),
            )
            .order_by(col(Membership.department_id), col(Membership.person_id))
        )
        for person_id, department_id, language in (await session.exec(query)).all():
            assert department_id is not None  # selected by department
            found.append(Recipient(int(person_id), int(department_id), language))
    return found
