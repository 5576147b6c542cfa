"""Submissions: every confirmed report is a new revision holding all its values."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Draft, Round, Submission, SubmissionValue
from storage.types import utcnow


@dataclass(frozen=True)
class Revision:
    submission: Submission
    values: dict[int, str | None]  # indicator id -> canonical value


class RevisionConflict(Exception):
    """Another officer of the department confirmed at the same moment."""


async def get_latest_revision(
    session: AsyncSession, round_id: int, department_id: int
) -> Revision | None:
    query = (
        select(Submission)
        .where(Submission.round_id == round_id, Submission.department_id == department_id)
        .order_by(col(Submission.revision).desc())
        .limit(1)
    )
    submission = (await session.exec(query)).first()
    if submission is None:
        return None
    return Revision(submission, await _values(session, submission))


async def find_latest_revision_in(
    session: AsyncSession, round_ids: list[int], department_id: int
) -> Revision | None:
    """The department's latest revision in the newest of these rounds (by period, as
    `storage.rounds.list_rounds` orders them) that it reported for: one statement, however
    many of the rounds have no report."""
    if not round_ids:
        return None
    query = (
        select(Submission)
        .join(Round, col(Round.id) == col(Submission.round_id))
        .where(col(Submission.round_id).in_(round_ids), Submission.department_id == department_id)
        .order_by(
            col(Round.period_start).desc(), col(Round.id).desc(), col(Submission.revision).desc()
        )
        .limit(1)
    )
    newest = (await session.exec(query)).first()
    if newest is None:
        return None
    return Revision(newest, await _values(session, newest))


async def _values(session: AsyncSession, submission: Submission) -> dict[int, str | None]:
    rows = await session.exec(
        select(SubmissionValue).where(SubmissionValue.submission_id == submission.id)
    )
    return {v.indicator_id: v.value for v in rows.all()}


async def list_revisions(
    session: AsyncSession, round_id: int, department_id: int
) -> list[Revision]:
    """Oldest first, for the history view."""
    query = (
        select(Submission)
        .where(Submission.round_id == round_id, Submission.department_id == department_id)
        .order_by(col(Submission.revision))
    )
    return [Revision(s, await _values(session, s)) for s in (await session.exec(query)).all()]


async def save_revision(
    session: AsyncSession,
    round_id: int,
    department_id: int,
    values: dict[int, str | None],
    by: int,
    late: bool,
    expected_revision: int,
    at: datetime,
) -> Submission:
    """Store all values or none, submitted ``at`` (the caller's clock). `expected_revision` is the
    revision the officer reviewed on top of: if someone else submitted meanwhile, the unique key
    refuses this one."""
    submission = Submission(
        round_id=round_id,
        department_id=department_id,
        revision=expected_revision + 1,
        submitted_by=by,
        submitted_at=at,
        late=late,
    )
    try:
        async with session.begin_nested():
            session.add(submission)
            await session.flush()
    except IntegrityError:
        # Only the revision's unique key can refuse this row: someone submitted meanwhile.
        raise RevisionConflict() from None
    assert submission.id is not None
    # A value that breaks a constraint (no such indicator) is a fault, not a conflict: its
    # IntegrityError propagates and the caller's transaction, the revision row included, rolls
    # back.
    for indicator_id, value in values.items():
        session.add(
            SubmissionValue(submission_id=submission.id, indicator_id=indicator_id, value=value)
        )
    await session.flush()
    return submission


async def get_latest_submissions(session: AsyncSession, round_id: int) -> dict[int, Submission]:
    """department id -> its latest submission in the round."""
    latest = (
        select(Submission.department_id, func.max(Submission.revision).label("revision"))
        .where(Submission.round_id == round_id)
        .group_by(col(Submission.department_id))
        .subquery()
    )
    query = (
        select(Submission)
        .join(
            latest,
            (col(Submission.department_id) == latest.c.department_id)
            & (col(Submission.revision) == latest.c.revision),
        )
        .where(Submission.round_id == round_id)
    )
    return {s.department_id: s for s in (await session.exec(query)).all()}


async def get_first_submissions(session: AsyncSession, round_id: int) -> dict[int, Submission]:
    """department id -> its first submission (lateness is judged on the first one)."""
    query = select(Submission).where(Submission.round_id == round_id, Submission.revision == 1)
    return {s.department_id: s for s in (await session.exec(query)).all()}


async def get_draft(session: AsyncSession, person_id: int) -> Draft | None:
    return await session.get(Draft, person_id)


async def get_draft_and_cluster(session: AsyncSession, person_id: int) -> tuple[Draft, str] | None:
    """The person's draft and the cluster of its round, in one statement (an answer's)."""
    query = (
        select(Draft, Round.cluster_id)
        .join(Round, col(Round.id) == col(Draft.round_id))
        .where(Draft.person_id == person_id)
    )
    row = (await session.exec(query)).first()
    return None if row is None else (row[0], row[1])


async def save_draft(
    session: AsyncSession, person_id: int, round_id: int, department_id: int, state: str
) -> Draft:
    draft = await session.get(Draft, person_id)
    if draft is None:
        # A new draft starts at a random version, so a button from an earlier (deleted) draft
        # can never match the new one.
        draft = Draft(
            person_id=person_id,
            round_id=round_id,
            department_id=department_id,
            state=state,
            version=secrets.randbelow(2**30),
        )
        session.add(draft)
    else:
        draft.round_id, draft.department_id, draft.state = round_id, department_id, state
        draft.version += 1
        draft.updated_at = utcnow()
    await session.flush()
    return draft


async def delete_draft(session: AsyncSession, person_id: int) -> None:
    draft = await session.get(Draft, person_id)
    if draft is not None:
        await session.delete(draft)
        await session.flush()
