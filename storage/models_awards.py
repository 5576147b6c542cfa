"""Award nominees: the people each department puts forward for the Certificate of Merit.

A nominee is public (the group sees the list before the vote, the proposal names them), so the
row names its department and who entered it. The vote on nominees is an `Election` of kind
"individual" whose ballots (`ElectionBallot.payload`) say yes or no per nominee slot: how a
department voted is kept exactly as secret as an election's (storage/elections.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.models_elections  # noqa: F401  (award_nominee.election_id)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class AwardNominee(SQLModel, table=True):
    """One person nominated for a year's Certificate of Merit.

    Entered in a short private conversation (`state` draft_name -> draft_position ->
    draft_achievements -> submitted); the head's vote takes every submitted nominee of the
    year not yet voted on (`election_id`, and `slot`: the nominee's place on the ballot).

    Before that vote the department may change a submitted nominee or withdraw it (`state`
    "withdrawn": kept, never on a ballot). A change being entered is a row of its own, in state
    edit_name / edit_title / edit_achievements, naming the nominee it changes (`edits_id`): the
    nominee stays on the list, unchanged, until the new answer arrives.
    """

    __tablename__ = "award_nominee"
    __table_args__ = (
        UniqueConstraint("election_id", "slot"),
        Index("ix_award_nominee_cluster_id_term_state", "cluster_id", "term", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", max_length=64)
    term: int  # the year the achievements are of
    department_id: int = Field(foreign_key="department.id")
    state: str = Field(default="draft_name", max_length=24)
    name: str = Field(default="", max_length=120)
    title: str = Field(default="", max_length=200)  # position (chức vụ)
    achievements: str = Field(default="", sa_type=Text)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    election_id: int | None = Field(default=None, foreign_key="election.id", nullable=True)
    slot: int | None = None
    edits_id: int | None = Field(default=None, foreign_key="award_nominee.id", nullable=True)
