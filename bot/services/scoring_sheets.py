"""The year's scoring as the summary workbook shows it (bot/reports/scoring_sheets.py): per
department and criterion, its own points (the self-score, or the bot's for a computed
criterion), the checker's (the last adjustment not withdrawn), the final points (as locked;
before the lock, as they stand) and how many evidence files it has."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.scoring import Totals
from bot.reports.scoring_sheets import DepartmentScores, ScoringRow, ScoringSheets
from bot.services import emulation
from storage import clusters, scoring


async def scoring_sheets_for(
    session: AsyncSession, cluster_id: str, year: int, *, today: date
) -> ScoringSheets | None:
    """None when the year has no scoring."""
    row = await scoring.get_scoring_session(session, cluster_id, year)
    if row is None:
        return None
    table = scoring.scoring_snapshot(row)
    locked = row.state == scoring.LOCKED
    departments = await clusters.list_departments(session, cluster_id, include_merged=locked)
    if locked:
        slugs = {d.id: d.slug for d in departments}
        final: dict[int, Totals] = {
            t.department_id: scoring.totals_of(t, slugs.get(t.department_id, ""))
            for t in await scoring.list_locked_totals(session, row)
        }
        departments = [d for d in departments if d.id in final]
    else:
        final = await emulation.department_totals(session, row, today=today)
    figures = await emulation.year_figures(session, cluster_id, year, today=today)
    own = {
        (e.department_id, e.item): scoring.from_cents(e.points_cents)
        for e in await scoring.list_self_scores(session, row)
        if e.kind == "criterion"
    }
    checked = {
        (a.department_id, a.item): scoring.from_cents(a.points_cents)
        for a in await scoring.list_adjustments(session, row)  # in order: the last one counts
        if a.kind == "criterion" and a.decision != "withdrawn"
    }
    evidence: dict[tuple[int, str], int] = {}
    for kept in await scoring.list_evidence(session, row):
        if kept.kind == "criterion":
            key = (kept.department_id, kept.item)
            evidence[key] = evidence.get(key, 0) + 1
    found = []
    for department in departments:
        assert department.id is not None
        computed = emulation.computed_points(
            table, figures.get(department.id, emulation.YearFigures())
        )
        totals = final.get(department.id)
        final_points = dict(totals.criteria) if totals is not None else {}
        rows = [
            ScoringRow(
                criterion=criterion.id,
                name=criterion.name,
                name_en=criterion.name_en,
                group=group.name,
                group_en=group.name_en,
                max=criterion.max,
                method=criterion.method,
                own=(
                    own.get((department.id, criterion.id))
                    if criterion.method == "self"
                    else computed.get(criterion.id)
                ),
                checked=checked.get((department.id, criterion.id)),
                final=final_points.get(criterion.id),
                evidence=evidence.get((department.id, criterion.id), 0),
            )
            for group in table.groups
            for criterion in group.criteria
        ]
        found.append(
            DepartmentScores(
                name=department.name,
                name_en=department.name_en,
                rows=rows,
                bonus=totals.bonus if totals else scoring.from_cents(0),
                deductions=totals.deductions if totals else scoring.from_cents(0),
                total=totals.total if totals else scoring.from_cents(0),
            )
        )
    return ScoringSheets(year=year, scale=table.scale, locked=locked, departments=found)
