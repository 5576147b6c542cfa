"""Announcements: drafts, sending, private copies, acknowledgements and the one nudge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.clusters import list_departments
from storage.models import Department, Membership, Person
from storage.models_announcements import Announcement, AnnouncementAck, AnnouncementCopy


@dataclass(frozen=True)
class Ack:
    person_id: int
    full_name: str
    acked_at: datetime


@dataclass
class DepartmentAcks:
    department: Department
    acks: list[Ack] = field(default_factory=list)
    copies: int = 0  # officers the announcement was sent to

    @property
    def acknowledged(self) -> bool:
        return bool(self.acks)

    @property
    def first_at(self) -> datetime | None:
        return min((a.acked_at for a in self.acks), default=None)


async def create_draft(
    session: AsyncSession,
    cluster_id: str,
    author_id: int,
    text: str,
    now: datetime,
    media_kind: str | None = None,
    media_file_id: str | None = None,
    pin: bool = False,
) -> Announcement:
    if media_kind not in (None, "photo", "document"):
        raise ValueError(f"unknown media kind {media_kind!r}")
    row = Announcement(
        cluster_id=cluster_id,
        author_id=author_id,
        text=text,
        media_kind=media_kind,
        media_file_id=media_file_id,
        pin=pin,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def start_composing(
    session: AsyncSession, cluster_id: str, author_id: int, now: datetime
) -> Announcement:
    """/announce without text: the author's next private message is the announcement."""
    await session.exec(
        update(Announcement)
        .where(col(Announcement.author_id) == author_id, col(Announcement.state) == "composing")
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )
    row = Announcement(
        cluster_id=cluster_id, author_id=author_id, text="", state="composing", created_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def find_composing(session: AsyncSession, author_id: int) -> Announcement | None:
    query = select(Announcement).where(
        Announcement.author_id == author_id, Announcement.state == "composing"
    )
    return (await session.exec(query.order_by(col(Announcement.id).desc()))).first()


async def fill_draft(
    session: AsyncSession,
    announcement_id: int,
    text: str,
    media_kind: str | None = None,
    media_file_id: str | None = None,
) -> bool:
    """composing -> draft, with the content."""
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id, col(Announcement.state) == "composing")
        .values(state="draft", text=text, media_kind=media_kind, media_file_id=media_file_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def set_nudge_days(session: AsyncSession, announcement_id: int, days: int) -> bool:
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id, col(Announcement.state) == "draft")
        .values(nudge_working_days=days)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def get_announcement(session: AsyncSession, announcement_id: int) -> Announcement | None:
    return await session.get(Announcement, announcement_id, populate_existing=True)


async def set_pin(session: AsyncSession, announcement_id: int, pin: bool) -> bool:
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id, col(Announcement.state) == "draft")
        .values(pin=pin)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def claim_send(
    session: AsyncSession, announcement_id: int, now: datetime, nudge_at: datetime | None
) -> bool:
    """draft -> sent, once: of two presses of "Gửi", one sends."""
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id, col(Announcement.state) == "draft")
        .values(state="sent", sent_at=now, nudge_at=nudge_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def cancel(session: AsyncSession, announcement_id: int) -> bool:
    result = await session.exec(
        update(Announcement)
        .where(
            col(Announcement.id) == announcement_id,
            col(Announcement.state).in_(("draft", "composing")),
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def set_group_message(
    session: AsyncSession, announcement_id: int, chat_id: int, message_id: int
) -> None:
    await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id)
        .values(group_chat_id=chat_id, group_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def record_copy(
    session: AsyncSession,
    announcement_id: int,
    person_id: int,
    department_id: int | None,
    message_id: int | None,
    now: datetime,
) -> None:
    existing = (
        await session.exec(
            select(AnnouncementCopy).where(
                AnnouncementCopy.announcement_id == announcement_id,
                AnnouncementCopy.person_id == person_id,
            )
        )
    ).first()
    if existing is None:
        session.add(
            AnnouncementCopy(
                announcement_id=announcement_id,
                person_id=person_id,
                department_id=department_id,
                message_id=message_id,
                sent_at=now,
            )
        )
    else:
        existing.message_id = message_id
        session.add(existing)
    await session.flush()


async def acknowledge(
    session: AsyncSession,
    announcement_id: int,
    person_id: int,
    department_id: int | None,
    now: datetime,
) -> str:
    """ "new", "again" (this person had already) or "unknown" (no such sent announcement)."""
    row = await session.get(Announcement, announcement_id)
    if row is None or row.state != "sent":
        return "unknown"
    query = select(AnnouncementAck.id).where(
        AnnouncementAck.announcement_id == announcement_id,
        AnnouncementAck.person_id == person_id,
    )
    if (await session.exec(query)).first() is not None:
        return "again"
    try:
        async with session.begin_nested():
            session.add(
                AnnouncementAck(
                    announcement_id=announcement_id,
                    person_id=person_id,
                    department_id=department_id,
                    acked_at=now,
                )
            )
    except IntegrityError:
        return "again"  # a double click racing the first
    return "new"


async def list_acks_by_department(
    session: AsyncSession, announcement_id: int
) -> list[DepartmentAcks]:
    """Every member department, in the cluster's order, with who acknowledged and when."""
    row = await session.get(Announcement, announcement_id)
    if row is None:
        return []
    report = {d.id: DepartmentAcks(d) for d in await list_departments(session, row.cluster_id)}
    acks = await session.exec(
        select(AnnouncementAck, Person.full_name)
        .join(Person, col(Person.id) == col(AnnouncementAck.person_id), isouter=True)
        .where(AnnouncementAck.announcement_id == announcement_id)
        .order_by(col(AnnouncementAck.acked_at), col(AnnouncementAck.id))
    )
    for ack, name in acks.all():
        entry = report.get(ack.department_id)
        if entry is not None:
            entry.acks.append(Ack(ack.person_id, name or "", ack.acked_at))
    copies = await session.exec(
        select(AnnouncementCopy.department_id).where(
            AnnouncementCopy.announcement_id == announcement_id
        )
    )
    for department_id in copies.all():
        entry = report.get(department_id)
        if entry is not None:
            entry.copies += 1
    return list(report.values())


async def list_unacknowledged_departments(session: AsyncSession, announcement_id: int) -> list[int]:
    return [
        entry.department.id
        for entry in await list_acks_by_department(session, announcement_id)
        if not entry.acknowledged and entry.department.id is not None
    ]


async def find_latest_sent(session: AsyncSession, cluster_id: str) -> Announcement | None:
    query = (
        select(Announcement)
        .where(Announcement.cluster_id == cluster_id, Announcement.state == "sent")
        .order_by(col(Announcement.sent_at).desc(), col(Announcement.id).desc())
    )
    return (await session.exec(query)).first()


async def list_recent_sent(
    session: AsyncSession, cluster_id: str, limit: int = 5
) -> list[Announcement]:
    query = (
        select(Announcement)
        .where(Announcement.cluster_id == cluster_id, Announcement.state == "sent")
        .order_by(col(Announcement.sent_at).desc(), col(Announcement.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def list_sent_since(session: AsyncSession, since: datetime) -> list[int]:
    """The announcements sent at or after ``since`` (their fan-out may have been interrupted)."""
    query = select(Announcement.id).where(
        Announcement.state == "sent", col(Announcement.sent_at) >= since
    )
    return [i for i in (await session.exec(query)).all() if i is not None]


async def list_due_nudges(session: AsyncSession, now: datetime) -> list[int]:
    """Sent announcements whose nudge time has come and which were not nudged yet."""
    query = select(Announcement.id).where(
        Announcement.state == "sent",
        col(Announcement.nudge_at).is_not(None),
        col(Announcement.nudge_at) <= now,
        col(Announcement.nudged_at).is_(None),
    )
    return [i for i in (await session.exec(query.order_by(col(Announcement.id)))).all() if i]


async def mark_nudged(session: AsyncSession, announcement_id: int, now: datetime) -> bool:
    """Once: the nudge itself goes through the delivery log, keyed per department."""
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id, col(Announcement.nudged_at).is_(None))
        .values(nudged_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def list_officer_recipients(session: AsyncSession, cluster_id: str) -> list[tuple[int, int]]:
    """(person, department) for every officer of every member department, in cluster order."""
    departments = await list_departments(session, cluster_id)
    order = {d.id: i for i, d in enumerate(departments)}
    query = select(Membership.person_id, Membership.department_id).where(
        Membership.cluster_id == cluster_id,
        Membership.role == "officer",
        col(Membership.department_id).in_(list(order)),
    )
    rows: list[tuple[int, int]] = []
    for p, d in (await session.exec(query)).all():
        assert d is not None  # selected by department
        rows.append((int(p), int(d)))
    return sorted(rows, key=lambda pd: (order[pd[1]], pd[0]))
