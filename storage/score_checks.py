"""The checking step in progress and the checkers' acceptances
(storage/models_score_checks.py). The functions flush, never commit: the caller's unit of work
decides."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models_emulation import ScoringSession
from storage.models_score_checks import ScoreCheckDraft, ScoreReview

STEPS = ("points", "reason", "answer")


async def get_check_draft(session: AsyncSession, person_id: int) -> ScoreCheckDraft | None:
    return await session.get(ScoreCheckDraft, person_id)


async def save_check_draft(
    session: AsyncSession,
    person_id: int,
    scoring: ScoringSession,
    department_id: int,
    step: str,
    *,
    now: datetime,
    kind: str = "criterion",
    item: str = "",
    points_cents: int | None = None,
    adjustment_id: int | None = None,
) -> ScoreCheckDraft:
    """The person's step in progress; it replaces any other they had (one at a time)."""
    if step not in STEPS:
        raise ValueError(f"not a checking step: {step!r}")
    assert scoring.id is not None
    draft = await session.get(ScoreCheckDraft, person_id)
    if draft is None:
        draft = ScoreCheckDraft(
            person_id=person_id, session_id=scoring.id, department_id=0, step=step
        )
    draft.session_id, draft.department_id, draft.step = scoring.id, department_id, step
    draft.kind, draft.item, draft.points_cents = kind, item, points_cents
    draft.adjustment_id, draft.updated_at = adjustment_id, now
    session.add(draft)
    await session.flush()
    return draft


async def delete_check_draft(session: AsyncSession, person_id: int) -> bool:
    draft = await session.get(ScoreCheckDraft, person_id)
    if draft is None:
        return False
    await session.delete(draft)
    await session.flush()
    return True


async def record_review(
    session: AsyncSession,
    scoring: ScoringSession,
    department_id: int,
    *,
    by: int,
    now: datetime,
    checker_department_id: int | None = None,
) -> ScoreReview:
    """The checker accepts the department's score as it stands (the head's when
    `checker_department_id` is None)."""
    assert scoring.id is not None
    row = ScoreReview(
        session_id=scoring.id,
        department_id=department_id,
        checker_department_id=checker_department_id,
        accepted_by=by,
        accepted_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def list_reviews(
    session: AsyncSession, scoring: ScoringSession, department_id: int | None = None
) -> list[ScoreReview]:
    """The session's acceptances (of one department, or all), in the order made."""
    query = select(ScoreReview).where(ScoreReview.session_id == scoring.id)
    if department_id is not None:
        query = query.where(ScoreReview.department_id == department_id)
    return list((await session.exec(query.order_by(col(ScoreReview.id)))).all())


async def get_scoring_session_by_id(
    session: AsyncSession, session_id: int
) -> ScoringSession | None:
    """The scoring session a button or a step in progress names."""
    return await session.get(ScoringSession, session_id)
