"""Effects after the commit: queued in the unit of work's own transaction, taken by the worker.

See storage/models_effects.py for the kinds and their rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, inspect, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models_effects import Effect

# session.info keys: the rows a unit of work added, and whether it changed the table otherwise.
ADDED = "clusterbot_effects_added"
CHANGED = "clusterbot_effects_changed"


def added(session: AsyncSession) -> list[Effect] | None:
    """After the commit: the rows this unit of work added, when adding them is all it did to
    the table (None when it also updated or deleted rows, or when a row it added was rolled
    back with a savepoint: only a read can tell what is pending then). The effects worker
    takes them without reading them back (bot/publishing/worker.py `hand_over`)."""
    if session.info.get(CHANGED):
        return None
    rows: list[Effect] = session.info.get(ADDED, [])
    # A row rolled back with its savepoint lost its identity (and its id may be reused).
    if any(not inspect(row).has_identity for row in rows):
        return None
    return list(rows)


def _changed(session: AsyncSession) -> None:
    session.info[CHANGED] = True


async def add(
    session: AsyncSession,
    kind: str,
    chat_id: int,
    payload: str,
    *,
    now: datetime,
    notify_chat_id: int | None = None,
    expires_at: datetime | None = None,
) -> None:
    row = Effect(
        kind=kind,
        chat_id=chat_id,
        payload=payload,
        notify_chat_id=notify_chat_id,
        created_at=now,
        due_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.info.setdefault(ADDED, []).append(row)


def _insert(session: AsyncSession):  # noqa: ANN202 - a dialect's INSERT construct
    bind = session.bind
    assert bind is not None
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(Effect)


async def touch(
    session: AsyncSession,
    key: str,
    kind: str,
    chat_id: int,
    payload: str,
    *,
    now: datetime,
    notify_chat_id: int | None = None,
    bump: bool = True,
) -> None:
    """One pending row per key. An existing row gets a new version (``bump``: a live message
    whose state changed again) or is left alone (a compose that must happen once), unless it
    had failed for good: then it is tried again."""
    _changed(session)
    values = {
        "kind": kind,
        "chat_id": chat_id,
        "key": key,
        "version": 0,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "notify_chat_id": notify_chat_id,
        "created_at": now,
        "due_at": now,
    }
    statement = _insert(session).values(**values)
    # A row that failed for good (the bot was out of the group) is taken up again by the next
    # change: the group may be reachable now.
    again = {
        "state": "pending",
        "attempts": 0,
        "error": None,
        "due_at": now,
        "payload": payload,
        "notify_chat_id": notify_chat_id,
    }
    if bump:
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"version": Effect.version + 1, **again}
        )
    else:
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_=again, where=col(Effect.state) == "failed"
        )
    await session.exec(statement)


async def pending(session: AsyncSession, limit: int = 500) -> Sequence[Effect]:
    query = select(Effect).where(Effect.state == "pending").order_by(col(Effect.id)).limit(limit)
    return (await session.exec(query)).all()


async def pending_count(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Effect).where(Effect.state == "pending")
    return int((await session.exec(query)).one())


async def pending_in_chat(session: AsyncSession, chat_id: int, kind: str = "send") -> int:
    query = (
        select(func.count())
        .select_from(Effect)
        .where(Effect.state == "pending", Effect.chat_id == chat_id, Effect.kind == kind)
    )
    return int((await session.exec(query)).one())


async def finish(session: AsyncSession, effect_id: int, version: int) -> bool:
    """Done: the row goes, unless it was bumped meanwhile (then it runs again, newer)."""
    _changed(session)
    result = await session.exec(
        delete(Effect).where(col(Effect.id) == effect_id, col(Effect.version) == version)
    )
    return bool(result.rowcount)


async def finish_all(session: AsyncSession, done: Sequence[tuple[int, int]]) -> set[int]:
    """`finish` for several rows at once, given as (id, version): the ids of those that went."""
    _changed(session)
    if not done:
        return set()
    result = await session.exec(
        delete(Effect)
        .where(tuple_(col(Effect.id), col(Effect.version)).in_(list(done)))
        .returning(col(Effect.id))
    )
    return {int(effect_id) for effect_id in result.scalars()}


async def later(
    session: AsyncSession, effect_id: int, due_at: datetime, error: str, *, attempt: bool = True
) -> None:
    _changed(session)
    values: dict[str, object] = {"due_at": due_at, "error": error[:500]}
    if attempt:
        values["attempts"] = Effect.attempts + 1
    await session.exec(update(Effect).where(col(Effect.id) == effect_id).values(**values))


async def fail(session: AsyncSession, effect_id: int, error: str) -> None:
    _changed(session)
    await session.exec(
        update(Effect)
        .where(col(Effect.id) == effect_id)
        .values(state="failed", error=error[:500], attempts=Effect.attempts + 1)
    )


async def forget_notify(session: AsyncSession, effect_id: int) -> None:
    _changed(session)
    await session.exec(
        update(Effect).where(col(Effect.id) == effect_id).values(notify_chat_id=None)
    )


async def drop_expired(session: AsyncSession, now: datetime) -> int:
    _changed(session)
    result = await session.exec(
        delete(Effect).where(
            col(Effect.state) == "pending",
            col(Effect.expires_at).is_not(None),
            col(Effect.expires_at) < now,
        )
    )
    return int(result.rowcount or 0)


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: what was going to the old id goes to the new one."""
    _changed(session)
    await session.exec(
        update(Effect).where(col(Effect.chat_id) == old_chat_id).values(chat_id=new_chat_id)
    )
