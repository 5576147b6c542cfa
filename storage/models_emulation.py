"""The emulation year's tables: the pact and its signatures, the scoring session, self-scores,
the checker's adjustments, locked totals and evidence files. `storage/emulation.py` reads and
writes them; the rules are in `bot/domain/scoring.py`.

Points are kept as whole hundredths (`*_cents`, 12.5 points = 1250): exact on both engines,
where a NUMERIC column would come back as a float on SQLite. A year's pact and scoring table are
snapshots (JSON of the cluster file's table as it was when the head opened them), so editing the
file later changes nothing already signed or scored. The unique keys lead with the column the
rows are read by (a cluster's year, a session, a pact), so they serve as its index too.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class ClusterEmulation(SQLModel, table=True):
    """The cluster file's [pact] and [scoring] as validated at `init`: JSON of the tables as
    written, {"pact": {...}, "scoring": {...}} (either may be absent)."""

    __tablename__ = "cluster_emulation"

    cluster_id: str = Field(foreign_key="cluster.id", primary_key=True, max_length=64)
    data: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Pact(SQLModel, table=True):
    """A year's pact (giao ước thi đua), opened by the head: the text every department signs."""

    __table_args__ = (UniqueConstraint("cluster_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", max_length=64)
    year: int
    state: str = Field(default="open", max_length=8)  # open | closed
    text: str = Field(sa_type=Text)  # JSON of the [pact] table as opened (the snapshot)
    opened_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class PactSignature(SQLModel, table=True):
    """A department's signature of the pact; with targets of its own it waits for the head.

    States: ``signed`` (as written), ``proposed`` (with its own targets, for the head),
    ``accepted`` (the head accepted them), ``returned`` (sent back with a note: sign again).
    """

    __tablename__ = "pact_signature"
    __table_args__ = (UniqueConstraint("pact_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pact_id: int = Field(foreign_key="pact.id")
    department_id: int = Field(foreign_key="department.id")
    state: str = Field(max_length=16)
    proposed_targets: str | None = Field(default=None, sa_type=Text)  # JSON {indicator: "150"}
    signed_by: int = Field(sa_column=Column(BigInteger, nullable=False))  # a Telegram user id
    signed_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    note: str | None = Field(default=None, sa_type=Text)  # the head's reason for sending back


class ScoringSession(SQLModel, table=True):
    """A year's scoring: open (departments score themselves) -> checking -> locked."""

    __tablename__ = "scoring_session"
    __table_args__ = (UniqueConstraint("cluster_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", max_length=64)
    year: int
    deadline: date
    state: str = Field(default="open", max_length=16)  # open | checking | locked
    scoring_table: str = Field(sa_type=Text)  # JSON of the [scoring] table as opened
    pact_id: int | None = Field(default=None, foreign_key="pact.id")  # whose targets count
    opened_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class SelfScoreEntry(SQLModel, table=True):
    """A department's own score on one criterion, bonus item or deduction item: its latest
    entry (`revision` counts the changes; earlier values are not kept, they were never final)."""

    __tablename__ = "self_score"
    __table_args__ = (UniqueConstraint("session_id", "department_id", "kind", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")
    kind: str = Field(max_length=16)  # criterion | bonus | deduction
    item: str = Field(max_length=64)  # the criterion's or the item's id
    points_cents: int
    justification: str = Field(sa_type=Text)
    revision: int = 1  # 1 on the first entry, +1 on each change
    scored_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    scored_at: datetime = Field(sa_type=UTCDateTime)


class ScoreAdjustment(SQLModel, table=True):
    """The checker's points on a criterion or item of a department, with a reason; the
    department may answer once; the head then decides (``upheld`` or ``withdrawn``)."""

    __tablename__ = "score_adjustment"
    __table_args__ = (
        Index("ix_score_adjustment_session_department", "session_id", "department_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")  # whose score is adjusted
    kind: str = Field(max_length=16)
    item: str = Field(max_length=64)
    checker_department_id: int | None = Field(default=None, foreign_key="department.id")
    checked_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    points_cents: int
    reason: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    answer_note: str | None = Field(default=None, sa_type=Text)
    answered_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    decision: str | None = Field(default=None, max_length=16)  # upheld | withdrawn
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ScoreTotal(SQLModel, table=True):
    """A department's final totals, locked by the head: what the ranking reads."""

    __tablename__ = "score_total"
    __table_args__ = (UniqueConstraint("session_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")
    groups: str = Field(sa_type=Text)  # JSON [[group id, cents], ...] in the table's order
    criteria: str = Field(sa_type=Text)  # JSON [[criterion id, cents], ...]
    bonus_cents: int
    deductions_cents: int
    total_cents: int
    locked_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    locked_at: datetime = Field(sa_type=UTCDateTime)


class ScoreEvidence(SQLModel, table=True):
    """An evidence file (minh chứng) a department attached to a criterion or item. The bytes
    stay with Telegram (`telegram_file_id`, for export); the hash proves what was sent."""

    __tablename__ = "score_evidence"
    __table_args__ = (Index("ix_score_evidence_session_department", "session_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")
    kind: str = Field(max_length=16)
    item: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    telegram_file_id: str = Field(max_length=255)
    uploaded_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
