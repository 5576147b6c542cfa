"""/score in the private chat: an officer scores the department itself, like /report.

For each ``self`` criterion of the year's table, in the table's order, the bot asks a number
within 0..max (Vietnamese "7,5" or plain "7.5"), then a short justification; the points the bot
computes (``auto``, ``timeliness``) are shown first, for reference. A review card ends it:
"Xác nhận" records every score (bot/services/emulation.py: score_criterion), "Hủy" drops the
draft; /cancel drops it any time. The draft lives in the `score_draft` table (a restart loses
nothing) and every button carries its version (an old card is refused).

Refused, whatever the draft says: a score over the maximum (asked again), a year whose scoring
is checked or locked (a locked score cannot be edited), and anything after the deadline, both
when /score starts and when the card is confirmed.

Files sent meanwhile are evidence (bot/services/score_evidence.py), counted on the review card;
a filled Excel template (bot/services/score_template.py) becomes the draft and ends here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import callback_data as cb
from bot.domain.points import shown
from bot.domain.roles import may_self_score
from bot.domain.scoring import ScoreRefused, check_self_score
from bot.domain.scoring_file import CriterionSpec, ScoringTable
from bot.services import emulation
from bot.services.context import Context
from bot.services.pact import target_value
from bot.services.scorechat import named_year, refused
from bot.services.screens import Button, Outcome, Screen
from storage import scoring
from storage.models_emulation import ScoringSession
from storage.models_score_drafts import ScoreDraft
from storage.score_drafts import (
    delete_score_draft,
    draft_session,
    get_score_draft,
    save_score_draft,
)

# The justification comes in the next message; the points are checked as soon as they are
# typed, against the rules' own bounds, with this stand-in for it.
_PENDING_TEXT = "…"


@dataclass
class DraftState:
    """criterion -> (points, justification) entered; the points waiting for a justification."""

    answers: dict[str, tuple[str, str]] = field(default_factory=dict)
    points: str | None = None  # the current criterion's points, its justification to come
    recorded: dict[str, str] = field(default_factory=dict)  # criterion -> points kept already

    def to_json(self) -> str:
        return json.dumps(
            {"answers": self.answers, "points": self.points, "recorded": self.recorded},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> DraftState:
        data = json.loads(text)
        return cls(
            answers={k: (str(v[0]), str(v[1])) for k, v in data.get("answers", {}).items()},
            points=data.get("points"),
            recorded={k: str(v) for k, v in data.get("recorded", {}).items()},
        )


def own_criteria(table: ScoringTable) -> list[CriterionSpec]:
    return [c for c in table.criteria() if c.method == "self"]


def next_criterion(table: ScoringTable, state: DraftState) -> CriterionSpec | None:
    return next((c for c in own_criteria(table) if c.id not in state.answers), None)


async def check_open(session: AsyncSession, ctx: Context, row: ScoringSession) -> None:
    """Raise the refusal that stops self-scoring now: checked or locked, or past the deadline."""
    if row.state == scoring.LOCKED:
        raise ScoreRefused("locked")
    if row.state != scoring.OPEN:
        raise ScoreRefused("not_open")
    if ctx.today > row.deadline:
        raise ScoreRefused("deadline_over", deadline=row.deadline.strftime("%d/%m/%Y"))


def refusal(exc: ScoreRefused) -> Outcome:
    if exc.code == "deadline_over":
        return Outcome().add("score.deadline_over", deadline=exc.params["deadline"])
    return Outcome([refused(exc)])


async def open_for_officer(
    session: AsyncSession, ctx: Context, args: list[str], private: bool
) -> ScoringSession | Outcome:
    """The scoring `[YEAR]` names, open to this officer's self-scoring in the private chat; or
    the Outcome that refuses it (who, where, the arguments, the scoring's state)."""
    out = Outcome()
    if not may_self_score(ctx.actor) or ctx.department is None:
        return out.add("score.officers_only")
    if not private:
        return out.add("score.go_private")
    assert ctx.cluster is not None and ctx.actor is not None
    year = await named_year(session, ctx, args)
    if year is None:
        return out.add("score.usage")
    try:
        row = await emulation.get_scoring(session, ctx.cluster.id, year)
        await check_open(session, ctx, row)
    except ScoreRefused as exc:
        return refusal(exc)
    return row


async def start(session: AsyncSession, ctx: Context, args: list[str], private: bool) -> Outcome:
    """`/score [YEAR]`: the officer starts scoring the department (a new draft)."""
    row = await open_for_officer(session, ctx, args, private)
    if isinstance(row, Outcome):
        return row
    assert ctx.cluster is not None and ctx.actor is not None
    out, year = Outcome(), row.year
    assert row.id is not None and ctx.actor.department_id is not None
    table = scoring.scoring_snapshot(row)
    figures = await emulation.year_figures(session, ctx.cluster.id, year, today=ctx.today)
    computed = emulation.computed_points(
        table, figures.get(ctx.actor.department_id, emulation.YearFigures())
    )
    # Scoring again replaces the scores kept; each question shows the one it would replace.
    state = DraftState(
        recorded={
            e.item: str(scoring.from_cents(e.points_cents))
            for e in await scoring.list_self_scores(session, row)
            if e.department_id == ctx.actor.department_id and e.kind == "criterion"
        }
    )
    draft = await save_score_draft(
        session, ctx.user_id, row.id, ctx.actor.department_id, state.to_json(), now=ctx.now
    )
    out.add(
        "score.intro",
        year=year,
        department=ctx.department,
        deadline=row.deadline,
        computed=[(c, computed.get(c.id, Decimal(0))) for c in table.criteria() if c.id in computed],
        own=len(own_criteria(table)),
    )
    return await ask(session, out, table, state, draft)


async def ask(
    session: AsyncSession, out: Outcome, table: ScoringTable, state: DraftState, draft: ScoreDraft
) -> Outcome:
    """The draft's next question, or its review card once every criterion is answered."""
    criterion = next_criterion(table, state)
    if criterion is None:
        return await review(session, out, table, state, draft)
    if state.points is not None:
        return out.add("score.ask_justification", criterion=criterion, points=Decimal(state.points))
    own = own_criteria(table)
    return out.add(
        "score.ask_points",
        criterion=criterion,
        group=table.group_of(criterion.id),
        n=own.index(criterion) + 1,
        total=len(own),
        recorded=Decimal(state.recorded[criterion.id]) if criterion.id in state.recorded else None,
    )


async def review(
    session: AsyncSession, out: Outcome, table: ScoringTable, state: DraftState, draft: ScoreDraft
) -> Outcome:
    """The review card: each answer with its evidence count (what is kept already: evidence
    is kept as it arrives, bot/services/score_evidence.py)."""
    evidence = await scoring.count_evidence(session, draft.session_id, draft.department_id)
    lines = [
        (
            c,
            Decimal(state.answers[c.id][0]),
            state.answers[c.id][1],
            evidence.get(("criterion", c.id), 0),
        )
        for c in own_criteria(table)
        if c.id in state.answers
    ]
    own = {("criterion", c.id) for c in own_criteria(table)}
    others = [
        (c, evidence[("criterion", c.id)])
        for c in table.criteria()
        if ("criterion", c.id) not in own and ("criterion", c.id) in evidence
    ]
    buttons = [
        [
            Button("score.btn_confirm", cb.ScoreConfirm(draft.version).encode()),
            Button("score.btn_cancel", cb.ScoreCancel(draft.version).encode()),
        ]
    ]
    out.screens.append(
        Screen(
            "score.review",
            {
                "lines": lines,
                "subtotal": sum((p for _, p, _, _ in lines), Decimal(0)),
                "others": others,
            },
            buttons,
        )
    )
    return out


async def has_draft(session: AsyncSession, person_id: int) -> bool:
    return await get_score_draft(session, person_id) is not None


async def answer(session: AsyncSession, ctx: Context, text: str) -> Outcome | None:
    """The officer's next private message while scoring (None: no draft, not ours)."""
    draft = await get_score_draft(session, ctx.user_id)
    if draft is None:
        return None
    if text.strip().split("@")[0] == "/cancel":
        await delete_score_draft(session, ctx.user_id)
        return Outcome().add("score.cancelled")
    row = await draft_session(session, draft)
    if row is None:
        await delete_score_draft(session, ctx.user_id)
        return Outcome().add("common.stale_button")
    try:
        await check_open(session, ctx, row)
    except ScoreRefused as exc:
        await delete_score_draft(session, ctx.user_id)
        return refusal(exc)
    table = scoring.scoring_snapshot(row)
    state = DraftState.from_json(draft.state)
    criterion = next_criterion(table, state)
    out = Outcome()
    if criterion is None:  # the review card is out: its buttons decide
        return await review(session, out.add("score.use_buttons"), table, state, draft)
    try:
        if state.points is None:
            value = points_value(text)
            if value is None:
                raise ScoreRefused("bad_points", value=text.strip(), max=shown(criterion.max))
            kept = check_self_score(table, criterion.id, value, _PENDING_TEXT)
            state.points = str(kept.points)
        else:
            kept = check_self_score(table, criterion.id, Decimal(state.points), text)
            state.answers[criterion.id] = (str(kept.points), kept.justification)
            state.points = None
    except ScoreRefused as exc:
        out.screens.append(refused(exc))
        return await ask(session, out, table, state, draft)
    draft = await save_score_draft(
        session, ctx.user_id, draft.session_id, draft.department_id, state.to_json(), now=ctx.now
    )
    return await ask(session, out, table, state, draft)


def points_value(text: str) -> Decimal | None:
    """Points as typed: "7,5" (Vietnamese) or "7.5" (plain); never a percent."""
    if text.strip().endswith("%"):
        return None
    return target_value(text)


async def press(session: AsyncSession, ctx: Context, data: str | None) -> Outcome:
    """The review card's buttons: the version must be the draft's; the state and deadline are
    read again here."""
    try:
        pressed = cb.SCORE.decode(data)
    except cb.CallbackDataError:
        return Outcome().add("common.stale_button")
    assert isinstance(pressed, cb.ScoreConfirm | cb.ScoreCancel)
    draft = await get_score_draft(session, ctx.user_id)
    if draft is None or draft.version != pressed.version or not may_self_score(ctx.actor):
        return Outcome().add("common.stale_button")
    if isinstance(pressed, cb.ScoreCancel):
        await delete_score_draft(session, ctx.user_id)
        return Outcome().add("score.cancelled")
    assert ctx.actor is not None
    row = await draft_session(session, draft)
    if row is None or draft.department_id != ctx.actor.department_id:
        return Outcome().add("common.stale_button")
    table = scoring.scoring_snapshot(row)
    state = DraftState.from_json(draft.state)
    if next_criterion(table, state) is not None:
        return Outcome().add("common.stale_button")
    try:
        await check_open(session, ctx, row)
        for criterion, (points, justification) in state.answers.items():
            await emulation.score_criterion(
                session,
                row,
                draft.department_id,
                criterion,
                Decimal(points),
                justification,
                by=ctx.user_id,
                now=ctx.now,
            )
    except ScoreRefused as exc:
        return refusal(exc)
    await delete_score_draft(session, ctx.user_id)
    total = sum((Decimal(p) for p, _ in state.answers.values()), Decimal(0))
    return Outcome(
        [
            Screen(
                "score.recorded",
                {
                    "department": ctx.department,
                    "year": row.year,
                    "count": len(state.answers),
                    "subtotal": total,
                },
            )
        ]
    )
