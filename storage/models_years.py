"""The emulation year (năm thi đua) of a cluster, as `clusterbot year start` records it.

What "a year" is in this data model: a round belongs to the year of its period (``2025-Q3``
is of 2025), while the indicators, the schedule and the election rules belong to the cluster and
change only when an administrator loads its file again. Starting a year therefore copies
nothing into new tables: it records that the year has started and what its configuration was at
the start, a snapshot (indicators, schedule, rules, roll), so that the year's configuration is
known later even after the file changed. Last year's rounds and submissions are not touched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class ClusterYear(SQLModel, table=True):
    __tablename__ = "cluster_year"
    __table_args__ = (UniqueConstraint("cluster_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    year: int
    config: str = Field(sa_type=Text)  # JSON: the configuration the year started with
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
