"""The emulation year as the chat (and the command line, and the demo) drive it: the pact, the
year's scoring, checking and ranking. What /pact, /score and /ranking call.

Every function takes the caller's session (one unit of work: the caller commits) and the
caller's clock (`now`, `today`); who may do what (the head opens, an officer of the department
scores) is the caller's check, through `bot.domain.roles`. A refusal is a
:class:`~bot.domain.scoring.ScoreRefused` with a code and params for the words
(``messages/templates/scoring.html``, ``scoring.refused``): the rules' own codes (see
`bot/domain/scoring.py`) and these:

- ``no_pact_table``, ``no_scoring_table``: the cluster file has no [pact] / [scoring];
- ``pact_exists``, ``scoring_exists`` (year): the year has one already;
- ``no_pact``, ``no_scoring`` (year): the year has none yet;
- ``pact_closed``, ``already_signed``, ``not_waiting``: a signature the pact's state refuses;
- ``deadline_past`` (deadline): a scoring deadline before today;
- ``not_open``, ``not_checking``, ``locked``: what the scoring's state refuses;
- ``self_check``: a department checking itself; ``not_your_check``: in chấm chéo,
  a department that is not the one assigned to check this one;
- ``not_yours``: an answer to an adjustment of another department;
- ``answered``, ``decided``: the one answer, the one decision, already given;
- ``undecided`` (count): answered adjustments the head has not decided yet, before locking;
- ``not_locked``: a ranking asked for before the totals are locked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.aggregation import numeric_value
from bot.domain.periods import PeriodError, parse_period
from bot.domain.ranking import Ranked, rank
from bot.domain.rotation import peer_rotation
from bot.domain.scoring import (
    Adjustment,
    ScoreRefused,
    SelfScore,
    Timeliness,
    Totals,
    auto_points,
    check_adjustment,
    check_answer,
    check_evidence,
    check_extra,
    check_justification,
    check_self_score,
    final_points,
    timeliness_points,
    totals,
)
from bot.domain.scoring_file import ScoringTable
from bot.services import pact_targets, summaries
from storage import clusters, pacts, rounds, scoring
from storage.models import Department
from storage.models_emulation import (
    Pact,
    PactSignature,
    ScoreAdjustment,
    ScoreEvidence,
    ScoringSession,
    SelfScoreEntry,
)
from storage.summaries import load_rounds_data

EXTRA_KINDS = {"bonus": "bonus", "deduction": "deductions"}


# --- the pact ---------------------------------------------------------------------------------


async def open_pact(
    session: AsyncSession, cluster_id: str, year: int, *, by: int, now: datetime
) -> Pact:
    """Open `year`'s pact with the cluster file's [pact] as it is now (the snapshot every
    department signs)."""
    table = (await pacts.get_emulation_tables(session, cluster_id)).get("pact")
    if table is None:
        raise ScoreRefused("no_pact_table")
    pact = await pacts.claim_pact_opening(session, cluster_id, year, table, by=by, now=now)
    if pact is None:
        raise ScoreRefused("pact_exists", year=str(year))
    return pact


async def _open_pact(session: AsyncSession, cluster_id: str, year: int) -> Pact:
    pact = await pacts.get_pact(session, cluster_id, year)
    if pact is None:
        raise ScoreRefused("no_pact", year=str(year))
    return pact


async def sign_pact(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    department_id: int,
    *,
    by: int,
    now: datetime,
    targets: Mapping[str, Decimal] | None = None,
) -> PactSignature:
    """The department signs the year's pact, as written or proposing `targets` of its own
    (indicator -> target, for indicators the pact has targets for; the head decides)."""
    pact = await _open_pact(session, cluster_id, year)
    if pact.state != "open":
        raise ScoreRefused("pact_closed", year=str(year))
    targeted = pacts.pact_snapshot(pact).targeted()
    for indicator, value in (targets or {}).items():
        if indicator not in targeted:
            raise ScoreRefused("unknown_indicator", value=indicator)
        if not value.is_finite() or value <= 0:
            raise ScoreRefused("bad_target", value=str(value))
    signature = await pacts.record_signature(
        session, pact, department_id, by=by, now=now, targets=targets
    )
    if signature is None:
        raise ScoreRefused("already_signed")
    return signature


async def decide_pact_proposal(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    department_id: int,
    *,
    accepted: bool,
    by: int,
    now: datetime,
    note: str | None = None,
) -> PactSignature:
    """The head accepts the department's proposed targets, or returns them with a note (the
    department then signs again)."""
    pact = await _open_pact(session, cluster_id, year)
    signature = await pacts.get_signature(session, pact, department_id)
    if signature is None or not await pacts.record_signature_decision(
        session, signature, accepted=accepted, by=by, now=now, note=note
    ):
        raise ScoreRefused("not_waiting")
    return signature


@dataclass(frozen=True)
class PactProgress:
    """What the group sees: "Đã ký giao ước: signed/roll"."""

    signed: tuple[Department, ...]
    waiting: tuple[Department, ...]  # proposed targets, for the head to decide
    missing: tuple[Department, ...]  # not signed yet (or returned): the reminders' list

    @property
    def roll(self) -> int:
        return len(self.signed) + len(self.waiting) + len(self.missing)


async def pact_progress(session: AsyncSession, cluster_id: str, year: int) -> PactProgress:
    """Who signed the year's pact, who waits for the head, who has not signed (the active
    departments, in the file's order)."""
    pact = await _open_pact(session, cluster_id, year)
    states = {s.department_id: s.state for s in await pacts.list_signatures(session, pact)}
    roll = await clusters.list_departments(session, cluster_id)
    return PactProgress(
        signed=tuple(d for d in roll if states.get(d.id or 0) in pacts.COUNTED),
        waiting=tuple(d for d in roll if states.get(d.id or 0) == pacts.PROPOSED),
        missing=tuple(d for d in roll if states.get(d.id or 0) in (None, pacts.RETURNED)),
    )


# --- the year's figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class YearFigures:
    """What the automatic criteria are computed from, for one department."""

    actuals: dict[str, Decimal | None] = field(default_factory=dict)  # indicator slug -> figure
    targets: dict[str, Decimal | None] = field(default_factory=dict)  # indicator slug -> target
    reports: list[tuple[str, Timeliness]] = field(default_factory=list)  # (round, how)


async def year_figures(
    session: AsyncSession, cluster_id: str, year: int, *, today: date
) -> dict[int, YearFigures]:
    """department id -> its year: each numeric indicator's year figure (the yearly round, else
    compiled from the quarters or months, as the summary does), its pact target, and how it
    reported in each round of the year. A round still open before its deadline is not counted
    yet; a round the department never reported in, once due, is ``missing``."""
    pact, agreed = await pact_targets.agreed_targets(session, cluster_id, year)
    roll = await clusters.list_departments(session, cluster_id)
    inputs = await summaries.inputs_for(session, cluster_id, str(year))
    indicators = inputs.indicators if inputs is not None else []
    found: dict[int, YearFigures] = {}
    for department in roll:
        assert department.id is not None
        report = inputs.current.reports.get(department.id) if inputs is not None else None
        values = dict(report.values) if report is not None else {}
        found[department.id] = YearFigures(
            actuals={i.slug: numeric_value(i.type, values.get(i.id)) for i in indicators},
            targets=(
                {
                    slug: pact.target_for(slug, department.slug, agreed.get(department.id))
                    for slug in pact.targeted()
                }
                if pact is not None
                else {}
            ),
        )
    year_rounds = [
        r for r in await rounds.list_rounds(session, cluster_id) if _of_year(r.period, year)
    ]
    data = await load_rounds_data(session, year_rounds)
    for row in sorted(year_rounds, key=lambda r: (r.deadline, r.period)):
        assert row.id is not None
        due = row.state == "closed" or row.deadline < today
        reports = data[row.id].reports
        for department_id, figures in found.items():
            report = reports.get(department_id)
            if report is not None:
                figures.reports.append(
                    (row.period, Timeliness.LATE if report.late else Timeliness.ON_TIME)
                )
            elif due:
                figures.reports.append((row.period, Timeliness.MISSING))
    return found


def _of_year(period: str, year: int) -> bool:
    try:
        return parse_period(period).year == year
    except PeriodError:
        return False


def computed_points(table: ScoringTable, figures: YearFigures) -> dict[str, Decimal]:
    """criterion -> points, for the ``auto`` and ``timeliness`` criteria (shown in /score next to
    the ones the department scores itself)."""
    found: dict[str, Decimal] = {}
    for criterion in table.criteria():
        if criterion.method == "auto" and criterion.indicator is not None:
            found[criterion.id] = auto_points(
                criterion,
                figures.actuals.get(criterion.indicator),
                figures.targets.get(criterion.indicator),
            )
        elif criterion.method == "timeliness":
            found[criterion.id] = timeliness_points(criterion, figures.reports)
    return found


# --- the year's scoring -----------------------------------------------------------------------


async def open_scoring(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    deadline: date,
    *,
    by: int,
    now: datetime,
    today: date,
) -> ScoringSession:
    """Open `year`'s scoring with the cluster file's [scoring] as it is now and a deadline."""
    table = (await pacts.get_emulation_tables(session, cluster_id)).get("scoring")
    if table is None:
        raise ScoreRefused("no_scoring_table")
    if deadline < today:
        raise ScoreRefused("deadline_past", deadline=deadline.strftime("%d/%m/%Y"))
    pact = await pacts.get_pact(session, cluster_id, year)
    row = await scoring.claim_scoring_opening(
        session,
        cluster_id,
        year,
        table,
        deadline=deadline,
        by=by,
        now=now,
        pact_id=pact.id if pact else None,
    )
    if row is None:
        raise ScoreRefused("scoring_exists", year=str(year))
    return row


async def get_scoring(session: AsyncSession, cluster_id: str, year: int) -> ScoringSession:
    """The year's scoring session (refused when there is none)."""
    row = await scoring.get_scoring_session(session, cluster_id, year)
    if row is None:
        raise ScoreRefused("no_scoring", year=str(year))
    return row


def _refuse_state(row: ScoringSession, wanted: str) -> None:
    if row.state == wanted:
        return
    if row.state == scoring.LOCKED:
        raise ScoreRefused("locked")
    raise ScoreRefused("not_open" if wanted == scoring.OPEN else "not_checking")


async def score_criterion(
    session: AsyncSession,
    row: ScoringSession,
    department_id: int,
    criterion: str,
    points: Decimal,
    justification: str,
    *,
    by: int,
    now: datetime,
) -> SelfScoreEntry:
    """The department scores itself on one of its ``self`` criteria (within 0..max, with a
    justification); a new score replaces the previous one until the session moves on."""
    _refuse_state(row, scoring.OPEN)
    kept = check_self_score(scoring.scoring_snapshot(row), criterion, points, justification)
    entry = await scoring.record_self_score(
        session,
        row,
        department_id,
        "criterion",
        criterion,
        kept.points,
        kept.justification,
        by=by,
        now=now,
    )
    assert entry is not None  # the state was checked above, in this transaction
    return entry


async def score_extra(
    session: AsyncSession,
    row: ScoringSession,
    department_id: int,
    kind: str,
    item: str,
    points: Decimal,
    justification: str,
    *,
    by: int,
    now: datetime,
) -> SelfScoreEntry:
    """The department claims a bonus item (kind ``bonus``) or declares a deduction
    (``deduction``), within the item's maximum, with a justification."""
    _refuse_state(row, scoring.OPEN)
    table = scoring.scoring_snapshot(row)
    kept = check_extra(getattr(table, EXTRA_KINDS[kind]), item, points)
    text = check_justification(table, justification)
    entry = await scoring.record_self_score(
        session, row, department_id, kind, item, kept, text, by=by, now=now
    )
    assert entry is not None
    return entry


async def attach_evidence(
    session: AsyncSession,
    row: ScoringSession,
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
) -> ScoreEvidence:
    """Keep an evidence file for a criterion or item (its name, size, hash, Telegram file id,
    and its bytes when given), when the table accepts its kind and size."""
    _refuse_state(row, scoring.OPEN)
    table = scoring.scoring_snapshot(row)
    _known_item(table, kind, item)
    check_evidence(table, file_name, size)
    kept = await scoring.record_evidence(
        session,
        row,
        department_id,
        kind,
        item,
        file_name=file_name,
        size=size,
        sha256=sha256,
        telegram_file_id=telegram_file_id,
        by=by,
        now=now,
        content=content,
    )
    assert kept is not None
    return kept


def _known_item(table: ScoringTable, kind: str, item: str) -> None:
    if kind == "criterion":
        try:
            table.criterion(item)
        except KeyError:
            raise ScoreRefused("unknown_criterion", criterion=item) from None
        return
    extras = getattr(table, EXTRA_KINDS[kind])
    if extras is None or item not in {i.id for i in extras.items}:
        raise ScoreRefused("unknown_item", item=item)


async def start_checking(session: AsyncSession, row: ScoringSession, *, now: datetime) -> None:
    """Close self-scoring: from now on the checker adjusts."""
    _refuse_state(row, scoring.OPEN)
    await scoring.record_session_state(session, row, scoring.CHECKING, now=now)


async def checker_of(session: AsyncSession, row: ScoringSession, department_id: int) -> int | None:
    """The department that checks `department_id` this year (chấm chéo, by rotation), or None
    when the head checks."""
    if scoring.scoring_snapshot(row).checking != "peer":
        return None
    roll = {d.slug: d.id for d in await clusters.list_departments(session, row.cluster_id)}
    checked = next(slug for slug, i in roll.items() if i == department_id)
    rotation = peer_rotation(roll, row.year)
    return next(roll[checker] for checker, other in rotation.items() if other == checked)


async def adjust(
    session: AsyncSession,
    row: ScoringSession,
    department_id: int,
    kind: str,
    item: str,
    points: Decimal,
    reason: str,
    *,
    by: int,
    now: datetime,
    checker_department_id: int | None = None,
) -> ScoreAdjustment:
    """The checker sets a department's points on a criterion (or item), with a reason. With
    chấm chéo, `checker_department_id` must be the department assigned to check this one; the
    head (None) may always adjust."""
    _refuse_state(row, scoring.CHECKING)
    if checker_department_id == department_id:
        raise ScoreRefused("self_check")
    if checker_department_id is not None:
        assigned = await checker_of(session, row, department_id)
        if assigned != checker_department_id:
            raise ScoreRefused("not_your_check")
    table = scoring.scoring_snapshot(row)
    if kind == "criterion":
        kept = check_adjustment(table, item, points, reason)
        value, text = kept.points, kept.reason
    else:
        value, text = (
            check_extra(getattr(table, EXTRA_KINDS[kind]), item, points),
            check_answer(reason),
        )
    adjustment = await scoring.record_adjustment(
        session,
        row,
        department_id,
        kind,
        item,
        value,
        text,
        by=by,
        now=now,
        checker_department_id=checker_department_id,
    )
    assert adjustment is not None
    return adjustment


async def answer_adjustment(
    session: AsyncSession,
    row: ScoringSession,
    adjustment_id: int,
    department_id: int,
    note: str,
    *,
    by: int,
    now: datetime,
) -> ScoreAdjustment:
    """The department answers an adjustment of its score, once, with a note."""
    _refuse_state(row, scoring.CHECKING)
    adjustment = await scoring.get_adjustment(session, adjustment_id)
    if (
        adjustment is None
        or adjustment.session_id != row.id
        or adjustment.department_id != department_id
    ):
        raise ScoreRefused("not_yours")
    if not await scoring.record_answer(
        session, row, adjustment, check_answer(note), by=by, now=now
    ):
        raise ScoreRefused("decided" if adjustment.decision else "answered")
    return adjustment


async def decide_adjustment(
    session: AsyncSession,
    row: ScoringSession,
    adjustment_id: int,
    *,
    upheld: bool,
    by: int,
    now: datetime,
) -> ScoreAdjustment:
    """The head keeps an adjustment (`upheld`) or withdraws it (the self-score counts)."""
    _refuse_state(row, scoring.CHECKING)
    adjustment = await scoring.get_adjustment(session, adjustment_id)
    if adjustment is None or adjustment.session_id != row.id:
        raise ScoreRefused("not_yours")
    decision = "upheld" if upheld else "withdrawn"
    if not await scoring.record_decision(session, row, adjustment, decision, by=by, now=now):
        raise ScoreRefused("decided")
    return adjustment


def _counted(adjustments: Sequence[ScoreAdjustment]) -> list[ScoreAdjustment]:
    """An adjustment counts unless the head withdrew it."""
    return [a for a in adjustments if a.decision != "withdrawn"]


async def department_totals(
    session: AsyncSession, row: ScoringSession, *, today: date
) -> dict[int, Totals]:
    """department id -> its totals as they stand: computed points, self-scores, and the
    adjustments not withdrawn (the last of a criterion counts)."""
    table = scoring.scoring_snapshot(row)
    figures = await year_figures(session, row.cluster_id, row.year, today=today)
    roll = {d.id: d for d in await clusters.list_departments(session, row.cluster_id)}
    entries = await scoring.list_self_scores(session, row)
    adjustments = _counted(await scoring.list_adjustments(session, row))
    found: dict[int, Totals] = {}
    for department_id, department in roll.items():
        assert department_id is not None
        own = [e for e in entries if e.department_id == department_id]
        changes = [a for a in adjustments if a.department_id == department_id]
        criteria = final_points(
            table,
            computed_points(table, figures.get(department_id, YearFigures())),
            [
                SelfScore(e.item, scoring.from_cents(e.points_cents), e.justification)
                for e in own
                if e.kind == "criterion"
            ],
            [
                Adjustment(a.item, scoring.from_cents(a.points_cents), a.reason)
                for a in changes
                if a.kind == "criterion"
            ],
        )
        extras: dict[str, dict[str, Decimal]] = {"bonus": {}, "deduction": {}}
        for entry in own:
            if entry.kind in extras:
                extras[entry.kind][entry.item] = scoring.from_cents(entry.points_cents)
        for change in changes:  # in the order made: the last one counts
            if change.kind in extras:
                extras[change.kind][change.item] = scoring.from_cents(change.points_cents)
        found[department_id] = totals(
            table, department.slug, criteria, extras["bonus"], extras["deduction"]
        )
    return found


async def lock_scoring(
    session: AsyncSession, row: ScoringSession, *, by: int, now: datetime, today: date
) -> list[Ranked]:
    """Lock the final totals (refused while an answered adjustment waits for the head's
    decision) and return the ranking."""
    _refuse_state(row, scoring.CHECKING)
    waiting = [
        a
        for a in await scoring.list_adjustments(session, row)
        if a.answered_at is not None and a.decision is None
    ]
    if waiting:
        raise ScoreRefused("undecided", count=str(len(waiting)))
    found = await department_totals(session, row, today=today)
    await scoring.record_locked_totals(session, row, found, by=by, now=now)
    return rank(found.values(), scoring.scoring_snapshot(row).tie_break)


async def ranking(session: AsyncSession, cluster_id: str, year: int) -> list[Ranked]:
    """The year's ranking of the locked totals (refused before they are locked)."""
    row = await get_scoring(session, cluster_id, year)
    if row.state != scoring.LOCKED:
        raise ScoreRefused("not_locked")
    slugs = {
        d.id: d.slug
        for d in await clusters.list_departments(session, cluster_id, include_merged=True)
    }
    locked = [
        scoring.totals_of(total, slugs[total.department_id])
        for total in await scoring.list_locked_totals(session, row)
    ]
    return rank(locked, scoring.scoring_snapshot(row).tie_break)
