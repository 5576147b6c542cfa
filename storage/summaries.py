"""What a summary needs, loaded with a handful of indexed queries per period.

For one cluster and period: the departments and indicators, each department's latest revision
(values) and first revision (lateness), the previous round of the same kind and the same period
a year earlier; a year without a yearly round is compiled from its quarters or months. Every
query is bounded by a round id (``ix_submission_round_department`` and the unique key
``(round_id, department_id, revision)``) or by a submission id (the primary key of
``submissionvalue``), so other clusters' rows are never scanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.aggregation import YearBasis, previous_year_basis, year_sources
from bot.domain.periods import Period, PeriodError, parse_period
from bot.domain.summary import (
    DepartmentInfo,
    HistoryEntry,
    IndicatorInfo,
    PeriodData,
    Report,
    RevisionInfo,
    Summary,
    build_summary,
    compile_year,
    revision_history,
)
from storage.clusters import get_cluster, list_departments, list_indicators
from storage.models import Department, Indicator, Person, Round, Submission, SubmissionValue
from storage.rounds import latest_round, list_rounds
from storage.types import utcnow

__all__ = [
    "SummaryInputs",
    "department_info",
    "indicator_info",
    "load_history",
    "load_summary",
    "load_summary_inputs",
    "period_data",
    "previous_report",
    "rounds_data",
]


def department_info(row: Department) -> DepartmentInfo:
    assert row.id is not None
    return DepartmentInfo(id=row.id, slug=row.slug, name=row.name, name_en=row.name_en)


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


@dataclass(frozen=True)
class SummaryInputs:
    """Everything :func:`bot.domain.summary.build_summary` takes, plus the round itself."""

    cluster_id: str
    cluster_name: str
    cluster_name_en: str
    departments: list[DepartmentInfo]
    indicators: list[IndicatorInfo]
    current: PeriodData
    previous: PeriodData | None
    year_ago: PeriodData | None
    round: Round | None  # None for a compiled year
    previous_basis: YearBasis | None = None  # for a year: the periods the year before must hold


async def rounds_data(session: AsyncSession, rounds: Sequence[Round]) -> dict[int, PeriodData]:
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


async def period_data(session: AsyncSession, row: Round) -> PeriodData:
    assert row.id is not None
    return (await rounds_data(session, [row]))[row.id]


def _kind(code: str) -> str | None:
    try:
        return parse_period(code).kind
    except PeriodError:
        return None


async def _year_data(
    session: AsyncSession,
    year: int,
    by_code: dict[str, Round],
    indicators: Sequence[IndicatorInfo],
) -> PeriodData | None:
    """The year's round, or the year compiled from its quarters/months; None if neither."""
    code = Period.of_year(year).code
    if code in by_code:
        return await period_data(session, by_code[code])
    sources = year_sources(year, by_code)
    if sources is None:
        return None
    parts_rounds = [by_code[c] for c in sources.used]
    data = await rounds_data(session, parts_rounds)
    parts = [data[r.id] for r in parts_rounds if r.id is not None]
    return compile_year(code, indicators, parts, sources.expected)


async def _basis_data(
    session: AsyncSession,
    basis: YearBasis,
    by_code: dict[str, Round],
    indicators: Sequence[IndicatorInfo],
) -> PeriodData:
    """The previous year as ``basis`` says: its yearly round, or compiled from the periods
    that match the current year's (those without a round listed as missing)."""
    if basis.periods == (basis.code,):
        return await period_data(session, by_code[basis.code])
    parts_rounds = [by_code[c] for c in basis.periods]
    data = await rounds_data(session, parts_rounds)
    parts = [data[r.id] for r in parts_rounds if r.id is not None]
    return compile_year(basis.code, indicators, parts, basis.expected)


async def previous_report(
    session: AsyncSession, current: Round, department_id: int
) -> tuple[str, dict[int, str | None]] | None:
    """(period, values) of the department's latest report in an earlier round of the same kind
    of period, for the template's reference column; None when it never reported one."""
    kind = _kind(current.period)
    earlier = [
        r
        for r in await list_rounds(session, current.cluster_id)  # newest first
        if r.period_start < current.period_start and _kind(r.period) == kind and r.id is not None
    ]
    for start in range(0, len(earlier), 4):
        batch = earlier[start : start + 4]
        data = await rounds_data(session, batch)
        for row in batch:
            assert row.id is not None
            report = data[row.id].reports.get(department_id)
            if report is not None:
                return row.period, dict(report.values)
    return None


async def load_summary_inputs(
    session: AsyncSession, cluster_id: str, period: str | None = None
) -> SummaryInputs | None:
    """The inputs of the summary of ``period`` (a period code; default: the latest round).

    None when the cluster does not exist, or the period has no round and (for a year) no
    quarters or months to compile it from.
    """
    cluster = await get_cluster(session, cluster_id)
    if cluster is None:
        return None
    rounds = await list_rounds(session, cluster_id)  # newest first; a few dozen rows
    by_code = {r.period: r for r in rounds}
    if period is None:
        row = await latest_round(session, cluster_id)
        if row is None:
            return None
        period = row.period
    target = parse_period(period)
    period = target.code

    indicator_rows = await list_indicators(session, cluster_id, include_inactive=True)
    all_indicators = [indicator_info(i) for i in indicator_rows]
    departments = [department_info(d) for d in await list_departments(session, cluster_id)]

    current_round = by_code.get(period)
    if current_round is not None:
        current: PeriodData | None = await period_data(session, current_round)
    elif target.kind == "year":
        current = await _year_data(session, target.year, by_code, all_indicators)
    else:
        current = None
    if current is None:
        return None

    previous: PeriodData | None = None
    year_ago: PeriodData | None = None
    basis: YearBasis | None = None
    if target.kind == "year":
        # Like with like: the year before made of the same periods as this one.
        basis = previous_year_basis(target.year, current.compiled_from, by_code)
        if basis is not None:
            previous = await _basis_data(session, basis, by_code, all_indicators)
    else:
        earlier = [
            r
            for r in rounds
            if _kind(r.period) == target.kind and parse_period(r.period).sort_key < target.sort_key
        ]
        if earlier:
            previous = await period_data(session, max(earlier, key=lambda r: r.period_start))
        ago = by_code.get(target.same_period_last_year().code)
        if ago is not None:
            year_ago = await period_data(session, ago)

    # Indicators dropped from the cluster file still show where this period has their values.
    used = {i for report in current.reports.values() for i, v in report.values.items() if v}
    indicators = [
        info
        for row, info in zip(indicator_rows, all_indicators, strict=True)
        if row.active or info.id in used
    ]
    return SummaryInputs(
        cluster_id=cluster.id,
        cluster_name=cluster.name,
        cluster_name_en=cluster.name_en,
        departments=departments,
        indicators=indicators,
        current=current,
        previous=previous,
        year_ago=year_ago,
        round=current_round,
        previous_basis=basis,
    )


async def load_summary(
    session: AsyncSession,
    cluster_id: str,
    period: str | None = None,
    now: datetime | None = None,
) -> Summary | None:
    """The built summary (see :func:`load_summary_inputs` for when it is None)."""
    inputs = await load_summary_inputs(session, cluster_id, period)
    if inputs is None:
        return None
    return build_summary(
        cluster_id=inputs.cluster_id,
        cluster_name=inputs.cluster_name,
        cluster_name_en=inputs.cluster_name_en,
        departments=inputs.departments,
        indicators=inputs.indicators,
        current=inputs.current,
        previous=inputs.previous,
        year_ago=inputs.year_ago,
        previous_basis=inputs.previous_basis,
        # Only the "generated at" line of the report: nothing is decided by it, and the posts
        # made after a commit (post_round_summary) have no clock of their own to pass yet.
        generated_at=now or utcnow(),
    )


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


async def load_history(
    session: AsyncSession, cluster_id: str, periods: Sequence[str]
) -> list[HistoryEntry]:
    """Who submitted and changed what, when, in the rounds of ``periods`` (a round's period,
    or the periods a compiled year used), for the workbook's history sheet."""
    rounds = [r for r in await list_rounds(session, cluster_id) if r.period in set(periods)]
    departments = [department_info(d) for d in await list_departments(session, cluster_id)]
    indicators = [
        indicator_info(i) for i in await list_indicators(session, cluster_id, include_inactive=True)
    ]
    return revision_history(departments, indicators, await load_revisions(session, rounds))
