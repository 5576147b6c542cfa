"""The report conversation: ask each indicator, confirm what is ambiguous, review, store.

State lives in the `draft` table (keyed by the officer), so a restart loses nothing. Every button
carries the draft's version: a press on an old card is refused instead of acting on stale data.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import callback_data as cb
from bot.domain.drafts import DraftState, Step, next_step, parse_paste
from bot.domain.figures import Ambiguous, IndicatorRule, Rejected, parse_answer
from bot.domain.periods import PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.services.context import Context
from bot.services.screens import Button, Outcome, Screen
from storage import clusters, rounds, submissions
from storage.models import Draft, Indicator, Round


def rule_of(indicator: Indicator) -> IndicatorRule:
    return IndicatorRule(
        type=indicator.type,  # type: ignore[arg-type]  # the column is a str holding one of IndicatorRule's Literal types
        required=indicator.required,
        min=Decimal(indicator.min_value) if indicator.min_value is not None else None,
        max=Decimal(indicator.max_value) if indicator.max_value is not None else None,
        choices=tuple(c for c in indicator.choices.split("\n") if c),
    )


def is_late(round_: Round, at: datetime, ctx: Context, reopened: bool) -> bool:
    return reopened or round_.state != "open" or at.astimezone(ctx.tz).date() > round_.deadline


def _kind(code: str) -> str | None:
    try:
        return parse_period(code).kind
    except PeriodError:
        return None


async def earlier_rounds_like(
    session: AsyncSession, current: Round, listed: list[Round] | None = None
) -> list[Round]:
    """The cluster's rounds before ``current`` of the same kind of period, newest first
    (from ``listed``, the cluster's rounds as `rounds.list_rounds` gives them, when the caller
    has them already)."""
    kind = _kind(current.period)
    if listed is None:
        listed = await rounds.list_rounds(session, current.cluster_id)  # newest first
    return [
        r
        for r in listed
        if r.period_start < current.period_start and _kind(r.period) == kind and r.id is not None
    ]


async def previous_values(
    session: AsyncSession, current: Round, department_id: int, listed: list[Round] | None = None
) -> dict[int, str | None]:
    """The department's values in the latest earlier round of the same kind of period."""
    earlier = [r.id for r in await earlier_rounds_like(session, current, listed) if r.id]
    revision = await submissions.find_latest_revision_in(session, earlier, department_id)
    return revision.values if revision is not None else {}


async def reportable_rounds(session: AsyncSession, ctx: Context) -> list[Round]:
    """Open rounds, plus closed ones the head reopened for this officer's department (oldest first)."""
    assert ctx.cluster is not None and ctx.actor is not None
    result = await rounds.list_open_rounds(session, ctx.cluster.id)
    for row in await rounds.list_rounds(session, ctx.cluster.id):
        if row.state != "open" and ctx.actor.department_id is not None and row.id is not None:
            if await rounds.find_reopening(session, row.id, ctx.actor.department_id):
                result.append(row)
    return sorted(result, key=lambda r: (r.period_start, r.id or 0))


async def merged_refusal(session: AsyncSession, ctx: Context) -> Outcome | None:
    """For the officer of a merged department: it reports no more, its successor does (named);
    the department's history stays readable. None for anyone else."""
    department = ctx.department
    if ctx.actor is None or not ctx.actor.merged or department is None or ctx.cluster is None:
        return None
    successor = await clusters.find_department_by_slug(
        session, ctx.cluster.id, department.merged_into or ""
    )
    return Outcome().add("reporting.merged", department=department, successor=successor)


async def start(session: AsyncSession, ctx: Context, round_id: int | None = None) -> Outcome:
    out = Outcome()
    if (refused := await merged_refusal(session, ctx)) is not None:
        return refused
    if not may(ctx.actor, Action.REPORT):
        return out.add("common.not_allowed")
    assert ctx.actor is not None and ctx.actor.department_id is not None
    candidates = await reportable_rounds(session, ctx)
    if round_id is not None:
        candidates = [r for r in candidates if r.id == round_id]
        if not candidates:
            return out.add("reporting.round_gone")
    if not candidates:
        return out.add("reporting.no_open_round")
    if len(candidates) > 1:
        buttons = [
            [
                Button(
                    "reporting.btn_round", cb.ReportRound(r.id or 0).encode(), {"period": r.period}
                )
            ]
            for r in candidates
        ]
        out.screens.append(Screen("reporting.choose_round", {}, buttons))
        return out
    round_ = candidates[0]
    assert round_.id is not None
    existing = await submissions.get_draft(session, ctx.user_id)
    if (
        existing is not None
        and existing.round_id == round_.id
        and existing.department_id == ctx.actor.department_id
    ):
        # /report while a report is in progress picks it up where it was.
        indicators = await clusters.list_indicators(session, round_.cluster_id)
        state = DraftState.from_json(existing.state)
        out.add("reporting.resumed", period=round_.period)
        out.screens.extend(await next_screens(session, ctx, existing, state, indicators))
        return out
    state = DraftState()
    latest = await submissions.get_latest_revision(session, round_.id, ctx.actor.department_id)
    indicators = await clusters.list_indicators(session, round_.cluster_id)
    if latest is not None:
        state.base_revision = latest.submission.revision
        by_id = {i.id: i.slug for i in indicators}
        for indicator_id, value in latest.values.items():
            if indicator_id in by_id:
                state.answers[by_id[indicator_id]] = value
    draft = await submissions.save_draft(
        session, ctx.user_id, round_.id, ctx.actor.department_id, state.to_json()
    )
    if latest is not None:
        out.add(
            "reporting.already_submitted",
            revision=latest.submission.revision,
            at=latest.submission.submitted_at,
        )
    else:
        out.add(
            "reporting.intro",
            period=round_.period,
            deadline=round_.deadline,
            department=ctx.department,
            count=len(indicators),
        )
    out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
    return out


async def _load(
    session: AsyncSession, ctx: Context
) -> tuple[Draft, DraftState, list[Indicator]] | None:
    if not may(ctx.actor, Action.REPORT):  # e.g. a draft begun before the department merged
        return None
    found = await submissions.get_draft_and_cluster(session, ctx.user_id)
    if found is None or ctx.actor is None or found[0].department_id != ctx.actor.department_id:
        return None
    draft, cluster_id = found
    indicators = await clusters.list_indicators(session, cluster_id)
    return draft, DraftState.from_json(draft.state), indicators


async def _save(session: AsyncSession, draft: Draft, state: DraftState) -> Draft:
    return await submissions.save_draft(
        session, draft.person_id, draft.round_id, draft.department_id, state.to_json()
    )


async def next_screens(
    session: AsyncSession,
    ctx: Context,
    draft: Draft,
    state: DraftState,
    indicators: list[Indicator],
) -> list[Screen]:
    """What the officer sees next for this draft: a confirmation, a question or the review card.
    Also used by the Excel upload, which fills a draft and then shows the same card."""
    order = [i.slug for i in indicators]
    by_slug = {i.slug: i for i in indicators}
    step: Step = next_step(state, order)
    version = draft.version
    if step.kind == "confirm":
        assert step.slug is not None
        indicator = by_slug[step.slug]
        candidates = state.pending[step.slug]
        buttons: list[list[Button]] = [
            [
                Button(
                    "reporting.btn_candidate",
                    cb.ReportCandidate(version, n).encode(),
                    {"type": indicator.type, "value": value},
                )
            ]
            for n, value in enumerate(candidates)
        ]
        buttons.append([Button("reporting.btn_retype", cb.ReportRetype(version).encode())])
        return [
            Screen(
                "reporting.confirm_ambiguous",
                {
                    "indicator": indicator,
                    "raw": state.raw.get(step.slug, ""),
                    "candidates": candidates,
                },
                buttons,
            )
        ]
    if step.kind == "ask":
        assert step.slug is not None
        indicator = by_slug[step.slug]
        # The cluster's rounds, this one among them: one statement for both.
        listed = await rounds.list_rounds(session, indicator.cluster_id)
        round_ = next(r for r in listed if r.id == draft.round_id)
        previous = await previous_values(session, round_, draft.department_id, listed)
        rule = rule_of(indicator)
        answer_buttons: list[list[Button]] = []
        if indicator.type == "boolean":
            answer_buttons = [
                [
                    Button("reporting.btn_yes", cb.ReportAnswer(version, 1).encode()),
                    Button("reporting.btn_no", cb.ReportAnswer(version, 0).encode()),
                ]
            ]
        elif indicator.type == "choice":
            answer_buttons = [
                [Button("reporting.btn_choice", cb.ReportAnswer(version, n).encode(), {"label": c})]
                for n, c in enumerate(rule.choices)
            ]
        return [
            Screen(
                "reporting.question",
                {
                    "indicator": indicator,
                    "number": order.index(step.slug) + 1,
                    "total": len(order),
                    "low": rule.effective_min,
                    "high": rule.effective_max,
                    "previous": previous.get(indicator.id) if indicator.id in previous else None,
                    "has_previous": indicator.id in previous,
                    "choices": rule.choices,
                },
                answer_buttons,
            )
        ]
    return [_review_screen(draft, state, indicators)]


def _review_screen(draft: Draft, state: DraftState, indicators: list[Indicator]) -> Screen:
    version = draft.version
    rows = [(i, state.answers.get(i.slug)) for i in indicators]
    buttons: list[list[Button]] = [
        [Button("reporting.btn_confirm", cb.ReportConfirm(version).encode())],
        [
            Button("reporting.btn_edit", cb.ReportEdit(version).encode()),
            Button("reporting.btn_cancel", cb.ReportCancel(version).encode()),
        ],
    ]
    return Screen("reporting.review", {"rows": rows}, buttons)


async def handle_text(session: AsyncSession, ctx: Context, text: str) -> Outcome | None:
    """An answer, or a paste of all figures. None when there is no report in progress."""
    loaded = await _load(session, ctx)
    if loaded is None:
        if ctx.actor is not None and may(ctx.actor, Action.REPORT):
            indicators = await _paste_indicators(session, ctx)
            if indicators and parse_paste(text, [i.slug for i in indicators]) is not None:
                started = await start(session, ctx)
                loaded = await _load(session, ctx)
                if loaded is None:
                    return started
                fresh = True
            else:
                return None
        else:
            return None
    else:
        fresh = False
    draft, state, indicators = loaded
    order = [i.slug for i in indicators]
    by_slug = {i.slug: i for i in indicators}
    step = next_step(state, order)
    asking_text = step.kind == "ask" and step.slug and by_slug[step.slug].type == "text"
    entries = None if asking_text and "\n" not in text.strip() else parse_paste(text, order)
    if entries is not None:
        outcome = await _apply_paste(session, ctx, draft, state, indicators, entries)
        if fresh and outcome.progress_round_id is None and not _paste_taken(outcome):
            # A rejected paste with no report in progress leaves no half-started draft behind.
            await submissions.delete_draft(session, ctx.user_id)
        return outcome
    out = Outcome()
    if step.kind == "review":
        out.add("reporting.use_buttons")
        out.screens.append(_review_screen(draft, state, indicators))
        return out
    if step.kind == "confirm":
        out.add("reporting.use_candidate_buttons")
        out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
        return out
    assert step.slug is not None
    indicator = by_slug[step.slug]
    result = parse_answer(rule_of(indicator), text)
    if isinstance(result, Rejected):
        out.add(f"figures.{result.reason}", indicator=indicator, raw=text, **result.params)
        out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
        return out
    if isinstance(result, Ambiguous):
        state.await_confirmation(step.slug, text.strip(), list(result.candidates))
    else:
        state.answer(step.slug, result.value)
    draft = await _save(session, draft, state)
    out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
    return out


def _paste_taken(outcome: Outcome) -> bool:
    return any(screen.message == "reporting.paste_received" for screen in outcome.screens)


async def _paste_indicators(session: AsyncSession, ctx: Context) -> list[Indicator]:
    assert ctx.cluster is not None
    return await clusters.list_indicators(session, ctx.cluster.id)


async def _apply_paste(
    session: AsyncSession,
    ctx: Context,
    draft: Draft,
    state: DraftState,
    indicators: list[Indicator],
    entries: list[Any],
) -> Outcome:
    """All lines are checked first; one bad line and nothing of the paste is kept."""
    by_slug = {i.slug: i for i in indicators}
    errors: list[dict[str, Any]] = []
    accepted: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, list[str]]] = {}
    seen: set[str] = set()
    for entry in entries:
        if entry.slug is None:
            errors.append({"line": entry.line_number, "reason": "unknown_key", "key": entry.key})
            continue
        if entry.slug in seen:
            errors.append({"line": entry.line_number, "reason": "duplicate_key", "key": entry.key})
            continue
        seen.add(entry.slug)
        indicator = by_slug[entry.slug]
        result = parse_answer(rule_of(indicator), entry.value)
        if isinstance(result, Rejected):
            errors.append(
                {
                    "line": entry.line_number,
                    "reason": result.reason,
                    "indicator": indicator,
                    "raw": entry.value,
                    "params": result.params,
                }
            )
        elif isinstance(result, Ambiguous):
            ambiguous[entry.slug] = (entry.value, list(result.candidates))
        else:
            accepted[entry.slug] = result.value
    out = Outcome()
    if errors:
        out.add("reporting.paste_errors", errors=errors)
        return out
    for slug, value in accepted.items():
        state.answer(slug, value)
    for slug, (raw, candidates) in ambiguous.items():
        state.await_confirmation(slug, raw, candidates)
    draft = await _save(session, draft, state)
    out.add("reporting.paste_received", count=len(entries))
    out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
    return out


async def skip(session: AsyncSession, ctx: Context) -> Outcome:
    out = Outcome()
    loaded = await _load(session, ctx)
    if loaded is None:
        return out.add("reporting.nothing_to_skip")
    draft, state, indicators = loaded
    step = next_step(state, [i.slug for i in indicators])
    if step.kind != "ask" or step.slug is None:
        return out.add("reporting.nothing_to_skip")
    indicator = next(i for i in indicators if i.slug == step.slug)
    if indicator.required:
        out.add("reporting.cannot_skip", indicator=indicator)
    else:
        state.answer(step.slug, None)
        draft = await _save(session, draft, state)
    out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
    return out


async def cancel(session: AsyncSession, ctx: Context) -> Outcome:
    had = await submissions.get_draft(session, ctx.user_id)
    await submissions.delete_draft(session, ctx.user_id)
    return Outcome().add("reporting.cancelled" if had else "reporting.nothing_to_cancel")


async def press(session: AsyncSession, ctx: Context, data: str | None) -> Outcome:
    """A button of the report flow. The data is only a hint: everything is checked again here."""
    out = Outcome()
    if (refused := await merged_refusal(session, ctx)) is not None:
        return refused
    if not may(ctx.actor, Action.REPORT):
        return out.add("common.not_allowed")
    try:
        pressed = cb.REPORT.decode(data)
    except cb.CallbackDataError:
        return out.add("reporting.stale")  # not data we ever sent: nothing happens
    if isinstance(pressed, cb.ReportRound):
        return await start(session, ctx, pressed.round_id)
    loaded = await _load(session, ctx)
    if loaded is None:
        return out.add("reporting.stale")
    draft, state, indicators = loaded
    if getattr(pressed, "version", None) != draft.version:
        return out.add("reporting.stale")
    order = [i.slug for i in indicators]
    step = next_step(state, order)
    by_slug = {i.slug: i for i in indicators}

    if isinstance(pressed, cb.ReportAnswer) and step.kind == "ask":
        indicator = by_slug[step.slug or ""]
        rule = rule_of(indicator)
        if indicator.type == "boolean" and pressed.index in (0, 1):
            state.answer(indicator.slug, "true" if pressed.index == 1 else "false")
        elif indicator.type == "choice" and pressed.index < len(rule.choices):
            state.answer(indicator.slug, rule.choices[pressed.index])
        else:
            return out.add("reporting.stale")
    elif isinstance(pressed, cb.ReportCandidate) and step.kind == "confirm":
        candidates = state.pending[step.slug or ""]
        if pressed.index >= len(candidates):
            return out.add("reporting.stale")
        state.answer(step.slug or "", candidates[pressed.index])
    elif isinstance(pressed, cb.ReportRetype) and step.kind == "confirm":
        state.reopen(step.slug or "")
    elif isinstance(pressed, cb.ReportEdit) and step.kind == "review":
        buttons = [
            [
                Button(
                    "reporting.btn_item",
                    cb.ReportEditItem(draft.version, n).encode(),
                    {"number": n + 1, "indicator": i},
                )
            ]
            for n, i in enumerate(indicators)
        ]
        out.screens.append(Screen("reporting.choose_item", {}, buttons))
        return out
    elif isinstance(pressed, cb.ReportEditItem) and step.kind == "review":
        if pressed.index >= len(order):
            return out.add("reporting.stale")
        state.reopen(order[pressed.index])
    elif isinstance(pressed, cb.ReportCancel):
        await submissions.delete_draft(session, ctx.user_id)
        return out.add("reporting.cancelled")
    elif isinstance(pressed, cb.ReportConfirm) and step.kind == "review":
        return await _submit(session, ctx, draft, state, indicators)
    else:
        return out.add("reporting.stale")
    draft = await _save(session, draft, state)
    out.screens.extend(await next_screens(session, ctx, draft, state, indicators))
    return out


async def _submit(
    session: AsyncSession,
    ctx: Context,
    draft: Draft,
    state: DraftState,
    indicators: list[Indicator],
) -> Outcome:
    out = Outcome()
    # Locked: a close racing this confirmation is seen, or waits until this one is stored.
    round_ = await rounds.lock_round(session, draft.round_id)
    assert round_ is not None and round_.id is not None
    reopened = None
    if round_.state != "open":
        reopened = await rounds.find_reopening(session, round_.id, draft.department_id)
        if reopened is None:
            await submissions.delete_draft(session, ctx.user_id)
            return out.add("reporting.round_closed", period=round_.period)
    values: dict[int, str | None] = {}
    for indicator in indicators:
        assert indicator.id is not None
        values[indicator.id] = state.answers.get(indicator.slug)
    latest = await submissions.get_latest_revision(session, round_.id, draft.department_id)
    current = latest.submission.revision if latest else 0
    if current != state.base_revision:
        await submissions.delete_draft(session, ctx.user_id)
        return out.add("reporting.conflict")
    if latest is not None and latest.values == values:
        await submissions.delete_draft(session, ctx.user_id)
        return out.add("reporting.unchanged")
    try:
        submission = await submissions.save_revision(
            session,
            round_.id,
            draft.department_id,
            values,
            by=ctx.user_id,
            late=is_late(round_, ctx.now, ctx, reopened is not None),
            expected_revision=current,
            at=ctx.now,
        )
    except submissions.RevisionConflict:
        await submissions.delete_draft(session, ctx.user_id)
        return out.add("reporting.conflict")
    if reopened is not None:
        reopened.used = True
    await submissions.delete_draft(session, ctx.user_id)
    out.add(
        "reporting.saved",
        period=round_.period,
        revision=submission.revision,
        at=submission.submitted_at,
        late=submission.late,
    )
    out.progress_round_id = round_.id
    return out
