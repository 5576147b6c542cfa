"""The delivery log (outbox) and each cluster's stored schedule.

A delivery row exists for every message the bot has decided to send in a fan-out (reminders,
digests, escalations, notices). Its unique ``key`` is what makes sending exactly once: a row is
claimed by inserting it, and an insert under an existing key fails, whichever process or restart
tries it. States:

- ``queued``: written in the same transaction as a state change (a round auto-opened or closed),
  with its text; not attempted yet, so it is always safe to send.
- ``claimed``: a process took it and is sending it now, or died while doing so.
- ``sent``: Telegram accepted it (``message_id``).
- ``retry``: Telegram did not take it and surely did not deliver it (a network error before the
  request left, a 429 after the retries): it may be claimed again, up to a few attempts.
- ``failed_permanent``: refused for good (403 blocked, chat not found, bad request); not retried.
- ``uncertain``: it was claimed and the sender died, or the request timed out: it may or may not
  have arrived. Counted as delivered and never sent again (see bot/delivery.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow

DELIVERY_STATES = ("queued", "claimed", "sent", "retry", "failed_permanent", "uncertain")
DELIVERED_STATES = ("sent", "uncertain")


class Delivery(SQLModel, table=True):
    __table_args__ = (
        Index("ix_delivery_state_updated", "state", "updated_at"),
        Index("ix_delivery_round_kind", "round_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)
    cluster_id: str | None = Field(default=None, foreign_key="cluster.id", max_length=64)
    round_id: int | None = Field(default=None, foreign_key="round.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    state: str = Field(default="claimed", max_length=20)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=500)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    owner: str | None = Field(default=None, max_length=80)  # the process that claimed it
    text: str | None = Field(default=None, sa_type=Text)  # kept for queued rows
    markup: str | None = Field(default=None, sa_type=Text)  # JSON, for queued rows
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ClusterSchedule(SQLModel, table=True):
    """The cluster file's `[schedule]`, as `ScheduleSpec.to_data()` JSON, written by `init`."""

    __tablename__ = "cluster_schedule"

    cluster_id: str = Field(foreign_key="cluster.id", primary_key=True, max_length=64)
    data: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
