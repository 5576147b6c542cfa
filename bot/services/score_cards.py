"""A year's checking as the checkers see it: who checks whom this year (with the offices and
the roll as they are now) and the card of one department's self-score, item by item. Used by
bot/services/score_checking.py, which decides what may be done with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import callback_data as cb
from bot.domain.checking import assigned_checker, check_refusal, checked_by
from bot.domain.roles import Role
from bot.domain.scoring_file import CriterionSpec, ItemSpec, ScoringTable
from bot.services import emulation
from bot.services.context import Context
from bot.services.screens import Button, Screen
from storage import clusters, deliveries, score_checks, scoring
from storage.models import Department
from storage.models_emulation import ScoreAdjustment, ScoringSession

PER_ROW = 5  # "✏️ n" buttons per row of the card


# --- who checks whom --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checking:
    """The year's checking: the mode, the roll (active departments, in the file's order) and
    who holds the offices."""

    row: ScoringSession
    table: ScoringTable
    roll: list[Department]
    head: Department | None
    deputy: Department | None

    @property
    def mode(self) -> str:
        return self.table.checking

    @property
    def slugs(self) -> list[str]:
        return [d.slug for d in self.roll]

    def by_slug(self, slug: str | None) -> Department | None:
        return next((d for d in self.roll if d.slug == slug), None)

    def checker_of(self, department: Department) -> Department | None:
        slug = assigned_checker(
            self.mode,
            department.slug,
            self.slugs,
            self.row.year,
            self.head.slug if self.head else None,
            self.deputy.slug if self.deputy else None,
        )
        return self.by_slug(slug)

    def refusal(self, department: Department, checker: Department | None) -> str | None:
        return check_refusal(
            self.mode,
            department.slug,
            checker.slug if checker else None,
            self.slugs,
            self.row.year,
            self.head.slug if self.head else None,
            self.deputy.slug if self.deputy else None,
        )

    def checked_by(self, checker: Department | None) -> list[Department]:
        slugs = checked_by(
            self.mode,
            checker.slug if checker else None,
            self.slugs,
            self.row.year,
            self.head.slug if self.head else None,
            self.deputy.slug if self.deputy else None,
        )
        return [d for d in self.roll if d.slug in slugs]


async def checking_of(session: AsyncSession, ctx: Context, row: ScoringSession) -> Checking:
    roll = await clusters.list_departments(session, row.cluster_id)
    holders = await clusters.get_current_offices(session, row.cluster_id, ctx.today.year)
    by_id = {d.id: d for d in roll}
    return Checking(
        row=row,
        table=scoring.scoring_snapshot(row),
        roll=roll,
        head=by_id.get(holders.get("head")),
        deputy=by_id.get(holders.get("deputy")),
    )


def checker_department(ctx: Context, checking: Checking) -> tuple[bool, Department | None]:
    """(may act as a checker at all, the department it checks for: None for an admin)."""
    actor = ctx.actor
    if actor is None or actor.merged:
        return False, None
    if actor.role is Role.ADMIN:
        return True, None
    if actor.role is not Role.OFFICER or actor.department_id is None:
        return False, None
    department = next((d for d in checking.roll if d.id == actor.department_id), None)
    return department is not None, department


# --- the items of a card ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of the card: a criterion, or a bonus or deduction item, numbered from 1."""

    n: int
    kind: str  # criterion | bonus | deduction
    spec: CriterionSpec | ItemSpec

    @property
    def computed(self) -> bool:
        return isinstance(self.spec, CriterionSpec) and self.spec.method != "self"


def items_of(table: ScoringTable) -> list[Item]:
    found: list[tuple[str, CriterionSpec | ItemSpec]] = [("criterion", c) for c in table.criteria()]
    for kind in ("bonus", "deduction"):
        extras = getattr(table, emulation.EXTRA_KINDS[kind])
        if extras is not None:
            found.extend((kind, i) for i in extras.items)
    return [Item(n, kind, spec) for n, (kind, spec) in enumerate(found, start=1)]


@dataclass
class Line:
    """What the card shows of one item for one department."""

    item: Item
    base: Decimal  # the self-score, or the bot's points, or 0 (nothing claimed)
    claimed: bool  # a self-score (or a claim of a bonus/deduction) exists
    justification: str | None
    evidence: int
    adjustments: list[ScoreAdjustment] = field(default_factory=list)

    @property
    def changes(self) -> list[tuple[ScoreAdjustment, Decimal]]:
        """Each adjustment with its points, in the order made."""
        return [(a, scoring.from_cents(a.points_cents)) for a in self.adjustments]

    @property
    def current(self) -> Decimal:
        """The last adjustment not withdrawn counts; else the base."""
        kept = [a for a in self.adjustments if a.decision != "withdrawn"]
        return scoring.from_cents(kept[-1].points_cents) if kept else self.base


async def card_lines(
    session: AsyncSession, ctx: Context, row: ScoringSession, department_id: int
) -> list[Line]:
    table = scoring.scoring_snapshot(row)
    assert ctx.cluster is not None
    figures = await emulation.year_figures(session, row.cluster_id, row.year, today=ctx.today)
    computed = emulation.computed_points(table, figures.get(department_id, emulation.YearFigures()))
    entries = {
        (e.kind, e.item): e for e in await scoring.list_self_scores(session, row, department_id)
    }
    evidence: dict[tuple[str, str], int] = {}
    for kept in await scoring.list_evidence(session, row, department_id):
        evidence[(kept.kind, kept.item)] = evidence.get((kept.kind, kept.item), 0) + 1
    adjustments = await scoring.list_adjustments(session, row, department_id)
    lines = []
    for item in items_of(table):
        key = (item.kind, item.spec.id)
        entry = entries.get(key)
        if entry is not None:
            base = scoring.from_cents(entry.points_cents)
        elif item.computed:
            base = computed.get(item.spec.id, Decimal(0))
        else:
            base = Decimal(0)
        lines.append(
            Line(
                item=item,
                base=base,
                claimed=entry is not None,
                justification=entry.justification if entry else None,
                evidence=evidence.get(key, 0),
                adjustments=[a for a in adjustments if (a.kind, a.item) == key],
            )
        )
    return lines


async def checkers_by_person(
    session: AsyncSession, roll: Sequence[Department]
) -> dict[int, Department]:
    """person id -> the department whose officer they are (who made an adjustment: with the
    head checking, the head's or, for the head's own department, the deputy's)."""
    by_id = {d.id: d for d in roll}
    officers = await deliveries.list_officers(session, [d.id for d in roll if d.id is not None])
    return {o.person_id: by_id[o.department_id] for o in officers if o.department_id in by_id}


async def card_screen(
    session: AsyncSession, ctx: Context, checking: Checking, department: Department
) -> Screen:
    row = checking.row
    assert row.id is not None and department.id is not None
    lines = await card_lines(session, ctx, row, department.id)
    totals = await emulation.department_totals(session, row, today=ctx.today)
    reviews = await score_checks.list_reviews(session, row, department.id)
    names = {d.id: d for d in checking.roll}
    by = await checkers_by_person(session, checking.roll)
    buttons: list[list[Button]] = []
    for line in lines:
        if not buttons or len(buttons[-1]) == PER_ROW:
            buttons.append([])
        buttons[-1].append(
            Button(
                "score_checking.btn_adjust",
                cb.CheckAdjust(row.id, department.id, line.item.n - 1).encode(),
                {"n": line.item.n},
            )
        )
    buttons.append(
        [Button("score_checking.btn_accept", cb.CheckAccept(row.id, department.id).encode())]
    )
    return Screen(
        "score_checking.card",
        {
            "year": row.year,
            "department": department,
            "lines": lines,
            "total": totals[department.id].total if department.id in totals else Decimal(0),
            "scale": checking.table.scale,
            "checkers": {
                a.id: names.get(a.checker_department_id) or by.get(a.checked_by)
                for line in lines
                for a in line.adjustments
            },
            "accepted": reviews[-1] if reviews else None,
            "accepted_by": names.get(reviews[-1].checker_department_id) if reviews else None,
        },
        buttons,
    )


def item_of(table: ScoringTable, adjustment: ScoreAdjustment) -> Item | None:
    return next(
        (i for i in items_of(table) if (i.kind, i.spec.id) == (adjustment.kind, adjustment.item)),
        None,
    )
