"""Checking a year's self-scores in the chat (/score check): the step a checker or a
department is in the middle of, and the checker's acceptances.

A `score_check_draft` is one per person, so that a restart loses nothing: the checker who
pressed "adjust" and owes the new points, then the reason; or the department's officer who
pressed "answer" and owes the note. The adjustment itself goes to `score_adjustment`
(storage/models_emulation.py) only when the reason is given, the answer when the note is.

A `score_review` row is a checker's "accept" of a department's score as it stands: kept as
history (a later press adds a row), it is what the cards and the lock show as reviewed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class ScoreCheckDraft(SQLModel, table=True):
    __tablename__ = "score_check_draft"

    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")  # whose score
    step: str = Field(max_length=16)  # points | reason | answer
    kind: str = Field(default="criterion", max_length=16)
    item: str = Field(default="", max_length=64)
    points_cents: int | None = None  # the new points, once typed (step "reason")
    adjustment_id: int | None = Field(default=None, foreign_key="score_adjustment.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScoreReview(SQLModel, table=True):
    __tablename__ = "score_review"
    __table_args__ = (Index("ix_score_review_session_department", "session_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")  # whose score was accepted
    checker_department_id: int | None = Field(default=None, foreign_key="department.id")
    accepted_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    accepted_at: datetime = Field(sa_type=UTCDateTime)
