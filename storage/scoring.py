"""A year's scoring: the session, self-scores, adjustments, locked totals, evidence files.

The session moves ``open`` (departments score themselves and attach evidence) -> ``checking``
(the checker adjusts; the department answers once; the head decides) -> ``locked`` (the totals
are final). Each writer refuses (returns None or False) in the wrong state, so a locked score
cannot be edited whatever the chat does. Points cross this module as Decimals with at most two
places and are kept as whole hundredths (storage/models_emulation.py says why). The functions
flush, never commit: the caller's unit of work decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.scoring import Totals
from bot.domain.scoring_file import ScoringTable
from storage.models_emulation import (
    ScoreAdjustment,
    ScoreEvidence,
    ScoreTotal,
    ScoringSession,
    SelfScoreEntry,
)
from storage.models_evidence import ScoreEvidenceFile

OPEN = "open"
CHECKING = "checking"
LOCKED = "locked"
KINDS = ("criterion", "bonus", "deduction")
DECISIONS = ("upheld", "withdrawn")
HUNDRED = Decimal(100)


def to_cents(points: Decimal) -> int:
    """12.5 -> 1250. Points with more than two decimals are a bug of the caller."""
    cents = points * HUNDRED
    if cents != cents.to_integral_value():
        raise ValueError(f"more than two decimals: {points}")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """1250 -> Decimal("12.50")."""
    return (Decimal(cents) / HUNDRED).quantize(Decimal("0.01"))


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"not a kind of score: {kind!r}")
    return kind


# --- the session ------------------------------------------------------------------------------


async def claim_scoring_opening(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    table: Mapping[str, Any],
    *,
    deadline: date,
    by: int,
    now: datetime,
    pact_id: int | None = None,
) -> ScoringSession | None:
    """Open the year's scoring with a snapshot of the [scoring] table as written and a
    deadline; None when the year has one already (two heads racing: the unique key lets one
    in)."""
    if await get_scoring_session(session, cluster_id, year) is not None:
        return None
    row = ScoringSession(
        cluster_id=cluster_id,
        year=year,
        deadline=deadline,
        scoring_table=json.dumps(dict(table), sort_keys=True, ensure_ascii=False),
        pact_id=pact_id,
        opened_by=by,
        opened_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def get_scoring_session(
    session: AsyncSession, cluster_id: str, year: int
) -> ScoringSession | None:
    query = select(ScoringSession).where(
        ScoringSession.cluster_id == cluster_id, ScoringSession.year == year
    )
    return (await session.exec(query)).first()


def scoring_snapshot(scoring: ScoringSession) -> ScoringTable:
    """The scoring table as it was when the session opened (what the year is scored on)."""
    return ScoringTable.model_validate(json.loads(scoring.scoring_table))


async def record_session_state(
    session: AsyncSession, scoring: ScoringSession, state: str, *, now: datetime
) -> bool:
    """Move the session forward: open -> checking -> locked (never back). False otherwise."""
    order = (OPEN, CHECKING, LOCKED)
    if state not in order or order.index(state) != order.index(scoring.state) + 1:
        return False
    scoring.state = state
    if state == LOCKED:
        scoring.locked_at = now
    session.add(scoring)
    await session.flush()
    return True


# --- self-scores ------------------------------------------------------------------------------


async def record_self_score(
    session: AsyncSession,
    scoring: ScoringSession,
    department_id: int,
    kind: str,
    item: str,
    points: Decimal,
    justification: str,
    *,
    by: int,
    now: datetime,
) -> SelfScoreEntry | None:
    """The department's score of a criterion (or a bonus or deduction item), as checked by
    `bot.domain.scoring.check_self_score`; a new entry replaces the previous one (its revision
    counts the changes). None when the session is not open."""
    if scoring.state != OPEN:
        return None
    query = select(SelfScoreEntry).where(
        SelfScoreEntry.session_id == scoring.id,
        SelfScoreEntry.department_id == department_id,
        SelfScoreEntry.kind == _kind(kind),
        SelfScoreEntry.item == item,
    )
    row = (await session.exec(query)).first()
    if row is None:
        assert scoring.id is not None
        row = SelfScoreEntry(
            session_id=scoring.id,
            department_id=department_id,
            kind=kind,
            item=item,
            points_cents=to_cents(points),
            justification=justification,
            scored_by=by,
            scored_at=now,
        )
    else:
        row.points_cents = to_cents(points)
        row.justification = justification
        row.revision += 1
        row.scored_by = by
        row.scored_at = now
    session.add(row)
    await session.flush()
    return row


async def list_self_scores(
    session: AsyncSession, scoring: ScoringSession, department_id: int | None = None
) -> list[SelfScoreEntry]:
    """The session's self-scores (of one department, or all), by department then entry."""
    query = select(SelfScoreEntry).where(SelfScoreEntry.session_id == scoring.id)
    if department_id is not None:
        query = query.where(SelfScoreEntry.department_id == department_id)
    query = query.order_by(col(SelfScoreEntry.department_id), col(SelfScoreEntry.id))
    return list((await session.exec(query)).all())


# --- checking ---------------------------------------------------------------------------------


async def record_adjustment(
    session: AsyncSession,
    scoring: ScoringSession,
    department_id: int,
    kind: str,
    item: str,
    points: Decimal,
    reason: str,
    *,
    by: int,
    now: datetime,
    checker_department_id: int | None = None,
) -> ScoreAdjustment | None:
    """The checker's points on a department's criterion or item, with the reason (checked by
    `bot.domain.scoring.check_adjustment`). The checking department is `checker_department_id`
    when peers check (None: the head). None when the session is not being checked, or when a
    department would check itself."""
    if scoring.state != CHECKING or checker_department_id == department_id:
        return None
    assert scoring.id is not None
    row = ScoreAdjustment(
        session_id=scoring.id,
        department_id=department_id,
        kind=_kind(kind),
        item=item,
        checker_department_id=checker_department_id,
        checked_by=by,
        points_cents=to_cents(points),
        reason=reason,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def record_answer(
    session: AsyncSession,
    scoring: ScoringSession,
    adjustment: ScoreAdjustment,
    note: str,
    *,
    by: int,
    now: datetime,
) -> bool:
    """The department's one answer to an adjustment. False when answered already, decided
    already, or the session is not being checked."""
    if (
        scoring.state != CHECKING
        or adjustment.session_id != scoring.id
        or adjustment.answered_at is not None
        or adjustment.decision is not None
    ):
        return False
    adjustment.answer_note = note
    adjustment.answered_by = by
    adjustment.answered_at = now
    session.add(adjustment)
    await session.flush()
    return True


async def record_decision(
    session: AsyncSession,
    scoring: ScoringSession,
    adjustment: ScoreAdjustment,
    decision: str,
    *,
    by: int,
    now: datetime,
) -> bool:
    """The head's decision on an adjustment: ``upheld`` (it counts) or ``withdrawn`` (the
    department's own score counts). False when decided already or not being checked."""
    if decision not in DECISIONS:
        raise ValueError(f"not a decision: {decision!r}")
    if (
        scoring.state != CHECKING
        or adjustment.session_id != scoring.id
        or adjustment.decision is not None
    ):
        return False
    adjustment.decision = decision
    adjustment.decided_by = by
    adjustment.decided_at = now
    session.add(adjustment)
    await session.flush()
    return True


async def get_adjustment(session: AsyncSession, adjustment_id: int) -> ScoreAdjustment | None:
    return await session.get(ScoreAdjustment, adjustment_id)


async def list_adjustments(
    session: AsyncSession, scoring: ScoringSession, department_id: int | None = None
) -> list[ScoreAdjustment]:
    """The session's adjustments (of one department, or all), in the order made."""
    query = select(ScoreAdjustment).where(ScoreAdjustment.session_id == scoring.id)
    if department_id is not None:
        query = query.where(ScoreAdjustment.department_id == department_id)
    return list((await session.exec(query.order_by(col(ScoreAdjustment.id)))).all())


# --- locked totals ----------------------------------------------------------------------------


async def record_locked_totals(
    session: AsyncSession,
    scoring: ScoringSession,
    totals: Mapping[int, Totals],
    *,
    by: int,
    now: datetime,
) -> list[ScoreTotal] | None:
    """Lock the session with every department's final totals (department id -> totals from
    `bot.domain.scoring.totals`), in one go. None when the session is not being checked (a
    locked session keeps its totals)."""
    if scoring.state != CHECKING:
        return None
    assert scoring.id is not None
    rows = [
        ScoreTotal(
            session_id=scoring.id,
            department_id=department_id,
            groups=json.dumps([[g, to_cents(p)] for g, p in t.groups]),
            criteria=json.dumps([[c, to_cents(p)] for c, p in t.criteria]),
            bonus_cents=to_cents(t.bonus),
            deductions_cents=to_cents(t.deductions),
            total_cents=to_cents(t.total),
            locked_by=by,
            locked_at=now,
        )
        for department_id, t in totals.items()
    ]
    session.add_all(rows)
    await record_session_state(session, scoring, LOCKED, now=now)
    return rows


def totals_of(row: ScoreTotal, department: str) -> Totals:
    """A locked row as the ranking reads it, under the department's id (slug)."""
    return Totals(
        department=department,
        groups=tuple((g, from_cents(c)) for g, c in json.loads(row.groups)),
        bonus=from_cents(row.bonus_cents),
        deductions=from_cents(row.deductions_cents),
        criteria=tuple((c, from_cents(p)) for c, p in json.loads(row.criteria)),
    )


async def list_locked_totals(session: AsyncSession, scoring: ScoringSession) -> list[ScoreTotal]:
    query = (
        select(ScoreTotal)
        .where(ScoreTotal.session_id == scoring.id)
        .order_by(col(ScoreTotal.department_id))
    )
    return list((await session.exec(query)).all())


# --- evidence ---------------------------------------------------------------------------------


async def record_evidence(
    session: AsyncSession,
    scoring: ScoringSession,
    department_id: int,
    kind: str,
    item: str,
    *,
    file_name: str,
    size: int,
    sha256: str,
    telegram_file_id: str,
    by: int,
    now: datetime,
    content: bytes | None = None,
) -> ScoreEvidence | None:
    """An evidence file attached to a criterion or item (checked by
    `bot.domain.scoring.check_evidence`), with its bytes when given (kept in
    `score_evidence_file`, storage/models_evidence.py says why). None when the session is not
    open."""
    if scoring.state != OPEN:
        return None
    assert scoring.id is not None
    row = ScoreEvidence(
        session_id=scoring.id,
        department_id=department_id,
        kind=_kind(kind),
        item=item,
        file_name=file_name[:255],
        size=size,
        sha256=sha256,
        telegram_file_id=telegram_file_id,
        uploaded_by=by,
        uploaded_at=now,
    )
    session.add(row)
    await session.flush()
    if content is not None:
        assert row.id is not None
        session.add(ScoreEvidenceFile(evidence_id=row.id, content=content))
        await session.flush()
    return row


async def list_evidence(
    session: AsyncSession, scoring: ScoringSession, department_id: int | None = None
) -> list[ScoreEvidence]:
    """The session's evidence files (of one department, or all), in the order received."""
    query = select(ScoreEvidence).where(ScoreEvidence.session_id == scoring.id)
    if department_id is not None:
        query = query.where(ScoreEvidence.department_id == department_id)
    return list((await session.exec(query.order_by(col(ScoreEvidence.id)))).all())


async def count_evidence(
    session: AsyncSession, session_id: int, department_id: int
) -> dict[tuple[str, str], int]:
    """(kind, item) -> how many evidence files the department attached to the session's
    criteria and items (no bytes read)."""
    query = (
        select(ScoreEvidence.kind, ScoreEvidence.item, func.count())
        .where(ScoreEvidence.session_id == session_id)
        .where(ScoreEvidence.department_id == department_id)
        .group_by(col(ScoreEvidence.kind), col(ScoreEvidence.item))
    )
    return {(kind, item): int(n) for kind, item, n in (await session.exec(query)).all()}


async def get_evidence_content(session: AsyncSession, evidence_id: int) -> bytes | None:
    """The bytes of one evidence file (None: kept before the bytes were, Telegram has them)."""
    row = await session.get(ScoreEvidenceFile, evidence_id)
    return bytes(row.content) if row is not None else None
