"""Summaries: which rounds a period's summary is made of, the summary built by the domain's
rules, and the /summary, /chart, /export, /template commands and a filled template's upload.

Storage loads the rounds' reports (storage/summaries.py); this module decides which rounds (a
year without a yearly round is compiled from its quarters or months, the year before made of the
same periods) and builds with :mod:`bot.domain.summary`. Charts and workbooks are answered as
compositions, made after the commit in the worker process (bot/services/compositions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.aggregation import YearBasis, previous_year_basis, year_sources
from bot.domain.drafts import DraftState
from bot.domain.mergers import Merger, fold
from bot.domain.periods import Period, PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.domain.summary import (
    DepartmentInfo,
    HistoryEntry,
    IndicatorInfo,
    IndicatorSummary,
    PeriodData,
    Summary,
    build_summary,
    compile_year,
    revision_history,
)
from bot.reports import summary_messages
from bot.reports.charts import chartable
from bot.reports.template_io import FilledTemplate, UploadRejected, check_identity
from bot.services import pact_targets, reporting
from bot.services.context import Context
from bot.services.screens import Composition, Outcome
from storage import clusters, submissions
from storage.clusters import get_cluster, list_departments, list_indicators
from storage.models import Round
from storage.rounds import find_latest_round, list_rounds
from storage.summaries import (
    department_info,
    indicator_info,
    load_period_data,
    load_revisions,
    load_rounds_data,
    mergers_of,
)
from storage.types import utcnow

__all__ = [
    "SummaryInputs",
    "Upload",
    "chart",
    "export",
    "history_for",
    "inputs_for",
    "previous_report",
    "summary",
    "summary_for",
    "template",
    "upload_indicators",
    "use_upload",
]


# --------------------------------------------------------------------------- what a summary is made of


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
    mergers: tuple[Merger, ...] = ()  # the cluster's mergers: predecessors shown under successors


def _kind(code: str) -> str | None:
    try:
        return parse_period(code).kind
    except PeriodError:
        return None


async def _compiled(
    session: AsyncSession,
    code: str,
    parts_rounds: Sequence[Round],
    expected: Sequence[str],
    indicators: Sequence[IndicatorInfo],
    mergers: Sequence[Merger] = (),
) -> PeriodData:
    data = await load_rounds_data(session, parts_rounds)
    # Each period's predecessors under their successor first: a year across the merger is then
    # compiled per successor from every one of its periods.
    parts = [fold(data[r.id], indicators, mergers) for r in parts_rounds if r.id is not None]
    return compile_year(code, indicators, parts, expected)


async def _year_data(
    session: AsyncSession,
    year: int,
    by_code: dict[str, Round],
    indicators: Sequence[IndicatorInfo],
    mergers: Sequence[Merger] = (),
) -> PeriodData | None:
    """The year's round, or the year compiled from its quarters/months; None if neither."""
    code = Period.of_year(year).code
    if code in by_code:
        return await load_period_data(session, by_code[code])
    sources = year_sources(year, by_code)
    if sources is None:
        return None
    used = [by_code[c] for c in sources.used]
    return await _compiled(session, code, used, sources.expected, indicators, mergers)


async def _basis_data(
    session: AsyncSession,
    basis: YearBasis,
    by_code: dict[str, Round],
    indicators: Sequence[IndicatorInfo],
    mergers: Sequence[Merger] = (),
) -> PeriodData:
    """The previous year as ``basis`` says: its yearly round, or compiled from the periods
    that match the current year's (those without a round listed as missing)."""
    if basis.periods == (basis.code,):
        return await load_period_data(session, by_code[basis.code])
    used = [by_code[c] for c in basis.periods]
    return await _compiled(session, basis.code, used, basis.expected, indicators, mergers)


async def previous_report(
    session: AsyncSession, current: Round, department_id: int
) -> tuple[str, dict[int, str | None]] | None:
    """(period, values) of the department's latest report in an earlier round of the same kind
    of period, for the template's reference column; None when it never reported one."""
    earlier = await reporting.earlier_rounds_like(session, current)
    for start in range(0, len(earlier), 4):
        batch = earlier[start : start + 4]
        data = await load_rounds_data(session, batch)
        for row in batch:
            assert row.id is not None
            report = data[row.id].reports.get(department_id)
            if report is not None:
                return row.period, dict(report.values)
    return None


async def inputs_for(
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
        row = await find_latest_round(session, cluster_id)
        if row is None:
            return None
        period = row.period
    target = parse_period(period)
    period = target.code

    indicator_rows = await list_indicators(session, cluster_id, include_inactive=True)
    all_indicators = [indicator_info(i) for i in indicator_rows]
    every_department = await list_departments(session, cluster_id, include_merged=True)
    departments = [department_info(d) for d in every_department if d.merged_into is None]
    mergers = tuple(mergers_of(every_department))

    current_round = by_code.get(period)
    if current_round is not None:
        current: PeriodData | None = await load_period_data(session, current_round)
    elif target.kind == "year":
        current = await _year_data(session, target.year, by_code, all_indicators, mergers)
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
            previous = await _basis_data(session, basis, by_code, all_indicators, mergers)
    else:
        earlier = [
            r
            for r in rounds
            if _kind(r.period) == target.kind and parse_period(r.period).sort_key < target.sort_key
        ]
        if earlier:
            previous = await load_period_data(session, max(earlier, key=lambda r: r.period_start))
        ago = by_code.get(target.same_period_last_year().code)
        if ago is not None:
            year_ago = await load_period_data(session, ago)

    # Indicators dropped from the cluster file still show where this period has their values.
    used = {i for report in current.reports.values() for i, v in report.values.items() if v}
    indicators = [
        info
        for row, info in zip(indicator_rows, all_indicators, strict=True)
        if row.active or info.id in used
    ]
    # Every period at the successors' level, for whoever reads these inputs (the summary, the
    # year's figures of the scoring): a predecessor's reports under its successor.
    return SummaryInputs(
        cluster_id=cluster.id,
        cluster_name=cluster.name,
        cluster_name_en=cluster.name_en,
        departments=departments,
        indicators=indicators,
        current=fold(current, all_indicators, mergers),
        previous=fold(previous, all_indicators, mergers) if previous is not None else None,
        year_ago=fold(year_ago, all_indicators, mergers) if year_ago is not None else None,
        round=current_round,
        previous_basis=basis,
        mergers=mergers,
    )


async def summary_for(
    session: AsyncSession,
    cluster_id: str,
    period: str | None = None,
    now: datetime | None = None,
) -> Summary | None:
    """The built summary (see :func:`inputs_for` for when it is None)."""
    inputs = await inputs_for(session, cluster_id, period)
    if inputs is None:
        return None
    year = parse_period(inputs.current.period)
    targets = (
        await pact_targets.year_targets(session, cluster_id, year.year)
        if year.kind == "year"
        else None
    )
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
        mergers=inputs.mergers,
        targets=targets,
        # Only the "generated at" line of the report: nothing is decided by it, and the posts
        # made after a commit (post_round_summary) have no clock of their own to pass yet.
        generated_at=now or utcnow(),
    )


async def history_for(
    session: AsyncSession, cluster_id: str, periods: Sequence[str]
) -> list[HistoryEntry]:
    """Who submitted and changed what, when, in the rounds of ``periods`` (a round's period,
    or the periods a compiled year used), for the workbook's history sheet. Departments merged
    since keep their history, listed after the members."""
    rounds = [r for r in await list_rounds(session, cluster_id) if r.period in set(periods)]
    rows = await list_departments(session, cluster_id, include_merged=True)
    rows.sort(key=lambda d: d.merged_into is not None)
    departments = [department_info(d) for d in rows]
    indicators = [
        indicator_info(i) for i in await list_indicators(session, cluster_id, include_inactive=True)
    ]
    return revision_history(departments, indicators, await load_revisions(session, rounds))


# --------------------------------------------------------------------------- the commands


def _period_arg(words: list[str], out: Outcome) -> tuple[str | None, bool]:
    """(period code or None, ok). A text that names no period is answered and not ok."""
    text = " ".join(words).strip()
    if not text:
        return None, True
    try:
        return parse_period(text).code, True
    except PeriodError:
        out.add("summary.bad_period", text=text)
        return None, False


async def _summary_named(
    session: AsyncSession, ctx: Context, words: list[str], out: Outcome
) -> Summary | None:
    """The summary the words name (default: the latest round), or None with the reason in `out`."""
    assert ctx.cluster is not None  # gated: a member of this chat's cluster
    period, ok = _period_arg(words, out)
    if not ok:
        return None
    found = await summary_for(session, ctx.cluster.id, period, now=ctx.now)
    if found is None:
        out.add("summary.no_summary", period=period)
    return found


def _made_later(what: str, summary: Summary, ctx: Context, **params: object) -> Composition:
    """A file or chart of this summary, made after the commit in the worker process."""
    return Composition(
        what,
        {
            "cluster": summary.cluster_id,
            "period": summary.period,
            "now": ctx.now.isoformat(),
            **params,
        },
    )


async def summary(session: AsyncSession, ctx: Context, words: list[str]) -> Outcome:
    """/summary [period]: the summary as text; too long for the chat, the workbook follows."""
    out = Outcome()
    found = await _summary_named(session, ctx, words, out)
    if found is None:
        return out
    text = summary_messages(found, ctx.lang)
    out.texts.extend(text.messages)
    if not text.complete:
        out.compositions.append(_made_later("export", found, ctx, fmt="xlsx"))
    return out


def _find_indicator(found: Summary, text: str) -> IndicatorSummary | None:
    lines = [line for line in found.indicators if chartable(line)]
    key = text.strip().lower()
    for line in lines:
        if line.indicator.slug.lower() == key:
            return line
    # The number shown in the summary: ASCII digits only ("²" passes isdigit() but not int()).
    if (
        key.isascii()
        and key.isdecimal()
        and len(key) <= 4
        and 1 <= int(key) <= len(found.indicators)
    ):
        line = found.indicators[int(key) - 1]  # the number shown in the summary
        return line if chartable(line) else None
    return None


async def chart(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """/chart <indicator> [period]: the indicator's chart, drawn after the commit."""
    out = Outcome()
    assert ctx.cluster is not None  # gated: a member of this chat's cluster
    indicators = [
        i
        for i in map(indicator_info, await clusters.list_indicators(session, ctx.cluster.id))
        if i.numeric
    ]
    if not args:
        return out.add("summary.chart_usage", indicators=indicators)
    found = await _summary_named(session, ctx, args[1:], out)
    if found is None:
        return out
    line = _find_indicator(found, args[0])
    if line is None:
        return out.add("summary.unknown_indicator", text=args[0], indicators=indicators)
    out.compositions.append(_made_later("chart", found, ctx, indicator=line.indicator.slug))
    return out


async def export(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """/export [period] [xlsx|csv]: the workbook or the CSV, made after the commit."""
    out = Outcome()
    args = list(args)
    fmt = "xlsx"
    if args and args[-1].lower().lstrip(".") in ("csv", "xlsx", "excel"):
        fmt = "csv" if args.pop().lower().lstrip(".") == "csv" else "xlsx"
    found = await _summary_named(session, ctx, args, out)
    if found is None:
        return out
    out.compositions.append(_made_later("export", found, ctx, fmt=fmt))
    return out


async def template(session: AsyncSession, ctx: Context, words: list[str], private: bool) -> Outcome:
    """/template [period], in the private chat: the officer's Excel template for a round."""
    out = Outcome()
    if not private:
        return out.add("summary.template_private")
    if (refused := await reporting.merged_refusal(session, ctx)) is not None:
        return refused
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return out.add("summary.template_officers_only")
    period, ok = _period_arg(words, out)
    if not ok:
        return out
    candidates = await reporting.reportable_rounds(session, ctx)
    if period is not None:
        candidates = [r for r in candidates if r.period == period]
    if not candidates:
        return out.add("summary.no_open_round")
    row = candidates[-1]
    assert row.id is not None
    assert ctx.department.id is not None
    params = {"round_id": row.id, "department_id": ctx.department.id}
    out.compositions.append(Composition("template", params))
    return out


# --------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class Upload:
    """An uploaded template, downloaded and read before the unit of work begins."""

    filled: FilledTemplate | None = None
    rejected: UploadRejected | None = None


async def upload_indicators(session: AsyncSession, ctx: Context) -> list[IndicatorInfo] | None:
    """What a template upload is read against; None when this user may not upload."""
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return None
    return [indicator_info(i) for i in await clusters.list_indicators(session, ctx.cluster.id)]


def _rejected(error: UploadRejected) -> Outcome:
    return Outcome().add("summary.upload_rejected", code=error.code, params=error.params)


async def use_upload(session: AsyncSession, ctx: Context, fetched: Upload | None) -> Outcome:
    """A filled template becomes the officer's draft; the reporting flow's own review card
    (or its confirmation of an ambiguous value) asks for confirmation. Nothing is stored."""
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return Outcome().add("summary.template_officers_only")
    assert ctx.actor is not None and ctx.actor.department_id is not None
    if fetched is None:  # allowed now, not a moment ago: ask for the file again
        return Outcome().add("summary.template_officers_only")
    if fetched.rejected is not None:
        return _rejected(fetched.rejected)
    filled = fetched.filled
    assert filled is not None

    indicator_rows = await clusters.list_indicators(session, ctx.cluster.id)
    try:
        reportable = await reporting.reportable_rounds(session, ctx)
        target = next((r for r in reportable if r.id == filled.identity.round_id), None)
        if target is None and not reportable and filled.identity.cluster_id == ctx.cluster.id:
            if filled.identity.department_id == ctx.actor.department_id:
                return Outcome().add("summary.no_open_round")
        names = {
            d.id: d.name
            for d in await clusters.list_departments(session, ctx.cluster.id, True)
            if d.id is not None
        }
        expected = target or (reportable[-1] if reportable else None)
        check_identity(
            filled.identity,
            cluster_id=ctx.cluster.id,
            department=department_info(ctx.department),
            round_id=expected.id if expected and expected.id is not None else -1,
            period=expected.period if expected else filled.identity.period,
            department_names=names,
            round_open=expected is not None,
        )
    except UploadRejected as error:
        return _rejected(error)
    assert target is not None and target.id is not None
    if filled.problems:
        return Outcome().add("summary.upload_problems", problems=filled.problems)

    # The upload becomes the officer's draft; the reporting flow takes it from here.
    latest = await submissions.get_latest_revision(session, target.id, ctx.actor.department_id)
    state = DraftState(base_revision=latest.submission.revision if latest else 0)
    for indicator in indicator_rows:
        if indicator.slug in filled.values:
            state.answer(indicator.slug, filled.values[indicator.slug])
        elif indicator.slug in filled.ambiguous:
            raw, candidates = filled.ambiguous[indicator.slug]
            state.await_confirmation(indicator.slug, raw, list(candidates))
    draft = await submissions.save_draft(
        session, ctx.user_id, target.id, ctx.actor.department_id, state.to_json()
    )
    outcome = Outcome()
    if filled.formula_cells:
        outcome.add("summary.upload_formulas", cells=filled.formula_cells)
    outcome.screens.extend(await reporting.next_screens(session, ctx, draft, state, indicator_rows))
    return outcome
