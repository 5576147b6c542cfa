"""Where the group's live "Đã ký giao ước: n/m" message of a pact stands.

Kept in the delivery log under the key :func:`live_key` (one row per pact and group chat,
``sent`` with its message id) rather than in a column of its own, so that the pact's schema
stays as the emulation migration made it. Should retention ever purge the row, the next
signature posts the count anew (the live machinery's ``post_if_gone``).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.deliveries import Claim, claim, mark_sent
from storage.models_delivery import Delivery
from storage.models_emulation import Pact
from storage.types import utcnow

KIND = "pact-live"


def live_key(pact_id: int, chat_id: int) -> str:
    return f"pact{pact_id}:live:{chat_id}"


def sign_key(pact_id: int, person_id: int) -> str:
    """The delivery key of the pact with its "Ký giao ước" button, to one officer (once)."""
    return f"pact{pact_id}:sign:{person_id}"


def remind_key(pact_id: int, kind: str, person_id: int) -> str:
    """The delivery key of one reminder step ("before-3", "due", ...) to one officer (once)."""
    return f"pact{pact_id}:remind:{kind}:{person_id}"


def pact_of_remind_key(key: str) -> int | None:
    """The pact a reminder's key names; None for any other key."""
    head, _, rest = key.partition(":")
    if not rest.startswith("remind:") or not head.startswith("pact") or not head[4:].isdigit():
        return None
    return int(head[4:])


async def get_live_message(session: AsyncSession, pact_id: int, chat_id: int) -> int | None:
    query = select(Delivery.message_id).where(Delivery.key == live_key(pact_id, chat_id))
    found = (await session.exec(query)).first()
    return int(found) if found else None


async def set_live_message(
    session: AsyncSession, pact_id: int, cluster_id: str, chat_id: int, message_id: int
) -> None:
    """The live message was posted (or posted anew): later changes edit this one."""
    key = live_key(pact_id, chat_id)
    row_id = await claim(
        session, Claim(key=key, kind=KIND, chat_id=chat_id, cluster_id=cluster_id), "live"
    )
    if row_id is not None:
        await mark_sent(session, row_id, message_id)
        return
    await session.exec(
        update(Delivery)
        .where(col(Delivery.key) == key)
        .values(message_id=message_id, updated_at=utcnow())
    )


async def get_pact_by_id(session: AsyncSession, pact_id: int) -> Pact | None:
    return await session.get(Pact, pact_id)
