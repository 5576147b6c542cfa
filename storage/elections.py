"""Elections in the database: creating, opening, voting, closing, deciding, the minutes.

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
  replacement) rewrites *all* ballot rows of the round in one statement: afterwards they all
  carry the xmin of the last write, and their row versions are rewritten in the same order
  with the same sizes (placeholders have the same width as real values), whichever row
  changed. The cost is one UPDATE of ~roll-size rows per vote.
* Votes of one round are serialized by a write on the round row taken first in the transaction
  (`_lock_round`), which also makes "vote after close" and "close" exclusive.
* Nothing here logs. The receipt and the key are returned to the caller, which shows them to
  the department's officers only; they must not pass through a table (e.g. an outbox) that
  also names the recipient. SQL logging (sqlalchemy.engine at INFO) would print the
  parameters of both writes of one transaction next to each other: keep it off in production.

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

from sqlalchemy import case, func, update
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
    Minutes,
    Mode,
    OfficeRecord,
    Outcome,
    RoundRecord,
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
HANDOVER_ROLES = ("head", "deputy")
_Row = TypeVar("_Row")


class ElectionError(Exception):
    """A request the rules refuse; `codes` name the reasons (for templates)."""

    def __init__(self, *codes: str) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


@dataclass(frozen=True)
class VoteResult:
    status: str  # "ok", or why the ballot was refused (bot.domain.elections.refuse_ballot)
    receipt: str | None = None  # secret mode: the receipt code, to show the department
    key: str | None = None  # secret mode: the ballot key, only for the "replace" button
    replaced: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class RoundClosed:
    round: ElectionRound
    office: ElectionOffice
    tally: Tally
    next_round: ElectionRound | None  # a re-ballot or the next office's first round
    election_closed: bool
    receipts: tuple[str, ...]  # secret mode: the receipt codes counted, sorted


def rules_of(election: Election) -> ElectionRules:
    return ElectionRules(
        mode=rules_.Mode(election.mode),
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
    """Store a planned election: "scheduled" (`open_election` starts it), or "draft" while the
    head is still setting it up (`update_draft`, then `schedule_draft`)."""
    problems = plan.problems()
    if problems:
        raise ElectionError(*problems)
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


async def open_election(session: AsyncSession, election_id: int, now: datetime) -> Election:
    """Fix the roll (member departments now), its fingerprint, and open the first round."""
    if await find_active_election_id(session, election_id) is not None:
        raise ElectionError("already_running")
    previous = (await _election(session, election_id)).state
    claimed = await session.exec(
        update(Election)
        .where(col(Election.id) == election_id, col(Election.state).in_(("draft", "scheduled")))
        .values(state="open", opened_at=now)
        .execution_options(synchronize_session=False)
    )
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
    election.roll_fingerprint = rules_.roll_fingerprint(d.slug for d in departments)
    election.outgoing_head_id = (
        await get_current_offices(session, election.cluster_id, election.term - 1)
    ).get(HEAD)
    candidates = await list_election_candidates(session, election, roll)
    offices = await list_offices(session, election_id)
    rules = rules_of(election)
    staffing = rules_.staffing_problems(
        [o.role for o in offices], candidates, rules, election.outgoing_head_id
    )
    if staffing:
        raise ElectionError("too_few_candidates", *staffing)
    for position, department_id in enumerate(roll):
        session.add(
            ElectionRollEntry(
                election_id=election_id, department_id=department_id, position=position
            )
        )
    session.add(election)
    await session.flush()
    await _start_next_office(session, election, now, first_closes_at=election.closes_at)
    return election


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


async def _open_round(
    session: AsyncSession,
    election: Election,
    office_position: int,
    number: int,
    candidates: tuple[int, ...],
    now: datetime,
    closes_at: datetime,
) -> ElectionRound:
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


async def _start_next_office(
    session: AsyncSession,
    election: Election,
    now: datetime,
    first_closes_at: datetime | None = None,
) -> ElectionRound | None:
    """Open round 1 of the next office waiting, or close the election when none is left."""
    assert election.id is not None
    offices = await list_offices(session, election.id)
    roles = [o.role for o in offices]
    elected = {o.position: o.department_id for o in offices if o.department_id is not None}
    roll = await list_roll(session, election.id)
    candidates = await list_election_candidates(session, election, roll)
    rules = rules_of(election)
    for office in offices:
        if office.state != "waiting":
            continue
        eligible = rules_.eligible_candidates(
            office.position, roles, candidates, rules, election.outgoing_head_id, elected
        )
        if not eligible:
            office.state = "vacant"
            session.add(office)
            continue
        office.state = "voting"
        session.add(office)
        closes_at = first_closes_at or now + timedelta(minutes=election.voting_minutes)
        return await _open_round(session, election, office.position, 1, eligible, now, closes_at)
    await _finish(session, election, offices, now)
    return None


async def _finish(
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


async def _ballot_context(
    session: AsyncSession, round_: ElectionRound, election: Election, department_id: int | None
) -> BallotContext:
    assert round_.id is not None
    latest = (
        await session.exec(
            select(func.max(ElectionRound.id)).where(
                ElectionRound.election_id == round_.election_id
            )
        )
    ).one()
    already = False
    if department_id is not None:
        already = await department_has_voted(session, round_.id, department_id)
    return BallotContext(
        election_open=election.state == "open",
        round_open=round_.state == "open",
        is_current_round=latest == round_.id,
        closes_at=round_.closes_at,
        roll=frozenset(await list_roll(session, round_.election_id)),
        round_candidates=frozenset(await list_round_candidates(session, round_.id)),
        already_voted=already,
        allow_replace=election.allow_replace,
    )


async def cast_vote(
    session: AsyncSession,
    round_id: int,
    department_id: int | None,
    person_id: int,
    choice: int,
    now: datetime,
) -> VoteResult:
    """The department's ballot for this round. Everything is re-checked here, under the lock."""
    if not await _lock_round(session, round_id):
        return VoteResult("stale")
    round_ = await _fresh(session, ElectionRound, round_id)
    election = await _fresh(session, Election, round_.election_id)
    context = await _ballot_context(session, round_, election, department_id)
    reason = rules_.refuse_ballot(context, department_id, choice, now)
    if reason is not None:
        return VoteResult(reason)
    assert department_id is not None
    secret = election.mode == Mode.SECRET.value
    try:
        async with session.begin_nested():
            session.add(
                ElectionVoter(
                    round_id=round_id,
                    department_id=department_id,
                    voted_by=person_id,
                    voted_at=now,
                    open_choice=None if secret else choice,
                )
            )
    except IntegrityError:
        return VoteResult("already_voted")  # the unique constraint: one department, one vote
    if not secret:
        return VoteResult("ok")
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
    receipt = rules_.new_receipt()
    key = rules_.new_ballot_key()
    await _rewrite_ballots(
        session,
        round_id,
        col(ElectionBallot.id) == slot,
        choice=choice,
        receipt=receipt,
        key_hash=rules_.key_hash(key),
    )
    return VoteResult("ok", receipt=rules_.format_receipt(receipt), key=key)


async def replace_vote(
    session: AsyncSession,
    round_id: int,
    department_id: int | None,
    person_id: int,
    choice: int,
    now: datetime,
    key: str | None = None,
) -> VoteResult:
    """Replace the department's ballot (the last one counts). Secret mode needs the key."""
    if not await _lock_round(session, round_id):
        return VoteResult("stale")
    round_ = await _fresh(session, ElectionRound, round_id)
    election = await _fresh(session, Election, round_.election_id)
    context = await _ballot_context(session, round_, election, department_id)
    reason = rules_.refuse_ballot(context, department_id, choice, now, replacing=True)
    if reason is not None:
        return VoteResult(reason)
    if election.mode == Mode.OPEN.value:
        await session.exec(
            update(ElectionVoter)
            .where(
                col(ElectionVoter.round_id) == round_id,
                col(ElectionVoter.department_id) == department_id,
            )
            .values(open_choice=choice, voted_by=person_id, voted_at=now)
            .execution_options(synchronize_session=False)
        )
        return VoteResult("ok", replaced=True)
    canonical = rules_.normalize_code(key or "", rules_.KEY_LENGTH)
    if canonical is None:
        return VoteResult("bad_key")
    hashed = rules_.key_hash(canonical)
    found = (
        await session.exec(
            select(ElectionBallot.receipt).where(
                ElectionBallot.round_id == round_id,
                ElectionBallot.key_hash == hashed,
                ElectionBallot.filled == True,  # noqa: E712
            )
        )
    ).first()
    if found is None:
        return VoteResult("bad_key")
    request_ballot_erasure(session)
    await _rewrite_ballots(
        session,
        round_id,
        col(ElectionBallot.key_hash) == hashed,
        choice=choice,
        receipt=found,
        key_hash=hashed,
    )
    return VoteResult("ok", receipt=rules_.format_receipt(found), key=canonical, replaced=True)


async def _rewrite_ballots(
    session: AsyncSession,
    round_id: int,
    target: object,
    *,
    choice: int,
    receipt: str,
    key_hash: str,
) -> None:
    """Fill or change the one ballot matching `target`, rewriting every ballot row of the round
    in the same statement (see the module docstring: no row version stands out)."""
    await session.exec(
        update(ElectionBallot)
        .where(col(ElectionBallot.round_id) == round_id)
        .values(
            filled=case((target, True), else_=col(ElectionBallot.filled)),  # type: ignore[arg-type]  # values() is typed for plain values, not CASE expressions
            choice=case((target, choice), else_=col(ElectionBallot.choice)),  # type: ignore[arg-type]  # values() is typed for plain values, not CASE expressions
            receipt=case((target, receipt), else_=col(ElectionBallot.receipt)),  # type: ignore[arg-type]  # values() is typed for plain values, not CASE expressions
            key_hash=case((target, key_hash), else_=col(ElectionBallot.key_hash)),  # type: ignore[arg-type]  # values() is typed for plain values, not CASE expressions
        )
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------------------------------------
# Closing and deciding


async def close_round(
    session: AsyncSession, round_id: int, now: datetime, closed_by: int | None = None
) -> RoundClosed | None:
    """Count the round and take the next step. None when it was not open (closed already)."""
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
    result = await _count(session, election, round_)
    round_.outcome = result.outcome.value
    round_.cast = result.cast
    round_.winner_id = result.winner
    session.add(round_)
    office = await _office(session, election.id, round_.office_position)
    next_round: ElectionRound | None = None
    if result.outcome is Outcome.ELECTED:
        office.state = "elected"
        office.department_id = result.winner
        session.add(office)
        await session.flush()
        next_round = await _start_next_office(session, election, now)
    elif result.outcome in (Outcome.REBALLOT, Outcome.REPEAT):
        next_round = await _open_round(
            session,
            election,
            round_.office_position,
            round_.number + 1,
            result.next_candidates,
            now,
            now + timedelta(minutes=election.voting_minutes),
        )
    else:
        office.state = "head_decides"
        session.add(office)
    await session.flush()
    receipts = await list_counted_receipts(session, round_id) if election.mode == "secret" else ()
    return RoundClosed(
        round=round_,
        office=office,
        tally=result,
        next_round=next_round,
        election_closed=election.state == "closed",
        receipts=receipts,
    )


async def decide_office(
    session: AsyncSession,
    election_id: int,
    department_id: int,
    decided_by: int,
    now: datetime,
) -> ElectionRound | None:
    """After the last round without a winner, the head picks among that round's leaders.

    Returns the next office's first round, if any. Raises ElectionError when not allowed.
    """
    election = await _fresh(session, Election, election_id)
    if election.state != "open":
        raise ElectionError("election_closed")
    offices = await list_offices(session, election_id)
    pending = [o for o in offices if o.state == "head_decides"]
    if not pending:
        raise ElectionError("nothing_to_decide")
    office = pending[0]
    last = await _last_round(session, election_id, office.position)
    result = await _count(session, election, last)
    if department_id not in result.next_candidates:
        raise ElectionError("not_allowed")
    office.state = "decided"
    office.department_id = department_id
    office.decided_by = decided_by
    session.add(office)
    await session.flush()
    return await _start_next_office(session, election, now)


async def find_pending_decision(
    session: AsyncSession, election_id: int
) -> tuple[ElectionOffice, tuple[int, ...]] | None:
    """The office waiting for the head's decision, and whom the head may pick."""
    election = await _fresh(session, Election, election_id)
    for office in await list_offices(session, election_id):
        if office.state == "head_decides":
            last = await _last_round(session, election_id, office.position)
            return office, (await _count(session, election, last)).next_candidates
    return None


async def _count(session: AsyncSession, election: Election, round_: ElectionRound) -> Tally:
    assert round_.id is not None
    return rules_.tally(
        await list_round_candidates(session, round_.id),
        await _choices(session, election, round_.id),
        len(await list_roll(session, round_.election_id)),
        rules_of(election),
        round_.number,
    )


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
    """The newest election that has opened (running or closed): the one /minutes is about."""
    query = (
        select(Election)
        .where(Election.cluster_id == cluster_id, col(Election.state).in_(("open", "closed")))
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
    """The receipt codes of the ballots cast, sorted, as shown to people ("7K2Q-MXP4")."""
    query = select(ElectionBallot.receipt).where(
        ElectionBallot.round_id == round_id,
        ElectionBallot.filled == True,  # noqa: E712
    )
    return tuple(sorted(rules_.format_receipt(r) for r in (await session.exec(query)).all()))


async def list_due_closings(session: AsyncSession, now: datetime) -> list[int]:
    """Open rounds whose closing time has passed (for the scheduler)."""
    query = select(ElectionRound.id).where(
        ElectionRound.state == "open", col(ElectionRound.closes_at) <= now
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


async def load_minutes(session: AsyncSession, election_id: int) -> Minutes:
    """Everything the minutes of the count (biên bản kiểm phiếu) show, recounted from ballots."""
    election = await _fresh(session, Election, election_id)
    rules = rules_of(election)
    offices = await list_offices(session, election_id)
    by_position = {o.position: o for o in offices}
    minutes = Minutes(
        election_id=election_id,
        title=election.title,
        term=election.term,
        mode=rules.mode,
        rules=rules,
        roll=await list_roll(session, election_id),
        fingerprint=election.roll_fingerprint,
        outgoing_head=election.outgoing_head_id,
        opened_at=election.opened_at,
        closed_at=election.closed_at,
    )
    deciding: dict[int, Tally] = {}
    for round_ in await list_rounds(session, election_id):
        if round_.state != "closed" or round_.outcome is None:
            continue
        assert round_.id is not None
        result = await _count(session, election, round_)
        deciding[round_.office_position] = result
        receipts: tuple[str, ...] = ()
        open_choices: tuple[tuple[int, int], ...] = ()
        if rules.mode is Mode.SECRET:
            receipts = tuple(
                rules_.format_receipt(r) for r in await list_counted_receipts(session, round_.id)
            )
        else:
            rows = await session.exec(
                select(ElectionVoter.department_id, ElectionVoter.open_choice).where(
                    ElectionVoter.round_id == round_.id
                )
            )
            order = {d: i for i, d in enumerate(minutes.roll)}
            open_choices = tuple(
                sorted(
                    ((d, ABSTAIN if c is None else c) for d, c in rows.all()),
                    key=lambda dc: order.get(dc[0], len(order)),
                )
            )
        role = by_position[round_.office_position].role
        minutes.rounds.append(
            RoundRecord(round_.office_position, role, result, receipts, open_choices)
        )
    for office in offices:
        decision = deciding.get(office.position)
        elected = office.department_id
        minutes.offices.append(
            OfficeRecord(
                index=office.position,
                role=office.role,
                label=office.label,
                label_en=office.label_en,
                elected=elected,
                decided_by_head=office.state == "decided",
                votes=decision.counts.get(elected, 0) if decision and elected else None,
                cast=decision.cast if decision else None,
            )
        )
    return minutes


# --------------------------------------------------------------------------------------------


async def _fresh(session: AsyncSession, model: type[_Row], key: object) -> _Row:
    """The row as the database has it now (bulk UPDATEs above bypass the identity map)."""
    row = await session.get(model, key, populate_existing=True)
    if row is None:
        raise ElectionError("not_found")
    return row


async def _election(session: AsyncSession, election_id: int) -> Election:
    election: Election = await _fresh(session, Election, election_id)
    return election


async def _office(session: AsyncSession, election_id: int, position: int) -> ElectionOffice:
    query = select(ElectionOffice).where(
        ElectionOffice.election_id == election_id, ElectionOffice.position == position
    )
    office = (await session.exec(query)).first()
    if office is None:
        raise ElectionError("not_found")
    return office


async def _last_round(session: AsyncSession, election_id: int, position: int) -> ElectionRound:
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
