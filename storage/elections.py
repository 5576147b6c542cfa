"""Elections in the database: what is loaded and saved to create, open, vote, close, decide.

Storage only loads and saves. The rules (who may stand, whether a ballot counts, the count)
are applied by `bot.services.elections`, between a "lock and load" here (`claim_opening`,
`lock_round_for_vote`, `claim_close`) and the "record" functions, in the same session, so
each vote and each close is still one transaction whose first statement locks the round.

Keeping a secret ballot secret
==============================
Goal: whoever reads every table (and the logs) after, or during, an election cannot tell how a
department voted. Reading the database *continuously while people vote* is out of scope: such
a reader sees each ballot appear as its voter is marked, and could as well read the bot's
memory.

"Who has voted" (`election_voter`: round x department, unique) and "what was voted"
(`election_ballot`) share nothing but the round id:

* Ballot rows carry no department, person or timestamp. Their primary key is a random UUID.
  The receipt code (published at the close) and the hash of the ballot key (see
  `bot.domain.elections`) are random too; nothing is derived from the department.
* Insertion order: the ballot rows of a round are all created when the round opens, one per
  department on the roll, before anyone votes. A vote fills a *random* empty row, so neither
  SQLite's rowid nor any physical order says which voter filled which row.
* PostgreSQL's `xmin` (the id of the transaction that wrote a row version) would link the new
  `election_voter` row to the ballot written in the same transaction. So every vote (and every
  replacement) deletes *all* ballot rows of the round and inserts them again, in a fresh random
  order: afterwards they all carry the xmin of the last write, and where each row lies (its
  rowid on SQLite, its ctid on PostgreSQL, hence the order VACUUM FULL keeps) is drawn anew at
  every vote. An UPDATE of all rows, tried first, let the physical order follow the votes on
  PostgreSQL now and then (in about one full suite run in three, 10 of 12 voters were linked
  by plain row order; most likely because the filled row changes indexed columns and so
  cannot be a HOT update like the others, and lands elsewhere when its page is full). The cost is one read, one DELETE and
  one INSERT of ~roll-size rows per vote.
* Votes of one round are serialized by a write on the round row taken first in the transaction
  (`_lock_round`), which also makes "vote after close" and "close" exclusive.
* Nothing here logs. The receipt and the key are made by the service, which gives storage
  only the key's hash and shows both to the department's officers only; they must not pass
  through a table (e.g. an outbox) that also names the recipient. SQL logging
  (sqlalchemy.engine at INFO) would print the parameters of both writes of one transaction
  next to each other: keep it off in production.

Replacing a ballot: the department keeps a ballot key that the server never stores in clear.
The key rides in the callback data of the "replace" button on the receipt messages sent to the
department's officers (it is in their private chats, nowhere else); pressing it brings the key
back, and the server finds the ballot by the key's hash. The trade-offs considered: deriving
the receipt from the department with a server secret would let anyone holding the database and
that secret link every ballot; asking the officer to paste a code is the same secret with more
typing. If every officer deletes the receipt message, the ballot can no longer be replaced
(the first one stands). Possession of the key is the authority: the server cannot check that
the key belongs to the presser's department without linking the two, so it checks only that
the presser's department has voted in this round.

Open mode stores the choice on the voter row (`open_choice`); no ballot rows are made.

Secrecy at rest
---------------
The tables are not the only thing on disk. Each vote's commit writes the new voter row and the
filled ballot together, and the engines keep superseded versions: replaying SQLite's WAL commit
by commit (or diffing each ballot page image against the previous one) linked 20 of 21 voters
to their choices; on PostgreSQL the dead version of the filled ballot row carries, as xmax, the
vote's transaction id, next to the voter row's xmin. No table layout can prevent that: whatever
a vote stores must be written in the transaction that marks the voter (a ballot held back and
written later would need to live somewhere in between: in memory it dies with a restart, on
disk it is the same link; encrypting it needs a key the server holds, on the same disk). So
the history itself is erased (`storage.database.Database.erase_ballot_history`, requested with
`request_ballot_erasure`, run right after the unit of work commits):

* SQLite: `PRAGMA secure_delete=ON` on every connection (deleted cells and freed pages are
  zeroed in the file), and after every secret vote, replacement, close and cancellation
  `PRAGMA wal_checkpoint(TRUNCATE)`: the WAL is copied into the database file (whose pages then
  hold only the newest version) and truncated to zero bytes. At rest, between two votes, the
  disk holds the current state only, which the layout above keeps unlinkable. We chose this
  over VACUUM at close: VACUUM rewrites the whole database (through the WAL, which then needs
  the same checkpoint) and takes time proportional to every cluster's data, while secure_delete
  already leaves no freed content behind. A checkpoint that readers keep from finishing is
  retried; if it still cannot finish, the next one (the next vote or close) includes it.
* PostgreSQL: at every secret close or cancellation, `VACUUM (FULL) election_ballot` on an
  autocommit connection: the table and its indexes are rewritten into new files without dead
  versions (a plain VACUUM only marks their space free, the bytes stay). Not per vote: it takes
  an ACCESS EXCLUSIVE lock. What remains is outside the database files: the server's WAL
  (pg_wal, until its segments are recycled), WAL archives, base backups and replicas keep every
  version; see the README's "Ballot secrecy".

Neither engine erases what the file system or the storage device keeps (copy-on-write
snapshots, SSD remapping); nor what a continuous reader saw while people voted (out of scope,
above). `tests/elections/test_secrecy_at_rest.py` reads the files raw and runs the attacks.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import elections as rules_
from bot.domain.elections import (
    ABSTAIN,
    HEAD,
    BallotContext,
    ElectionPlan,
    ElectionRules,
    Mode,
    Tally,
)
from storage.clusters import get_current_offices, list_departments
from storage.database import request_ballot_erasure
from storage.models import Department, Office
from storage.models_elections import (
    Election,
    ElectionBallot,
    ElectionCandidate,
    ElectionOffice,
    ElectionRollEntry,
    ElectionRound,
    ElectionRoundCandidate,
    ElectionVoter,
)

ACTIVE_STATES = ("scheduled", "open")
ELECTION_KIND = "election"  # Election.kind; an award vote has its own (bot/domain/awards.py)
HANDOVER_ROLES = ("head", "deputy")
_Row = TypeVar("_Row")


class ElectionError(Exception):
    """A request the rules refuse; `codes` name the reasons (for templates)."""

    def __init__(self, *codes: str) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


def rules_of(election: Election) -> ElectionRules:
    return ElectionRules(
        mode=Mode(election.mode),
        quorum=rules_.parse_fraction(election.quorum),
        majority=rules_.parse_fraction(election.majority),
        majority_of=election.majority_of,
        max_rounds=election.max_rounds,
        reballot_top=election.reballot_top,
        no_reelect_head=election.no_reelect_head,
        one_office_each=election.one_office_each,
        allow_replace=election.allow_replace,
        voting_minutes=election.voting_minutes,
    )


# --------------------------------------------------------------------------------------------
# Creating and opening


async def create_election(
    session: AsyncSession,
    cluster_id: str,
    plan: ElectionPlan,
    created_by: int,
    now: datetime,
    draft: bool = False,
) -> Election:
    """Store a planned election (checked by the service: `bot.services.elections.create_election`):
    "scheduled" (the service opens it), or "draft" while the head is still setting it up
    (`update_draft`). ElectionError when another one runs or a candidate is not a member."""
    if await find_active_election(session, cluster_id) is not None:
        raise ElectionError("already_running")
    members = {d.id for d in await list_departments(session, cluster_id)}
    if plan.candidates is not None and not set(plan.candidates) <= members:
        raise ElectionError("unknown_candidate")
    opens_at = plan.opens_at or now
    closes_at = plan.closes_at or opens_at + timedelta(minutes=plan.rules.voting_minutes)
    rules = plan.rules
    election = Election(
        cluster_id=cluster_id,
        title=plan.title.strip(),
        term=plan.term,
        mode=rules.mode.value,
        quorum=rules_.format_fraction(rules.quorum),
        majority=rules_.format_fraction(rules.majority),
        majority_of=rules.majority_of,
        max_rounds=rules.max_rounds,
        reballot_top=rules.reballot_top,
        no_reelect_head=rules.no_reelect_head,
        one_office_each=rules.one_office_each,
        allow_replace=rules.allow_replace,
        voting_minutes=rules.voting_minutes,
        opens_at=opens_at,
        closes_at=closes_at,
        custom_candidates=plan.candidates is not None,
        created_by=created_by,
        created_at=now,
        state="draft" if draft else "scheduled",
    )
    session.add(election)
    await session.flush()
    assert election.id is not None
    for position, office in enumerate(plan.offices):
        session.add(
            ElectionOffice(
                election_id=election.id,
                position=position,
                role=office.role,
                label=office.label,
                label_en=office.label_en,
            )
        )
    for position, department_id in enumerate(plan.candidates or ()):
        session.add(
            ElectionCandidate(
                election_id=election.id, department_id=department_id, position=position
            )
        )
    await session.flush()
    return election


async def get_draft_election(session: AsyncSession, cluster_id: str) -> Election | None:
    query = (
        select(Election)
        .where(Election.cluster_id == cluster_id, Election.state == "draft")
        .order_by(col(Election.id).desc())
    )
    return (await session.exec(query)).first()


async def update_draft(
    session: AsyncSession,
    election_id: int,
    *,
    mode: Mode | None = None,
    voting_minutes: int | None = None,
    now: datetime | None = None,
) -> Election | None:
    """Change a draft's mode or round length (the first round then closes `voting_minutes`
    after `now`). None when it is no longer a draft."""
    election = await session.get(Election, election_id, populate_existing=True)
    if election is None or election.state != "draft":
        return None
    if mode is not None:
        election.mode = mode.value
    if voting_minutes is not None:
        election.voting_minutes = voting_minutes
        start = now or election.opens_at
        election.opens_at = start
        election.closes_at = start + timedelta(minutes=voting_minutes)
    session.add(election)
    await session.flush()
    return election


async def discard_draft(session: AsyncSession, election_id: int) -> bool:
    result = await session.exec(
        update(Election)
        .where(col(Election.id) == election_id, col(Election.state) == "draft")
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


@dataclass(frozen=True)
class Opening:
    """An election just claimed for opening (state "open", not flushed to a roll yet), and what
    the service needs to check before the roll is recorded."""

    election: Election
    departments: list[Department]  # the roll to be, in order
    candidates: list[int]
    offices: list[ElectionOffice]


async def claim_opening(session: AsyncSession, election_id: int, now: datetime) -> Opening:
    """Mark the election open (once: ElectionError otherwise) and load its roll, candidates
    and offices. The caller checks them and then calls `record_roll`; on a refusal it rolls
    the claim back (a savepoint)."""
    if await find_active_election_id(session, election_id) is not None:
        raise ElectionError("already_running")
    previous = (await _election(session, election_id)).state
    try:
        claimed = await session.exec(
            update(Election)
            .where(col(Election.id) == election_id, col(Election.state).in_(("draft", "scheduled")))
            .values(state="open", opened_at=now)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        # uq_election_cluster_id_open: another opening of this cluster committed meanwhile,
        # after the check above. The caller's savepoint rolls this statement back.
        raise ElectionError("already_running") from None
    if claimed.rowcount != 1:
        raise ElectionError("not_scheduled")
    election = await _election(session, election_id)
    if previous == "draft":  # set up a while ago: the first round runs from now
        election.opens_at = now
        election.closes_at = now + timedelta(minutes=election.voting_minutes)
    departments = await list_departments(session, election.cluster_id)
    if not departments:
        raise ElectionError("empty_roll")
    roll = [d.id for d in departments if d.id is not None]
    election.outgoing_head_id = (
        await get_current_offices(session, election.cluster_id, election.term - 1)
    ).get(HEAD)
    candidates = await list_election_candidates(session, election, roll)
    offices = await list_offices(session, election_id)
    return Opening(election, departments, candidates, offices)


async def record_roll(
    session: AsyncSession, election: Election, roll: list[int], fingerprint: str
) -> None:
    """Fix the roll of an election being opened, with its published fingerprint."""
    assert election.id is not None
    election.roll_fingerprint = fingerprint
    for position, department_id in enumerate(roll):
        session.add(
            ElectionRollEntry(
                election_id=election.id, department_id=department_id, position=position
            )
        )
    session.add(election)
    await session.flush()


async def find_active_election_id(session: AsyncSession, election_id: int) -> int | None:
    """Another election of the same cluster already open (one at a time per cluster)."""
    election = await session.get(Election, election_id)
    if election is None:
        return None
    query = select(Election.id).where(
        Election.cluster_id == election.cluster_id,
        Election.state == "open",
        Election.id != election_id,
    )
    return (await session.exec(query)).first()


async def cancel_election(session: AsyncSession, election_id: int, now: datetime) -> bool:
    result = await session.exec(
        update(Election)
        .where(col(Election.id) == election_id, col(Election.state).in_(ACTIVE_STATES))
        .values(state="cancelled", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if (await _election(session, election_id)).mode == Mode.SECRET.value:
        request_ballot_erasure(session, closing=True)
    await session.exec(
        update(ElectionRound)
        .where(col(ElectionRound.election_id) == election_id, col(ElectionRound.state) == "open")
        .values(state="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


async def create_round(
    session: AsyncSession,
    election: Election,
    office_position: int,
    number: int,
    candidates: tuple[int, ...],
    now: datetime,
    closes_at: datetime,
) -> ElectionRound:
    """A new open round with its candidates (and, secret mode, its empty ballots)."""
    assert election.id is not None
    round_ = ElectionRound(
        election_id=election.id,
        office_position=office_position,
        number=number,
        opens_at=now,
        closes_at=closes_at,
    )
    session.add(round_)
    await session.flush()
    assert round_.id is not None
    for position, department_id in enumerate(candidates):
        session.add(
            ElectionRoundCandidate(
                round_id=round_.id, department_id=department_id, position=position
            )
        )
    if election.mode == Mode.SECRET.value:
        # Every ballot row exists before the first vote, all alike: see the module docstring.
        for _ in range(len(await list_roll(session, election.id))):
            session.add(_placeholder_ballot(round_.id))
    await session.flush()
    return round_


def _placeholder_ballot(round_id: int) -> ElectionBallot:
    return ElectionBallot(
        id=uuid.uuid4().hex,
        round_id=round_id,
        receipt=rules_.new_receipt(),
        key_hash=rules_.key_hash(rules_.new_ballot_key()),
        filled=False,
        choice=ABSTAIN,
    )


def set_office_state(session: AsyncSession, office: ElectionOffice, state: str) -> None:
    """The office's new state ("voting", "vacant": nobody may stand, "head_decides"), saved
    with the next flush."""
    office.state = state
    session.add(office)


async def finish_election(
    session: AsyncSession, election: Election, offices: list[ElectionOffice], now: datetime
) -> None:
    """Close the election and record the new term's head and deputy (the handover: they take
    office when `current_offices` reaches the term, on its first day)."""
    election.state = "closed"
    election.closed_at = now
    session.add(election)
    for office in offices:
        if office.role not in HANDOVER_ROLES or office.department_id is None:
            continue
        existing = (
            await session.exec(
                select(Office).where(
                    Office.cluster_id == election.cluster_id,
                    Office.term == election.term,
                    Office.role == office.role,
                )
            )
        ).first()
        if existing is None:
            session.add(
                Office(
                    cluster_id=election.cluster_id,
                    term=election.term,
                    role=office.role,
                    department_id=office.department_id,
                )
            )
        else:
            existing.department_id = office.department_id
            session.add(existing)
    await session.flush()


# --------------------------------------------------------------------------------------------
# Voting


async def _lock_round(session: AsyncSession, round_id: int) -> bool:
    """The first statement of a vote or a close: a write on the round row.

    PostgreSQL: a row lock held to the end of the transaction. SQLite: the database write lock,
    taken before any read of this transaction (no stale snapshot to upgrade). Either way, the
    votes and the close of one round run one after the other.
    """
    result = await session.exec(
        update(ElectionRound)
        .where(col(ElectionRound.id) == round_id)
        .values(state=ElectionRound.state)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


@dataclass(frozen=True)
class LockedBallot:
    """A round locked for a ballot (`lock_round_for_vote`) and what the database says then."""

    round: ElectionRound
    election: Election
    context: BallotContext  # what `bot.domain.elections.refuse_ballot` judges

    @property
    def secret(self) -> bool:
        return self.election.mode == Mode.SECRET.value


async def lock_round_for_vote(
    session: AsyncSession, round_id: int, department_id: int | None
) -> LockedBallot | None:
    """Lock the round (the first statement of the transaction, see `_lock_round`) and load
    everything a ballot is checked against. None when there is no such round.

    The caller decides under the same lock and records with `record_voter` and
    `fill_empty_ballot`, or `record_open_replacement` / `rewrite_ballot`, in this transaction.
    """
    if not await _lock_round(session, round_id):
        return None
    round_ = await _fresh(session, ElectionRound, round_id)
    election = await _fresh(session, Election, round_.election_id)
    latest = (
        await session.exec(
            select(func.max(ElectionRound.id)).where(
                ElectionRound.election_id == round_.election_id
            )
        )
    ).one()
    already = False
    if department_id is not None:
        already = await department_has_voted(session, round_id, department_id)
    context = BallotContext(
        election_open=election.state == "open",
        round_open=round_.state == "open",
        is_current_round=latest == round_.id,
        closes_at=round_.closes_at,
        roll=frozenset(await list_roll(session, round_.election_id)),
        round_candidates=frozenset(await list_round_candidates(session, round_id)),
        already_voted=already,
        allow_replace=election.allow_replace,
    )
    return LockedBallot(round_, election, context)


async def record_voter(
    session: AsyncSession,
    round_id: int,
    department_id: int,
    person_id: int,
    now: datetime,
    open_choice: int | None,
) -> bool:
    """Mark the department as having voted (open mode: with its choice). False when it had
    already (the unique constraint: one department, one vote; nothing is written then)."""
    try:
        async with session.begin_nested():
            session.add(
                ElectionVoter(
                    round_id=round_id,
                    department_id=department_id,
                    voted_by=person_id,
                    voted_at=now,
                    open_choice=open_choice,
                )
            )
    except IntegrityError:
        return False
    return True


async def fill_empty_ballot(
    session: AsyncSession,
    round_id: int,
    *,
    choice: int,
    receipt: str,
    key_hash: str,
    payload: str | None = None,
) -> None:
    """Secret mode: write the choice (an award ballot: its payload, `bot.domain.awards`) into a
    random empty ballot of the round, in the transaction that marked the voter, and have the
    history erased after the commit."""
    empty = list(
        (
            await session.exec(
                select(ElectionBallot.id).where(
                    ElectionBallot.round_id == round_id,
                    ElectionBallot.filled == False,  # noqa: E712
                )
            )
        ).all()
    )
    if not empty:
        raise RuntimeError(f"round {round_id} has no empty ballot left")
    slot = secrets.choice(empty)
    request_ballot_erasure(session)
    await _rewrite_ballots(
        session,
        round_id,
        slot=slot,
        choice=choice,
        receipt=receipt,
        key_hash=key_hash,
        payload=payload,
    )


async def record_open_replacement(
    session: AsyncSession,
    round_id: int,
    department_id: int,
    person_id: int,
    choice: int,
    now: datetime,
) -> None:
    """Open mode: the department's new choice replaces its old one on the voter row."""
    await session.exec(
        update(ElectionVoter)
        .where(
            col(ElectionVoter.round_id) == round_id,
            col(ElectionVoter.department_id) == department_id,
        )
        .values(open_choice=choice, voted_by=person_id, voted_at=now)
        .execution_options(synchronize_session=False)
    )


async def find_filled_receipt(session: AsyncSession, round_id: int, key_hash: str) -> str | None:
    """The receipt code of the cast ballot whose key hashes to `key_hash`, if any."""
    query = select(ElectionBallot.receipt).where(
        ElectionBallot.round_id == round_id,
        ElectionBallot.key_hash == key_hash,
        ElectionBallot.filled == True,  # noqa: E712
    )
    return (await session.exec(query)).first()


async def rewrite_ballot(
    session: AsyncSession,
    round_id: int,
    *,
    key_hash: str,
    choice: int,
    receipt: str,
    payload: str | None = None,
) -> None:
    """Secret mode: change the choice of the ballot found by its key's hash (all rows of the
    round rewritten, see the module docstring), and have the history erased after the commit."""
    request_ballot_erasure(session)
    await _rewrite_ballots(
        session,
        round_id,
        choice=choice,
        receipt=receipt,
        key_hash=key_hash,
        payload=payload,
    )


async def _rewrite_ballots(
    session: AsyncSession,
    round_id: int,
    *,
    slot: str | None = None,
    key_hash: str,
    choice: int,
    receipt: str,
    payload: str | None = None,
) -> None:
    """Fill the empty ballot ``slot`` (or change the one whose key hashes to ``key_hash``),
    deleting every ballot row of the round and inserting them all again, in a fresh random
    order, in the same transaction (see the module docstring: no row version stands out, and
    no physical order follows the order of the votes)."""
    found = (
        await session.exec(select(ElectionBallot).where(col(ElectionBallot.round_id) == round_id))
    ).all()
    rows = []
    for ballot in found:
        row = ballot.model_dump()
        session.expunge(ballot)  # its row is deleted and inserted anew below
        if (slot is not None and ballot.id == slot) or (
            slot is None and ballot.key_hash == key_hash
        ):
            row.update(filled=True, choice=choice, receipt=receipt, key_hash=key_hash)
            if payload is not None:
                row.update(payload=payload)
        rows.append(row)
    secrets.SystemRandom().shuffle(rows)
    await session.exec(
        delete(ElectionBallot)
        .where(col(ElectionBallot.round_id) == round_id)
        .execution_options(synchronize_session=False)
    )
    await session.exec(insert(ElectionBallot), params=rows)


# --------------------------------------------------------------------------------------------
# Closing and deciding


@dataclass(frozen=True)
class ClaimedClose:
    round: ElectionRound  # now "closed"
    election: Election


async def claim_close(
    session: AsyncSession, round_id: int, now: datetime, closed_by: int | None = None
) -> ClaimedClose | None:
    """Lock the round (see `_lock_round`) and mark it closed; None when it was not open
    (closed already). Secret mode: the ballot history is erased after the commit.

    The caller counts (`load_count`) and records the result in the same transaction."""
    if not await _lock_round(session, round_id):
        return None
    claimed = await session.exec(
        update(ElectionRound)
        .where(col(ElectionRound.id) == round_id, col(ElectionRound.state) == "open")
        .values(state="closed", closed_at=now, closed_by=closed_by)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    round_ = await _fresh(session, ElectionRound, round_id)
    election = await _fresh(session, Election, round_.election_id)
    assert election.id is not None
    if election.mode == Mode.SECRET.value:
        request_ballot_erasure(session, closing=True)
    return ClaimedClose(round_, election)


@dataclass(frozen=True)
class BallotCount:
    """What a round's count is made from (`bot.domain.elections.tally`)."""

    candidates: list[int]
    choices: list[int]  # one per ballot cast: a candidate or ABSTAIN
    roll_size: int


async def load_count(
    session: AsyncSession, election: Election, round_: ElectionRound
) -> BallotCount:
    assert round_.id is not None
    return BallotCount(
        candidates=await list_round_candidates(session, round_.id),
        choices=await _choices(session, election, round_.id),
        roll_size=len(await list_roll(session, round_.election_id)),
    )


def record_result(session: AsyncSession, round_: ElectionRound, result: Tally) -> None:
    """The count's outcome on the closed round (saved with the next flush)."""
    round_.outcome = result.outcome.value
    round_.cast = result.cast
    round_.winner_id = result.winner
    session.add(round_)


async def record_elected(
    session: AsyncSession, office: ElectionOffice, department_id: int | None
) -> None:
    office.state = "elected"
    office.department_id = department_id
    session.add(office)
    await session.flush()


async def record_decision(
    session: AsyncSession, office: ElectionOffice, department_id: int, decided_by: int
) -> None:
    """The head's pick after the last round without a winner."""
    office.state = "decided"
    office.department_id = department_id
    office.decided_by = decided_by
    session.add(office)
    await session.flush()


async def _choices(session: AsyncSession, election: Election, round_id: int) -> list[int]:
    if election.mode == Mode.SECRET.value:
        query = select(ElectionBallot.choice).where(
            ElectionBallot.round_id == round_id,
            ElectionBallot.filled == True,  # noqa: E712
        )
        return list((await session.exec(query)).all())
    rows = await session.exec(
        select(ElectionVoter.open_choice).where(ElectionVoter.round_id == round_id)
    )
    return [ABSTAIN if c is None else c for c in rows.all()]


# --------------------------------------------------------------------------------------------
# Reading


async def get_election(session: AsyncSession, election_id: int) -> Election | None:
    return await session.get(Election, election_id)


async def find_active_election(session: AsyncSession, cluster_id: str) -> Election | None:
    query = (
        select(Election)
        .where(Election.cluster_id == cluster_id, col(Election.state).in_(ACTIVE_STATES))
        .order_by(col(Election.id).desc())
    )
    return (await session.exec(query)).first()


async def find_latest_election(session: AsyncSession, cluster_id: str) -> Election | None:
    """The newest election that has opened (running or closed): the one /minutes is about.
    Award votes (`kind`, storage/awards.py) are not elections here."""
    query = (
        select(Election)
        .where(
            Election.cluster_id == cluster_id,
            col(Election.state).in_(("open", "closed")),
            Election.kind == ELECTION_KIND,
        )
        .order_by(col(Election.id).desc())
    )
    return (await session.exec(query)).first()


async def get_round(session: AsyncSession, round_id: int) -> ElectionRound | None:
    return await session.get(ElectionRound, round_id)


async def get_open_round(session: AsyncSession, election_id: int) -> ElectionRound | None:
    query = select(ElectionRound).where(
        ElectionRound.election_id == election_id, ElectionRound.state == "open"
    )
    return (await session.exec(query.order_by(col(ElectionRound.id).desc()))).first()


async def list_rounds(session: AsyncSession, election_id: int) -> list[ElectionRound]:
    query = select(ElectionRound).where(ElectionRound.election_id == election_id)
    return list((await session.exec(query.order_by(col(ElectionRound.id)))).all())


async def list_offices(session: AsyncSession, election_id: int) -> list[ElectionOffice]:
    query = select(ElectionOffice).where(ElectionOffice.election_id == election_id)
    return list((await session.exec(query.order_by(col(ElectionOffice.position)))).all())


async def list_roll(session: AsyncSession, election_id: int) -> list[int]:
    query = (
        select(ElectionRollEntry.department_id)
        .where(ElectionRollEntry.election_id == election_id)
        .order_by(col(ElectionRollEntry.position))
    )
    return list((await session.exec(query)).all())


async def list_election_candidates(
    session: AsyncSession, election: Election, roll: list[int]
) -> list[int]:
    if not election.custom_candidates:
        return list(roll)
    query = (
        select(ElectionCandidate.department_id)
        .where(ElectionCandidate.election_id == election.id)
        .order_by(col(ElectionCandidate.position))
    )
    return list((await session.exec(query)).all())


async def list_round_candidates(session: AsyncSession, round_id: int) -> list[int]:
    query = (
        select(ElectionRoundCandidate.department_id)
        .where(ElectionRoundCandidate.round_id == round_id)
        .order_by(col(ElectionRoundCandidate.position))
    )
    return list((await session.exec(query)).all())


async def department_has_voted(session: AsyncSession, round_id: int, department_id: int) -> bool:
    query = select(ElectionVoter.id).where(
        ElectionVoter.round_id == round_id, ElectionVoter.department_id == department_id
    )
    return (await session.exec(query)).first() is not None


async def list_voted_departments(session: AsyncSession, round_id: int) -> list[int]:
    """Who has voted (public: the group sees the turnout, never the choices)."""
    query = select(ElectionVoter.department_id).where(ElectionVoter.round_id == round_id)
    return sorted((await session.exec(query)).all())


async def count_turnout(session: AsyncSession, round_id: int) -> tuple[int, int]:
    """(departments that voted, departments on the roll)."""
    round_ = await _fresh(session, ElectionRound, round_id)
    voted = len(await list_voted_departments(session, round_id))
    return voted, len(await list_roll(session, round_.election_id))


async def list_counted_receipts(session: AsyncSession, round_id: int) -> tuple[str, ...]:
    """The receipt codes of the ballots cast, sorted, as stored ("7K2QMXP4"; people are shown
    `bot.domain.elections.format_receipt` of them)."""
    query = select(ElectionBallot.receipt).where(
        ElectionBallot.round_id == round_id,
        ElectionBallot.filled == True,  # noqa: E712
    )
    return tuple(sorted((await session.exec(query)).all()))


async def list_open_choices(session: AsyncSession, round_id: int) -> list[tuple[int, int]]:
    """Open mode: (department, choice) of each department that voted (ABSTAIN when blank)."""
    rows = await session.exec(
        select(ElectionVoter.department_id, ElectionVoter.open_choice).where(
            ElectionVoter.round_id == round_id
        )
    )
    return [(d, ABSTAIN if c is None else c) for d, c in rows.all()]


async def list_due_closings(
    session: AsyncSession, now: datetime, kinds: tuple[str, ...] = ("election",)
) -> list[int]:
    """Open rounds whose closing time has passed (for the scheduler), of votes of these kinds
    (an award vote is counted by its own rules: bot/services/awards.py)."""
    query = (
        select(ElectionRound.id)
        .join(Election, col(Election.id) == col(ElectionRound.election_id))
        .where(
            ElectionRound.state == "open",
            col(ElectionRound.closes_at) <= now,
            col(Election.kind).in_(kinds),
        )
    )
    return [i for i in (await session.exec(query.order_by(col(ElectionRound.id)))).all() if i]


async def list_due_openings(session: AsyncSession, now: datetime) -> list[int]:
    query = select(Election.id).where(Election.state == "scheduled", col(Election.opens_at) <= now)
    return [i for i in (await session.exec(query.order_by(col(Election.id)))).all() if i]


async def list_due_handovers(session: AsyncSession, year: int) -> list[Election]:
    """Closed elections whose term has begun and whose handover was not announced yet."""
    query = select(Election).where(
        Election.state == "closed",
        col(Election.term) <= year,
        col(Election.handover_announced_at).is_(None),
        Election.kind == ELECTION_KIND,
    )
    return list((await session.exec(query.order_by(col(Election.id)))).all())


async def mark_handover_announced(session: AsyncSession, election_id: int, now: datetime) -> bool:
    """True for the one caller that gets to announce it."""
    result = await session.exec(
        update(Election)
        .where(col(Election.id) == election_id, col(Election.handover_announced_at).is_(None))
        .values(handover_announced_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def set_turnout_message(session: AsyncSession, round_id: int, message_id: int) -> None:
    await session.exec(
        update(ElectionRound)
        .where(col(ElectionRound.id) == round_id)
        .values(turnout_message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def get_departments_by_id(session: AsyncSession, cluster_id: str) -> dict[int, Department]:
    rows = await list_departments(session, cluster_id, include_merged=True)
    return {d.id: d for d in rows if d.id is not None}


# --------------------------------------------------------------------------------------------


async def _fresh(session: AsyncSession, model: type[_Row], key: object) -> _Row:
    """The row as the database has it now (bulk UPDATEs above bypass the identity map)."""
    row = await session.get(model, key, populate_existing=True)
    if row is None:
        raise ElectionError("not_found")
    return row


async def load_election(session: AsyncSession, election_id: int) -> Election:
    """The election as the database has it now; ElectionError("not_found") when there is none."""
    return await _election(session, election_id)


async def _election(session: AsyncSession, election_id: int) -> Election:
    election: Election = await _fresh(session, Election, election_id)
    return election


async def get_office(session: AsyncSession, election_id: int, position: int) -> ElectionOffice:
    query = select(ElectionOffice).where(
        ElectionOffice.election_id == election_id, ElectionOffice.position == position
    )
    office = (await session.exec(query)).first()
    if office is None:
        raise ElectionError("not_found")
    return office


async def get_last_round(session: AsyncSession, election_id: int, position: int) -> ElectionRound:
    query = (
        select(ElectionRound)
        .where(
            ElectionRound.election_id == election_id,
            ElectionRound.office_position == position,
        )
        .order_by(col(ElectionRound.number).desc())
    )
    round_ = (await session.exec(query)).first()
    if round_ is None:
        raise ElectionError("not_found")
    return round_
