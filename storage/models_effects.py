"""Effects: what a unit of work must do outside the database once it has committed.

A handler or a job writes its replies, group posts, live-message refreshes and menu changes as
rows in its own transaction; a worker (bot/publishing/worker.py) carries them out after the
commit, with retries, pacing and debouncing. Because the rows are committed together with the
change they follow, a crash after the commit loses nothing and a rollback sends nothing.

Kinds:

- ``send``: one Bot API request, ready to go (a text chunk, a photo, a media group, a document,
  an edit of the message whose button was pressed). Sent in id order within a chat.
- ``live``: "bring this live message up to date" (a round's progress, an election round's
  turnout). ``key`` is unique, so there is at most one pending row per live message; writers
  bump ``version`` instead of adding rows, and the worker renders the newest state when it sends.
- ``compose``: work that produces ``send`` rows later, off the event loop (the summary with its
  charts). ``key`` makes it happen once.
- ``menu``: refresh one user's command menu.

A row is deleted once done; one that failed for good stays with ``state = 'failed'`` and its
error, for the operator.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class Effect(SQLModel, table=True):
    __table_args__ = (
        Index("ix_effect_state_due", "state", "due_at"),
        Index("ix_effect_chat", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    key: str | None = Field(default=None, max_length=200, unique=True)
    version: int = 0
    payload: str = Field(sa_type=Text)  # JSON
    state: str = Field(default="pending", max_length=16)  # pending | failed
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    # Whom to tell, in private, when this effect fails for good (the officer who acted).
    notify_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A reply nobody needs any more (a stranger flood's answers) is dropped after this.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
