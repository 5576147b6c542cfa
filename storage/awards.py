"""Award proposals in the database: the election tables, plus the nominees.

An award vote is an `Election` row of another `kind` (flag, collective, individual) with one
office (the award) and one round; its ballots are `ElectionBallot` rows like any secret
election's, created one per roll entry at opening, filled at random, every row of the round
rewritten per vote (storage/elections.py: `fill_empty_ballot`, `rewrite_ballot`). What the
ballot says lives in `ElectionBallot.payload`, one character per candidate or nominee slot, the
same width on every row, so every guarantee of "Keeping a secret ballot secret" and "Secrecy at
rest" in storage/elections.py holds unchanged: nothing here stores a ballot.

Nominees are public (name, position, achievements, their department): the group sees them
before the vote and the proposal names them.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import elections as election_rules
from bot.domain.awards import AwardKind, AwardRule, Base, Ties
from storage.models import Department
from storage.models_awards import AwardNominee
from storage.models_elections import Election, ElectionBallot

AWARD_KINDS = tuple(k.value for k in AwardKind)  # Election.kind of an award vote
SUBMITTED = "submitted"
WITHDRAWN = "withdrawn"
EDIT_FIELDS = ("name", "title", "achievements")  # what a change may be to (AwardNominee columns)
EDIT_STEPS = tuple(f"edit_{f}" for f in EDIT_FIELDS)
DRAFT_STEPS = ("draft_name", "draft_position", "draft_achievements", *EDIT_STEPS)


def configure_award(election: Election, kind: AwardKind, rule: AwardRule) -> None:
    """Make a freshly created election an award vote of `kind` under `rule` (saved with the
    next flush)."""
    election.kind = kind.value
    election.award_threshold = election_rules.format_fraction(rule.threshold)
    election.award_of = rule.of.value
    election.award_seats = rule.seats
    election.award_ties = rule.ties.value


def award_kind(election: Election) -> AwardKind | None:
    """The award an election row proposes; None for an election of offices."""
    try:
        return AwardKind(election.kind)
    except ValueError:
        return None


def award_rule(election: Election) -> AwardRule:
    return AwardRule(
        threshold=Fraction(election_rules.parse_fraction(election.award_threshold)),
        of=Base(election.award_of),
        seats=election.award_seats,
        ties=Ties(election.award_ties),
    )


async def list_filled_payloads(session: AsyncSession, round_id: int) -> list[str]:
    """What the ballots cast say, in no particular order (the count reads them all)."""
    query = select(ElectionBallot.payload).where(
        ElectionBallot.round_id == round_id,
        ElectionBallot.filled == True,  # noqa: E712
    )
    return list((await session.exec(query)).all())


# --------------------------------------------------------------------------------------------
# Nominees


async def find_nomination_draft(session: AsyncSession, person_id: int) -> AwardNominee | None:
    """The nomination this person is entering (one at a time)."""
    query = select(AwardNominee).where(
        AwardNominee.created_by == person_id, col(AwardNominee.state).in_(DRAFT_STEPS)
    )
    return (await session.exec(query.order_by(col(AwardNominee.id).desc()))).first()


async def start_nomination(
    session: AsyncSession,
    cluster_id: str,
    term: int,
    department_id: int,
    person_id: int,
    now: datetime,
) -> AwardNominee:
    """A new nomination being entered; an unfinished one of the same person is dropped."""
    await cancel_nomination_draft(session, person_id)
    nominee = AwardNominee(
        cluster_id=cluster_id,
        term=term,
        department_id=department_id,
        created_by=person_id,
        created_at=now,
    )
    session.add(nominee)
    await session.flush()
    return nominee


async def cancel_nomination_draft(session: AsyncSession, person_id: int) -> bool:
    draft = await find_nomination_draft(session, person_id)
    if draft is None:
        return False
    await session.delete(draft)
    await session.flush()
    return True


async def save_nomination_step(session: AsyncSession, nominee: AwardNominee, text: str) -> str:
    """Record the answer to the current step; returns the new state."""
    following = {
        "draft_name": ("name", "draft_position"),
        "draft_position": ("title", "draft_achievements"),
        "draft_achievements": ("achievements", SUBMITTED),
    }
    field, state = following[nominee.state]
    setattr(nominee, field, text)
    nominee.state = state
    session.add(nominee)
    await session.flush()
    return state


async def list_waiting_nominees(
    session: AsyncSession, cluster_id: str, term: int, lock: bool = False
) -> list[AwardNominee]:
    """Submitted nominees of the year not yet put to a vote, by department then entry. With
    `lock` (the vote being opened) their rows are locked on PostgreSQL, so that a change or a
    withdrawal arriving at the same moment waits and then finds them on the ballot."""
    query = (
        select(AwardNominee)
        .join(Department, col(Department.id) == col(AwardNominee.department_id))
        .where(
            AwardNominee.cluster_id == cluster_id,
            AwardNominee.term == term,
            AwardNominee.state == SUBMITTED,
            col(AwardNominee.election_id).is_(None),
        )
        .order_by(col(Department.position), col(AwardNominee.id))
    )
    if lock:
        query = query.with_for_update(of=AwardNominee)
    return list((await session.exec(query)).all())


async def list_department_nominees(
    session: AsyncSession, cluster_id: str, term: int, department_id: int
) -> list[AwardNominee]:
    """The department's submitted nominees of the year (waiting or on a ballot), in entry
    order; neither withdrawn ones nor drafts."""
    query = (
        select(AwardNominee)
        .where(
            AwardNominee.cluster_id == cluster_id,
            AwardNominee.term == term,
            AwardNominee.department_id == department_id,
            AwardNominee.state == SUBMITTED,
        )
        .order_by(col(AwardNominee.id))
    )
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def get_nominee(session: AsyncSession, nominee_id: int) -> AwardNominee | None:
    return await session.get(AwardNominee, nominee_id, populate_existing=True)


async def start_nomination_edit(
    session: AsyncSession, nominee: AwardNominee, field: str, person_id: int, now: datetime
) -> AwardNominee:
    """A change to `field` of a submitted nominee being entered by this person (their next
    private message is the new value); an unfinished entry of theirs is dropped."""
    if field not in EDIT_FIELDS:
        raise ValueError(f"not a nominee field: {field!r}")
    await cancel_nomination_draft(session, person_id)
    edit = AwardNominee(
        cluster_id=nominee.cluster_id,
        term=nominee.term,
        department_id=nominee.department_id,
        state=f"edit_{field}",
        created_by=person_id,
        created_at=now,
        edits_id=nominee.id,
    )
    session.add(edit)
    await session.flush()
    return edit


def _still_waiting(nominee_id: int) -> list[Any]:
    return [
        col(AwardNominee.id) == nominee_id,
        AwardNominee.state == SUBMITTED,
        col(AwardNominee.election_id).is_(None),
    ]


async def apply_nomination_edit(session: AsyncSession, edit: AwardNominee, text: str) -> bool:
    """Write the change into the nominee it names and drop the change row. False (nothing
    changed, the change row dropped all the same) when that nominee is no longer waiting for
    a vote: it went on a ballot, or was withdrawn. A guarded update: a vote opening at the same
    moment is either before it (nothing changed) or after it (the ballot has the new text)."""
    field = edit.state.removeprefix("edit_")
    assert field in EDIT_FIELDS and edit.edits_id is not None
    result = await session.exec(
        update(AwardNominee)
        .where(*_still_waiting(edit.edits_id))
        .values({field: text})
        .execution_options(synchronize_session=False)
    )
    await session.delete(edit)
    await session.flush()
    return bool(result.rowcount)


async def withdraw_nominee(session: AsyncSession, nominee_id: int) -> bool:
    """Withdraw a nominee still waiting for a vote (kept, state "withdrawn"); False when it is
    not waiting any more (on a ballot, or withdrawn already). Guarded as a change is."""
    result = await session.exec(
        update(AwardNominee)
        .where(*_still_waiting(nominee_id))
        .values(state=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return bool(result.rowcount)


async def attach_nominees(
    session: AsyncSession, election_id: int, nominees: list[AwardNominee]
) -> None:
    """Put these nominees on the vote's ballot, in this order (their slots)."""
    for slot, nominee in enumerate(nominees):
        await session.exec(
            update(AwardNominee)
            .where(col(AwardNominee.id) == nominee.id, col(AwardNominee.election_id).is_(None))
            .values(election_id=election_id, slot=slot)
            .execution_options(synchronize_session=False)
        )


async def list_ballot_nominees(session: AsyncSession, election_id: int) -> list[AwardNominee]:
    """The nominees of an individuals' vote, in slot order."""
    query = (
        select(AwardNominee)
        .where(AwardNominee.election_id == election_id)
        .order_by(col(AwardNominee.slot))
    )
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def find_latest_award(
    session: AsyncSession, cluster_id: str, kind: AwardKind | None = None
) -> Election | None:
    """The newest award vote that has opened (running or closed)."""
    kinds = [kind.value] if kind else [k.value for k in AwardKind]
    query = (
        select(Election)
        .where(
            Election.cluster_id == cluster_id,
            col(Election.kind).in_(kinds),
            col(Election.state).in_(("open", "closed")),
        )
        .order_by(col(Election.id).desc())
    )
    return (await session.exec(query)).first()


async def list_closed_awards(session: AsyncSession, cluster_id: str, year: int) -> list[Election]:
    """The year's award votes that were counted, oldest first."""
    query = (
        select(Election)
        .where(
            Election.cluster_id == cluster_id,
            Election.term == year,
            col(Election.kind).in_(AWARD_KINDS),
            Election.state == "closed",
        )
        .order_by(col(Election.id))
    )
    return list((await session.exec(query)).all())
