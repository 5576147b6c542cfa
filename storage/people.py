"""People, their memberships in clusters, and one-time invite codes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Cluster, Department, Invite, Membership, Person

RedeemOutcome = Literal["bound", "unknown", "used", "expired", "already_member"]


def hash_code(code: str) -> str:
    """Only the hash is stored, so a database dump gives away no usable invite."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime


async def create_invite(
    session: AsyncSession,
    cluster_id: str,
    role: str,
    department_id: int | None,
    valid_for: timedelta,
    *,
    now: datetime,
) -> NewInvite:
    """A single-use code valid for ``valid_for`` from ``now``."""
    code = secrets.token_urlsafe(12)
    expires_at = now + valid_for
    session.add(
        Invite(
            code_hash=hash_code(code),
            cluster_id=cluster_id,
            department_id=department_id,
            role=role,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return NewInvite(code=code, expires_at=expires_at)


@dataclass(frozen=True)
class Redeemed:
    outcome: RedeemOutcome
    membership: Membership | None = None


async def redeem_invite(
    session: AsyncSession,
    code: str,
    person_id: int,
    full_name: str,
    username: str | None,
    *,
    now: datetime,
) -> Redeemed:
    """Bind a Telegram user with a code: single use, checked (expired at ``now``?) and consumed
    in one transaction."""
    if not code or len(code) > 64:
        return Redeemed("unknown")
    invite = (await session.exec(select(Invite).where(Invite.code_hash == hash_code(code)))).first()
    if invite is None:
        return Redeemed("unknown")
    if invite.used_at is not None:
        return Redeemed("used")
    if invite.expires_at <= now:
        return Redeemed("expired")
    existing = await find_membership(session, person_id, invite.cluster_id)
    if existing is not None:
        return Redeemed("already_member", existing)
    # Consume with a conditional UPDATE: of two people racing for one code, only one wins.
    claimed = await session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by=person_id)
    )
    if claimed.rowcount != 1:
        return Redeemed("used")
    person = await session.get(Person, person_id)
    if person is None:
        person = Person(id=person_id, full_name=full_name, username=username)
        session.add(person)
    else:
        person.full_name, person.username = full_name, username
    membership = Membership(
        person_id=person_id,
        cluster_id=invite.cluster_id,
        department_id=invite.department_id,
        role=invite.role,
    )
    session.add(membership)
    await session.flush()
    return Redeemed("bound", membership)


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def get_people(session: AsyncSession, ids: Iterable[int]) -> dict[int, Person]:
    """id -> person, for those of these Telegram user ids we know."""
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Person).where(col(Person.id).in_(wanted))
    return {p.id: p for p in (await session.exec(query)).all()}


async def set_language(session: AsyncSession, person_id: int, language: str) -> None:
    person = await session.get(Person, person_id)
    if person is not None:
        person.language = language
        await session.flush()


async def find_membership(
    session: AsyncSession, person_id: int, cluster_id: str
) -> Membership | None:
    query = select(Membership).where(
        Membership.person_id == person_id, Membership.cluster_id == cluster_id
    )
    return (await session.exec(query)).first()


async def list_memberships(session: AsyncSession, person_id: int) -> list[Membership]:
    """Newest first: in a private chat the newest membership is the one acted for."""
    query = (
        select(Membership)
        .where(Membership.person_id == person_id)
        .order_by(col(Membership.created_at).desc(), col(Membership.id).desc())
    )
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class Acting:
    """Who acts and for what, read in one statement (every field None when unknown)."""

    person: Person | None
    membership: Membership | None
    cluster: Cluster | None
    department: Department | None


async def find_acting(
    session: AsyncSession, person_id: int, group_chat_id: int | None
) -> Acting:
    """In a group: the group's cluster and this person's membership in it. In a private chat:
    the person's newest membership and its cluster. One statement, not four: every update
    starts here."""
    if group_chat_id is None:
        private = (
            select(Person, Membership, Cluster, Department)
            .select_from(Person)
            .outerjoin(Membership, col(Membership.person_id) == col(Person.id))
            .outerjoin(Cluster, col(Cluster.id) == col(Membership.cluster_id))
            .outerjoin(Department, col(Department.id) == col(Membership.department_id))
            .where(col(Person.id) == person_id)
            .order_by(col(Membership.created_at).desc(), col(Membership.id).desc())
            .limit(1)
        )
        row = (await session.exec(private)).first()
        if row is None:
            return Acting(None, None, None, None)
        person, membership, cluster, department = row
        return Acting(person, membership, cluster, department)
    in_group = (
        select(Cluster, Person, Membership, Department)
        .select_from(Cluster)
        .outerjoin(Person, col(Person.id) == person_id)
        .outerjoin(
            Membership,
            (col(Membership.person_id) == col(Person.id))
            & (col(Membership.cluster_id) == col(Cluster.id)),
        )
        .outerjoin(Department, col(Department.id) == col(Membership.department_id))
        .where(col(Cluster.group_chat_id) == group_chat_id)
        .order_by(col(Membership.id))
        .limit(1)
    )
    found = (await session.exec(in_group)).first()
    if found is None:  # no cluster's group: the person still has a language
        return Acting(await get_person(session, person_id), None, None, None)
    cluster, person, membership, department = found
    return Acting(person, membership, cluster, department)


async def list_members(session: AsyncSession, cluster_id: str) -> list[Membership]:
    return list(
        (await session.exec(select(Membership).where(Membership.cluster_id == cluster_id))).all()
    )


async def list_officers(session: AsyncSession, department_id: int) -> list[Membership]:
    query = select(Membership).where(
        Membership.department_id == department_id, Membership.role == "officer"
    )
    return list((await session.exec(query)).all())


async def get_department(session: AsyncSession, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    return await session.get(Department, department_id)
