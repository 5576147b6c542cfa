"""The tables. Many clusters live in one database; every row hangs off a cluster."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class Cluster(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    group_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    election_rules: str | None = Field(default=None, sa_type=Text)  # the file's [elections], JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cluster_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    slug: str = Field(max_length=64)
    name: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    position: int = 0
    merged_into: str | None = Field(default=None, max_length=64)
    # On a successor: the day its merger took effect, and the departments from outside the
    # cluster it absorbed (newline-separated names; None: none), see bot/domain/mergers.py.
    merged_on: date | None = None
    merged_from_outside: str | None = Field(default=None, sa_type=Text)


class Indicator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cluster_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    slug: str = Field(max_length=64)
    position: int = 0
    label: str = Field(max_length=500)
    label_en: str = Field(max_length=500)
    type: str = Field(max_length=16)
    unit: str = Field(default="", max_length=64)
    unit_en: str = Field(default="", max_length=64)
    required: bool = True
    min_value: str | None = Field(default=None, max_length=40)
    max_value: str | None = Field(default=None, max_length=40)
    aggregate: str = Field(default="sum", max_length=16)
    choices: str = Field(default="", sa_type=Text)  # newline-separated
    headline: bool = False  # charted when the summary is posted to the group
    active: bool = True  # an indicator dropped from the file keeps its history


class Office(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cluster_id", "term", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    term: int
    role: str = Field(max_length=16)  # head | deputy
    department_id: int = Field(foreign_key="department.id")


class Person(SQLModel, table=True):
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    full_name: str = Field(default="", max_length=300)
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "cluster_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=Column(BigInteger, index=True, nullable=False))
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    role: str = Field(max_length=16)  # officer | observer | admin
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Round(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("cluster_id", "period"),
        # The scheduler's every tick: WHERE state = 'open' ORDER BY id (storage/deliveries.py).
        Index("ix_round_state_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    period: str = Field(max_length=16)
    period_start: date
    deadline: date
    state: str = Field(default="open", max_length=16)  # open | closed
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    progress_message_id: int | None = None


class RoundReopening(SQLModel, table=True):
    """A closed round opened again for one department by the head."""

    __table_args__ = (UniqueConstraint("round_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    reopened_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    reopened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used: bool = False


class Submission(SQLModel, table=True):
    """One revision of one department's figures for one round: all values or none."""

    __table_args__ = (
        UniqueConstraint("round_id", "department_id", "revision"),
        Index("ix_submission_round_department", "round_id", "department_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id")
    department_id: int = Field(foreign_key="department.id", index=True)
    revision: int
    submitted_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    late: bool = False


class SubmissionValue(SQLModel, table=True):
    submission_id: int = Field(foreign_key="submission.id", primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    value: str | None = Field(default=None, sa_type=Text)  # canonical form; None = skipped


class Draft(SQLModel, table=True):
    """A half-finished report, so that a restart loses nothing."""

    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    round_id: int = Field(foreign_key="round.id")
    department_id: int = Field(foreign_key="department.id")
    state: str = Field(sa_type=Text)  # JSON, owned by bot.domain.drafts
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatNotice(SQLModel, table=True):
    """Groups we told, once, that this bot serves another group."""

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    noticed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Each later capability keeps its tables in its own module, on the same metadata, imported by
# the storage modules that use them; storage/tables.py lists them all, for what needs every
# table (Alembic, backup, create_all). Not imported here: a short command (an invite) then loads
# only the tables it uses, ~0,15 s of CPU less per call (issue 9).
