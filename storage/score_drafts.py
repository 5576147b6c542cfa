"""The self-score drafts of /score (storage/models_score_drafts.py). The functions flush,
never commit: the caller's unit of work decides."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models_emulation import ScoringSession
from storage.models_score_drafts import ScoreDraft


async def get_score_draft(session: AsyncSession, person_id: int) -> ScoreDraft | None:
    return await session.get(ScoreDraft, person_id)


async def save_score_draft(
    session: AsyncSession,
    person_id: int,
    session_id: int,
    department_id: int,
    state: str,
    *,
    now: datetime,
) -> ScoreDraft:
    draft = await session.get(ScoreDraft, person_id)
    if draft is None:
        # A new draft starts at a random version, so a button of an earlier (deleted) draft
        # never matches the new one.
        draft = ScoreDraft(
            person_id=person_id,
            session_id=session_id,
            department_id=department_id,
            state=state,
            version=secrets.randbelow(2**30),
            updated_at=now,
        )
        session.add(draft)
    else:
        draft.session_id, draft.department_id, draft.state = session_id, department_id, state
        draft.version += 1
        draft.updated_at = now
    await session.flush()
    return draft


async def delete_score_draft(session: AsyncSession, person_id: int) -> bool:
    draft = await session.get(ScoreDraft, person_id)
    if draft is None:
        return False
    await session.delete(draft)
    await session.flush()
    return True


async def draft_session(session: AsyncSession, draft: ScoreDraft) -> ScoringSession | None:
    """The year's scoring the draft scores."""
    return await session.get(ScoringSession, draft.session_id)
