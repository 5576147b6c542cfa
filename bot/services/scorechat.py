"""/score and /ranking in the chat: the head opens the year's scoring with a deadline, each
department scores itself in the private chat (bot/services/score_conversation.py), and anyone
registered sees the locked ranking.

Thin over :mod:`bot.services.emulation` (the rules and the storage); what is here is who may
act (checked on every command, whatever was typed) and what each person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.ranking import Ranked
from bot.domain.roles import Action, may, may_open_scoring
from bot.domain.scoring import ScoreRefused
from bot.domain.scoring_file import GroupSpec
from bot.services import emulation
from bot.services.context import Context
from bot.services.screens import Outcome, Screen
from messages.formatting import parse_date
from storage import clusters, scoring
from storage.models import Department


def refused(exc: ScoreRefused) -> Screen:
    return Screen("score.refused", {"code": exc.code, "params": exc.params})


def year_of(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) == 4 else None


async def default_year(session: AsyncSession, ctx: Context) -> int:
    """The year being scored: this year's scoring if it was opened, else last year's (a year is
    scored at the start of the next one)."""
    assert ctx.cluster is not None
    year = int(ctx.today.year)
    if await scoring.get_scoring_session(session, ctx.cluster.id, year) is not None:
        return year
    return year - 1


async def named_year(session: AsyncSession, ctx: Context, args: list[str]) -> int | None:
    """The year `[YEAR]` names (none: the year being scored, `default_year`); None when the
    arguments are anything else (the caller shows its usage)."""
    if len(args) > 1 or (args and year_of(args[0]) is None):
        return None
    return year_of(args[0]) if args else await default_year(session, ctx)


# --- /ranking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankLine:
    """One department's line of the ranking: its rank (shared by a tie), its totals."""

    rank: int
    tied: bool
    department: Department | None
    slug: str
    total: Decimal
    groups: list[tuple[GroupSpec, Decimal]]
    bonus: Decimal
    deductions: Decimal


async def ranking(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """`/ranking [YEAR]`: the locked totals ranked (ties share a rank, as the table's
    tie-break rules leave them); before the lock, says so."""
    out = Outcome()
    if not may(ctx.actor, Action.RANKING):
        return out.add("common.not_allowed")
    assert ctx.cluster is not None
    year = await named_year(session, ctx, args)
    if year is None:
        return out.add("score.ranking_usage")
    try:
        ranked = await emulation.ranking(session, ctx.cluster.id, year)
        row = await emulation.get_scoring(session, ctx.cluster.id, year)
    except ScoreRefused as exc:
        if exc.code == "not_locked":
            return out.add("score.not_locked", year=year)
        return Outcome([refused(exc)])
    table = scoring.scoring_snapshot(row)
    departments = {
        d.slug: d
        for d in await clusters.list_departments(session, ctx.cluster.id, include_merged=True)
    }
    return out.add(
        "score.ranking",
        year=year,
        scale=table.scale,
        lines=rank_lines(ranked, table.groups, departments),
        tie_break=bool(table.tie_break),
    )


def rank_lines(
    ranked: list[Ranked], groups: tuple[GroupSpec, ...], departments: dict[str, Department]
) -> list[RankLine]:
    shared = [r.rank for r in ranked]
    return [
        RankLine(
            rank=r.rank,
            tied=shared.count(r.rank) > 1,
            department=departments.get(r.department),
            slug=r.department,
            total=r.totals.total,
            groups=[(g, r.totals.group(g.id)) for g in groups],
            bonus=r.totals.bonus,
            deductions=r.totals.deductions,
        )
        for r in ranked
    ]


# --- /score open ------------------------------------------------------------------------------


async def open_year(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """`/score open YEAR DD/MM/YYYY`: the head (or an admin) opens the year's scoring."""
    out = Outcome()
    if not may_open_scoring(ctx.actor):
        return out.add("score.not_head")
    assert ctx.cluster is not None
    year = year_of(args[0]) if len(args) == 2 else None
    if year is None:
        return out.add("score.open_usage")
    try:
        deadline = parse_date(args[1])
    except ValueError:
        return out.add("score.open_usage")
    try:
        row = await emulation.open_scoring(
            session, ctx.cluster.id, year, deadline, by=ctx.user_id, now=ctx.now, today=ctx.today
        )
    except ScoreRefused as exc:
        return Outcome([refused(exc)])
    table = scoring.scoring_snapshot(row)
    criteria = table.criteria()
    params = {
        "year": year,
        "deadline": deadline,
        "scale": table.scale,
        "own": sum(1 for c in criteria if c.method == "self"),
        "computed": sum(1 for c in criteria if c.method != "self"),
    }
    out.group_screens.append(Screen("score.opened_group", params))
    return out.add("score.opened", **params)
