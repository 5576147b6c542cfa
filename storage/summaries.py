"""What a summary is made of, loaded with a handful of indexed queries: the reports of rounds
(each department's latest revision for the values, its first for lateness) and every revision
with its submitter. Which rounds a summary needs is decided above (bot/services/summaries.py).

Every query is bounded by a round id (``ix_submission_round_department`` and the unique key
``(round_id, department_id, revision)``) or by a submission id (the primary key of
``submissionvalue``), so other clusters' rows are never scanned.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.mergers import Merger
from bot.domain.summary import (
    DepartmentInfo,
    IndicatorInfo,
    PeriodData,
    Report,
    RevisionInfo,
)
from storage.models import Department, Indicator, Person, Round, Submission, SubmissionValue

__all__ = [
    "department_info",
    "indicator_info",
    "load_period_data",
    "load_revisions",
    "load_rounds_data",
    "mergers_of",
]


def department_info(row: Department) -> DepartmentInfo:
    assert row.id is not None
    return DepartmentInfo(id=row.id, slug=row.slug, name=row.name, name_en=row.name_en)


def mergers_of(rows: Sequence[Department]) -> list[Merger]:
    """The mergers the cluster's departments (merged ones included) record, in their order:
    one per successor with a merger date."""
    found = []
    for row in rows:
        if row.merged_on is None or row.merged_into is not None:
            continue
        predecessors = tuple(
            department_info(p) for p in rows if p.merged_into == row.slug and p.id is not None
        )
        outside = tuple(n for n in (row.merged_from_outside or "").split("\n") if n)
        found.append(Merger(department_info(row), row.merged_on, predecessors, outside))
    return found


def indicator_info(row: Indicator) -> IndicatorInfo:
    assert row.id is not None
    return IndicatorInfo(
        id=row.id,
        slug=row.slug,
        label=row.label,
        label_en=row.label_en,
        type=row.type,
        unit=row.unit,
        unit_en=row.unit_en,
        aggregate=row.aggregate,
        required=row.required,
        choices=tuple(c for c in row.choices.split("\n") if c),
        min_value=row.min_value,
        max_value=row.max_value,
        headline=row.headline,
    )


async def load_rounds_data(session: AsyncSession, rounds: Sequence[Round]) -> dict[int, PeriodData]:
    """round id -> what each department reported in it (latest revision), in three queries."""
    ids = [r.id for r in rounds if r.id is not None]
    if not ids:
        return {}
    # Plain rows, not ORM objects: a big cluster's round holds thousands of values.
    latest = (
        select(
            col(Submission.round_id),
            col(Submission.department_id),
            func.max(Submission.revision).label("revision"),
        )
        .where(col(Submission.round_id).in_(ids))
        .group_by(col(Submission.round_id), col(Submission.department_id))
        .subquery()
    )
    conn = await session.connection()
    newest = (
        await conn.execute(
            core_select(  # more columns than sqlmodel's select() types
                col(Submission.id),
                col(Submission.round_id),
                col(Submission.department_id),
                col(Submission.revision),
                col(Submission.submitted_by),
                col(Submission.submitted_at),
            ).join(
                latest,
                (col(Submission.round_id) == latest.c.round_id)
                & (col(Submission.department_id) == latest.c.department_id)
                & (col(Submission.revision) == latest.c.revision),
            )
        )
    ).all()
    firsts = {
        (round_id, department_id): (submitted_at, late)
        for round_id, department_id, submitted_at, late in (
            await conn.execute(
                select(
                    col(Submission.round_id),
                    col(Submission.department_id),
                    col(Submission.submitted_at),
                    col(Submission.late),
                ).where(col(Submission.round_id).in_(ids), Submission.revision == 1)
            )
        ).all()
    }
    values: dict[int, dict[int, str | None]] = {row.id: {} for row in newest}
    submission_ids = list(values)
    for start in range(0, len(submission_ids), 500):  # keep the IN list short on any backend
        chunk = submission_ids[start : start + 500]
        rows = await conn.execute(
            select(
                col(SubmissionValue.submission_id),
                col(SubmissionValue.indicator_id),
                col(SubmissionValue.value),
            ).where(col(SubmissionValue.submission_id).in_(chunk))
        )
        for submission_id, indicator_id, value in rows:
            values[submission_id][indicator_id] = value

    result: dict[int, dict[int, Report]] = {i: {} for i in ids}
    for row in newest:
        first_at, first_late = firsts.get((row.round_id, row.department_id), (None, False))
        result[row.round_id][row.department_id] = Report(
            department_id=row.department_id,
            values=values[row.id],
            revision=row.revision,
            submitted_at=row.submitted_at,
            first_submitted_at=first_at or row.submitted_at,
            late=bool(first_late),
            submitted_by=row.submitted_by,
        )
    return {
        r.id: PeriodData(period=r.period, reports=result[r.id], deadline=r.deadline, state=r.state)
        for r in rounds
        if r.id is not None
    }


async def load_period_data(session: AsyncSession, row: Round) -> PeriodData:
    assert row.id is not None
    return (await load_rounds_data(session, [row]))[row.id]


async def load_revisions(session: AsyncSession, rounds: Sequence[Round]) -> list[RevisionInfo]:
    """Every revision of the rounds with its values and the submitter's name."""
    periods = {r.id: r.period for r in rounds if r.id is not None}
    if not periods:
        return []
    conn = await session.connection()
    query = (
        core_select(  # more columns than sqlmodel's select() types
            col(Submission.id),
            col(Submission.round_id),
            col(Submission.department_id),
            col(Submission.revision),
            col(Submission.submitted_by),
            col(Submission.submitted_at),
            col(Submission.late),
            col(Person.full_name),
        )
        .join(Person, col(Person.id) == col(Submission.submitted_by), isouter=True)
        .where(col(Submission.round_id).in_(list(periods)))
        .order_by(col(Submission.round_id), col(Submission.department_id), col(Submission.revision))
    )
    rows = (await conn.execute(query)).all()
    values: dict[int, dict[int, str | None]] = {row.id: {} for row in rows}
    ids = list(values)
    for start in range(0, len(ids), 500):
        result = await conn.execute(
            select(
                col(SubmissionValue.submission_id),
                col(SubmissionValue.indicator_id),
                col(SubmissionValue.value),
            ).where(col(SubmissionValue.submission_id).in_(ids[start : start + 500]))
        )
        for submission_id, indicator_id, value in result:
            values[submission_id][indicator_id] = value
    return [
        RevisionInfo(
            department_id=row.department_id,
            revision=row.revision,
            submitted_by=row.submitted_by,
            submitted_by_name=row.full_name or "",
            submitted_at=row.submitted_at,
            late=row.late,
            values=values[row.id],
            period=periods[row.round_id],
        )
        for row in rows
    ]
