"""A self-score being entered in the chat (/score): one per officer, so that a restart loses
nothing. Its state is JSON owned by bot/services/score_conversation.py; the scores themselves
go to `self_score` (storage/models_emulation.py) only when the officer confirms the review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.models_emulation  # noqa: F401  (score_draft.session_id)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class ScoreDraft(SQLModel, table=True):
    __tablename__ = "score_draft"

    person_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    session_id: int = Field(foreign_key="scoring_session.id")
    department_id: int = Field(foreign_key="department.id")
    state: str = Field(sa_type=Text)
    version: int = 0  # in every button of the review card: an old card's press is refused
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
