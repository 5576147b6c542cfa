"""Election tables. Read `storage/elections.py` for why the ballot table looks the way it does.

"Who has voted" (`ElectionVoter`) and "what was voted" (`ElectionBallot`) are separate tables
with nothing in common but the round: in secret mode a ballot row holds no department, person,
timestamp or ordered key, and every ballot row of a round exists from the round's opening.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (the tables its foreign keys name)
import storage.naming  # noqa: F401  (the naming convention, before any table is declared)
from storage.types import UTCDateTime, utcnow


class Election(SQLModel, table=True):
    __table_args__ = (
        # One election open at a time per cluster, guarded by the database too: two openings
        # racing (two replicas, a tick and a press) cannot both commit (storage/elections.py).
        Index(
            "uq_election_cluster_id_open",
            "cluster_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: str = Field(foreign_key="cluster.id", index=True, max_length=64)
    title: str = Field(max_length=200)
    term: int  # the year the elected offices serve
    mode: str = Field(max_length=8)  # secret | open
    quorum: str = Field(max_length=16)  # a fraction, "2/3"
    majority: str = Field(max_length=16)  # a fraction, "1/2"
    majority_of: str = Field(default="cast", max_length=8)  # cast | roll
    max_rounds: int = 3
    reballot_top: int = 2
    no_reelect_head: bool = True
    one_office_each: bool = True
    allow_replace: bool = True
    voting_minutes: int = 1440
    # draft (being set up with /election) -> scheduled -> open -> closed; or cancelled
    state: str = Field(default="scheduled", max_length=16, index=True)
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)  # the first round's closing time
    custom_candidates: bool = False  # False: every department on the roll stands
    outgoing_head_id: int | None = Field(default=None, foreign_key="department.id")
    roll_fingerprint: str = Field(default="", max_length=64)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    group_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    handover_announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # An award proposal runs on the same machinery (bot/domain/awards.py): its kind, and the
    # award's rule as the cluster file declared it when the vote was set up.
    kind: str = Field(
        default="election", max_length=16, sa_column_kwargs={"server_default": "election"}
    )  # election | flag | collective | individual
    award_threshold: str = Field(  # a fraction, "2/3"
        default="", max_length=16, sa_column_kwargs={"server_default": ""}
    )
    award_of: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    award_seats: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # 0: no limit
    award_ties: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})


class ElectionOffice(SQLModel, table=True):
    """One office to fill, in `position` order."""

    __table_args__ = (
        UniqueConstraint("election_id", "position"),
        UniqueConstraint("election_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id", index=True)
    position: int
    role: str = Field(max_length=16)  # head | deputy | a custom key
    label: str = Field(default="", max_length=200)
    label_en: str = Field(default="", max_length=200)
    # waiting -> voting -> elected | head_decides -> decided ; or vacant
    state: str = Field(default="waiting", max_length=16)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ElectionCandidate(SQLModel, table=True):
    """The election's candidates when they are not simply the roll."""

    election_id: int = Field(foreign_key="election.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)
    position: int = 0


class ElectionRollEntry(SQLModel, table=True):
    """The roll: the member departments at opening."""

    __tablename__ = "election_roll"

    election_id: int = Field(foreign_key="election.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)
    position: int = 0


class ElectionRound(SQLModel, table=True):
    """One ballot round for one office."""

    __tablename__ = "election_round"
    __table_args__ = (UniqueConstraint("election_id", "office_position", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id", index=True)
    office_position: int
    number: int  # 1, 2, ... within the office
    state: str = Field(default="open", max_length=16, index=True)  # open | closed
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    closed_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outcome: str | None = Field(default=None, max_length=16)  # bot.domain.elections.Outcome
    cast: int | None = None
    winner_id: int | None = Field(default=None, foreign_key="department.id")
    turnout_message_id: int | None = None  # the live "5/7 đơn vị đã bỏ phiếu" message


class ElectionRoundCandidate(SQLModel, table=True):
    __tablename__ = "election_round_candidate"

    round_id: int = Field(foreign_key="election_round.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)
    position: int = 0


class ElectionVoter(SQLModel, table=True):
    """Who has voted: one row per department per round (the unique constraint is the
    "one department, one vote" guarantee; a double click cannot make a second ballot).

    In secret mode this table says nothing about the choice. In open mode `open_choice` holds
    it (a department id, or 0 for a blank ballot).
    """

    __tablename__ = "election_voter"
    __table_args__ = (UniqueConstraint("round_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="election_round.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    voted_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    voted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    open_choice: int | None = None


class ElectionBallot(SQLModel, table=True):
    """What was voted, in secret mode. One row per roll entry, created (shuffled) when the round
    opens; a vote fills a random empty row. No department, person, time or ordered key here.
    """

    __tablename__ = "election_ballot"
    __table_args__ = (UniqueConstraint("round_id", "receipt"),)

    id: str = Field(primary_key=True, max_length=32)  # uuid4().hex
    round_id: int = Field(foreign_key="election_round.id", index=True)
    receipt: str = Field(max_length=8)  # published at the close; random placeholder until used
    key_hash: str = Field(max_length=64, unique=True)  # sha256 of the replace key; placeholder
    filled: bool = False
    choice: int = 0  # department id, 0 = blank (meaningful only when filled)
    # An award ballot: one character per candidate (or nominee) slot, bot.domain.awards. Every
    # row has the same width, blank ones and election ballots too, so that none stands out.
    payload: str = Field(
        default="0" * 32, max_length=32, sa_column_kwargs={"server_default": "0" * 32}
    )
