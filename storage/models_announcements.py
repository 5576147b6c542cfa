"""Announcements from the head, their private copies, and who acknowledged them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class Announcement(SQLModel, table=True):
    __table_args__ = (
        # The tick's "sent since" (WHERE state = 'sent' AND sent_at >= ...) and the latest sent.
        Index("ix_announcement_state_sent_at", "state", "sent_at"),
        # The tick's due nudges (WHERE state = 'sent' AND nudge_at <= now AND nudged_at IS
        # NULL): only the announcements still waiting for their nudge, a handful among years
        # of history. `state` first, so that SQLite (no statistics) prefers it to the index
        # above, which also starts with the state.
        Index(
            "ix_announcement_nudge_due",
            "state",
            "nudge_at",
            sqlite_where=text("nudged_at IS NULL"),
            postgresql_where=text("nudged_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str = Field(sa_type=Text)  # Telegram HTML, as composed (formatting kept)
    media_kind: str | None = Field(default=None, max_length=16)  # photo | document
    media_file_id: str | None = Field(default=None, max_length=300)
    pin: bool = False
    # composing (waiting for the text) -> draft (previewed) -> sent | cancelled
    state: str = Field(default="draft", max_length=16)
    nudge_working_days: int = 1  # 0: no nudge
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    group_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    group_message_id: int | None = None
    nudge_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    nudged_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class AnnouncementCopy(SQLModel, table=True):
    """The private copy sent to one officer (with the "Đã nhận" button)."""

    __tablename__ = "announcement_copy"
    __table_args__ = (UniqueConstraint("announcement_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", index=True)
    person_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    department_id: int | None = Field(default=None, foreign_key="department.id")
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnnouncementAck(SQLModel, table=True):
    """One officer said "Đã nhận"; their department counts as having acknowledged."""

    __tablename__ = "announcement_ack"
    __table_args__ = (UniqueConstraint("announcement_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", index=True)
    person_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    department_id: int | None = Field(default=None, foreign_key="department.id")
    acked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
