"""The Excel self-scoring template: `/score excel [YEAR]` sends it (built after the commit in
the worker process, bot/services/compositions.py), and the filled file sent back in the private
chat becomes the officer's /score draft, shown as its review card to confirm
(bot/services/score_conversation.py). Like the report template (bot/services/summaries.py).

An upload is read before the unit of work (bot/reports/score_template.py, in the worker
process); here it is checked against the officer and the year: the template must be this
cluster's, this department's and this year's open scoring's, with the table's criteria; every
filled row goes through the same rules as the chat (bot/domain/scoring.py: check_self_score),
and every problem names its cell. With any problem nothing is stored (not even the draft);
rows left empty are asked for in the chat after the file's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.points import shown
from bot.domain.roles import may_self_score
from bot.domain.scoring import ScoreRefused, check_self_score
from bot.domain.scoring_file import CriterionSpec
from bot.reports.score_template import FilledScores, ScoreTemplateTarget, TemplateCriterion
from bot.reports.template_io import UploadRejected
from bot.services import emulation
from bot.services import score_conversation as conversation
from bot.services.context import Context
from bot.services.screens import Composition, Outcome, Screen
from storage import clusters, people, scoring
from storage.models import Department
from storage.models_emulation import ScoringSession
from storage.score_drafts import save_score_draft
from storage.summaries import department_info


@dataclass(frozen=True)
class Upload:
    """A filled template, downloaded and read before the unit of work begins."""

    filled: FilledScores | None = None
    rejected: UploadRejected | None = None


@dataclass(frozen=True)
class Problem:
    """A cell the officer must fix: ``code`` and ``params`` as the chat's refusals (or
    ``formula_without_value``, ``points_needed``)."""

    cell: str
    criterion: CriterionSpec
    code: str
    params: dict[str, str] = field(default_factory=dict)


async def template(session: AsyncSession, ctx: Context, args: list[str], private: bool) -> Outcome:
    """`/score excel [YEAR]`: the department's self-scoring template, prefilled with what is
    recorded, made after the commit."""
    row = await conversation.open_for_officer(session, ctx, args, private)
    if isinstance(row, Outcome):
        return row
    assert ctx.actor is not None
    out = Outcome()
    assert row.id is not None and ctx.actor.department_id is not None
    params = {
        "session_id": row.id,
        "department_id": ctx.actor.department_id,
        "today": ctx.today.isoformat(),
    }
    out.compositions.append(Composition("score-template", params))
    return out


async def template_target(
    session: AsyncSession, session_id: int, department_id: int, today: date
) -> tuple[ScoreTemplateTarget, Department] | None:
    """What the department's template is built from (a short read, for the composition):
    every criterion with its maximum, the computed points, the self-scores recorded."""
    row = await session.get(ScoringSession, session_id)
    department = await people.get_department(session, department_id)
    if row is None or row.id is None or department is None:
        return None
    table = scoring.scoring_snapshot(row)
    figures = await emulation.year_figures(session, row.cluster_id, row.year, today=today)
    computed = emulation.computed_points(table, figures.get(department_id, emulation.YearFigures()))
    recorded = {
        e.item: e
        for e in await scoring.list_self_scores(session, row, department_id)
        if e.kind == "criterion"
    }
    rows = []
    for group in table.groups:
        for criterion in group.criteria:
            entry = recorded.get(criterion.id)
            rows.append(
                TemplateCriterion(
                    id=criterion.id,
                    name=criterion.name,
                    name_en=criterion.name_en,
                    group=group.name,
                    group_en=group.name_en,
                    max=criterion.max,
                    own=criterion.method == "self",
                    computed=computed.get(criterion.id),
                    points=scoring.from_cents(entry.points_cents) if entry else None,
                    justification=entry.justification if entry else None,
                )
            )
    target = ScoreTemplateTarget(
        cluster_id=row.cluster_id,
        session_id=row.id,
        year=row.year,
        deadline=row.deadline,
        department=department_info(department),
        criteria=tuple(rows),
    )
    return target, department


def _rejected(code: str, **params: str) -> Outcome:
    return Outcome([Screen("score.template_rejected", {"code": code, "params": params})])


async def use_upload(session: AsyncSession, ctx: Context, upload: Upload) -> Outcome:
    """A filled template becomes the officer's draft (its review card asks to confirm), or
    is refused whole, naming the cells to fix. Nothing else is stored."""
    if not may_self_score(ctx.actor) or ctx.department is None or ctx.cluster is None:
        return Outcome().add("score.officers_only")
    assert ctx.actor is not None and ctx.actor.department_id is not None
    if upload.rejected is not None:
        return _rejected(upload.rejected.code, **upload.rejected.params)
    assert upload.filled is not None
    filled, identity = upload.filled, upload.filled.identity
    if identity.cluster_id != ctx.cluster.id:
        return _rejected("other_cluster")
    if identity.department_id != ctx.actor.department_id:
        names = {d.id: d for d in await clusters.list_departments(session, ctx.cluster.id, True)}
        other = names.get(identity.department_id)
        return _rejected("other_department", department=other.name if other else "?")
    row = await scoring.get_scoring_session(session, ctx.cluster.id, identity.year)
    if row is None or row.id != identity.session_id:
        return _rejected("other_session", year=str(identity.year))
    try:
        await conversation.check_open(session, ctx, row)
    except ScoreRefused as exc:
        return conversation.refusal(exc)
    table = scoring.scoring_snapshot(row)
    own = conversation.own_criteria(table)
    if set(identity.rows) != {c.id for c in own}:
        return _rejected("criteria_changed")

    problems = [
        Problem(p.cell, c, p.code, {"value": p.raw, "max": shown(c.max)})
        for p in filled.problems
        for c in [table.criterion(p.criterion)]
    ]
    answers: dict[str, tuple[str, str]] = {}
    for cell in filled.filled:
        criterion = table.criterion(cell.criterion)
        if cell.points is None:
            problems.append(Problem(cell.points_cell, criterion, "points_needed"))
            continue
        try:
            kept = check_self_score(table, criterion.id, cell.points, cell.justification)
        except ScoreRefused as exc:
            where = (
                cell.justification_cell
                if exc.code in ("justification_needed", "too_long")
                else cell.points_cell
            )
            problems.append(Problem(where, criterion, exc.code, dict(exc.params)))
            continue
        answers[criterion.id] = (str(kept.points), kept.justification)
    if problems:
        problems.sort(key=lambda p: (int(p.cell[1:]), p.cell[0]))
        return Outcome([Screen("score.template_problems", {"problems": problems})])
    if not answers:
        return Outcome().add("score.template_empty")

    state = conversation.DraftState(
        answers={c.id: answers[c.id] for c in own if c.id in answers},
        recorded={
            e.item: str(scoring.from_cents(e.points_cents))
            for e in await scoring.list_self_scores(session, row, ctx.actor.department_id)
            if e.kind == "criterion"
        },
    )
    assert row.id is not None
    draft = await save_score_draft(
        session, ctx.user_id, row.id, ctx.actor.department_id, state.to_json(), now=ctx.now
    )
    out = Outcome().add(
        "score.template_read", count=len(answers), total=len(own), formulas=filled.formula_cells
    )
    return await conversation.ask(session, out, table, state, draft)


__all__ = ["Problem", "Upload", "template", "use_upload"]
