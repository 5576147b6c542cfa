"""/pact in the chat: the head opens the year's pact, each department signs it (one officer's
press), may propose targets of its own first, which the head accepts or returns; /pact status.

Thin over :mod:`bot.services.emulation` (the rules and the storage); what is here is who may
act (checked on every command and press, whatever the button's data says) and what each
person sees. Opening posts the pact's text and the live count ("Đã ký giao ước: 0/7") in the
group and queues the pact with its "Ký giao ước" button to every officer in the delivery log,
in the same transaction (each key once ever); the fan-out ``pact`` sends it after the commit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Button as DeliveryButton
from bot.delivery import markup_to_data
from bot.domain import callback_data as cb
from bot.domain.pact_file import PactTable
from bot.domain.roles import Action, may, may_open_pact, may_sign_pact
from bot.domain.scoring import ScoreRefused
from bot.services import emulation
from bot.services.context import Context
from bot.services.screens import Button, FanOut, Outcome, Screen
from messages.render import render
from storage import clusters, deliveries, pact_messages, pacts, people, schedules
from storage.models import Department, Indicator
from storage.models_emulation import Pact

FANOUT = FanOut("pact")  # send the officers' copies the transaction queued
LIVE = "pact"  # the group's live count (bot/publishing/live.py)


def _refused(exc: ScoreRefused) -> Screen:
    return Screen("pact.refused", {"code": exc.code, "params": exc.params})


def _year(text: str | None, ctx: Context) -> int | None:
    if text is None:
        return int(ctx.today.year)
    if text.isdigit() and len(text) == 4:
        return int(text)
    return None


async def command(
    session: AsyncSession, ctx: Context, args: list[str], default_lang: str
) -> Outcome:
    """`/pact [YEAR]` (open), `/pact status [YEAR]`, `/pact propose INDICATOR VALUE ...`."""
    out = Outcome()
    if not may(ctx.actor, Action.PACT):
        return out.add("common.not_allowed")
    verb = args[0].lower() if args else ""
    if verb in ("status", "trang-thai"):
        year = _year(args[1] if len(args) > 1 else None, ctx)
        return (
            out.add("pact.usage")
            if year is None or len(args) > 2
            else await status(session, ctx, year)
        )
    if verb in ("propose", "de-xuat"):
        return await propose(session, ctx, args[1:])
    if len(args) > 1 or (args and _year(args[0], ctx) is None):
        return out.add("pact.usage")
    year = _year(args[0] if args else None, ctx)
    assert year is not None
    return await open_year(session, ctx, year, default_lang)


# --- the pact's text --------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetLine:
    """One indicator's targets: the cluster-wide one, then the departments' own."""

    indicator: Indicator | None
    slug: str
    general: Decimal | None
    own: list[tuple[Department, Decimal]]


async def _target_lines(
    session: AsyncSession, cluster_id: str, table: PactTable
) -> list[TargetLine]:
    indicators = {i.slug: i for i in await clusters.list_indicators(session, cluster_id, True)}
    departments = {d.slug: d for d in await clusters.list_departments(session, cluster_id)}
    lines = []
    for slug in table.targeted():
        general = None
        own: list[tuple[Department, Decimal]] = []
        for target in table.targets:
            if target.indicator != slug:
                continue
            if target.department is None:
                general = target.value
            elif target.department in departments:
                own.append((departments[target.department], target.value))
        lines.append(TargetLine(indicators.get(slug), slug, general, own))
    return lines


async def pact_text(session: AsyncSession, pact: Pact, lang: str) -> str:
    table = pacts.pact_snapshot(pact)
    return render(
        lang,
        "pact.text",
        year=pact.year,
        title=table.title,
        commitments=table.commitments,
        lines=await _target_lines(session, pact.cluster_id, table),
    )


def sign_markup(lang: str, pact_id: int) -> list[list[dict[str, str]]] | None:
    data = cb.PactSign(pact_id).encode()
    return markup_to_data(((DeliveryButton(render(lang, "pact.btn_sign"), callback_data=data),),))


# --- opening ----------------------------------------------------------------------------------


async def open_year(session: AsyncSession, ctx: Context, year: int, default_lang: str) -> Outcome:
    """The head opens the year's pact; anyone else sees it, once it is open (with the button,
    for an officer: a copy that never arrived, or an officer who joined since)."""
    out = Outcome()
    assert ctx.cluster is not None
    if not may_open_pact(ctx.actor):
        existing = await pacts.get_pact(session, ctx.cluster.id, year)
        if existing is None or existing.id is None:
            return out.add("pact.not_head")
        buttons = []
        assert ctx.actor is not None
        department_id = ctx.actor.department_id
        if (
            may_sign_pact(ctx.actor)
            and existing.state == "open"
            and department_id is not None
            and await _on_roll(session, existing.cluster_id, department_id)
        ):
            buttons = [[Button("pact.btn_sign", cb.PactSign(existing.id).encode())]]
        text = await pact_text(session, existing, ctx.lang)
        return Outcome([Screen("common.rendered", {"text": Markup(text)}, buttons)])
    try:
        pact = await emulation.open_pact(session, ctx.cluster.id, year, by=ctx.user_id, now=ctx.now)
    except ScoreRefused as exc:
        return Outcome([_refused(exc)])
    assert pact.id is not None
    roll = await clusters.list_departments(session, ctx.cluster.id)
    officers = await deliveries.list_officers(session, [d.id for d in roll if d.id is not None])
    texts: dict[str, str] = {}
    for officer in officers:
        lang = officer.language or default_lang
        if lang not in texts:
            texts[lang] = await pact_text(session, pact, lang)
        await deliveries.enqueue(
            session,
            deliveries.Claim(
                key=pact_messages.sign_key(pact.id, officer.person_id),
                kind="pact",
                chat_id=officer.person_id,
                cluster_id=ctx.cluster.id,
                department_id=officer.department_id,
            ),
            texts[lang] + "\n\n" + render(lang, "pact.sign_footer"),
            sign_markup(lang, pact.id),
            now=ctx.now,
        )
    group_text = await pact_text(session, pact, default_lang)
    out.group_screens.append(Screen("common.rendered", {"text": Markup(group_text)}))
    out.live.append((LIVE, pact.id))
    out.fanouts.append(FANOUT)
    return out.add(
        "pact.opened",
        year=year,
        departments=len({o.department_id for o in officers}),
        officers=len(officers),
        linked=ctx.cluster.group_chat_id is not None,
    )


# --- signing ----------------------------------------------------------------------------------


async def press(session: AsyncSession, ctx: Context, data: str | None) -> Outcome:
    """A button of the pact: the data says which pact and department; who pressed and what
    the pact's state is are read again here."""
    try:
        pressed = cb.PACT.decode(data)
    except cb.CallbackDataError:
        return Outcome().add("common.stale_button")
    assert isinstance(pressed, cb.PactSign | cb.PactAccept | cb.PactReturn)
    pact = await pact_messages.get_pact_by_id(session, pressed.pact_id)
    if pact is None or ctx.actor is None or pact.cluster_id != ctx.actor.cluster_id:
        return Outcome().add("common.stale_button")
    if isinstance(pressed, cb.PactSign):
        return await _sign(session, ctx, pact)
    return await _decide(
        session, ctx, pact, pressed.department_id, isinstance(pressed, cb.PactAccept)
    )


async def _sign(
    session: AsyncSession,
    ctx: Context,
    pact: Pact,
    targets: dict[str, Decimal] | None = None,
) -> Outcome:
    if not may_sign_pact(ctx.actor) or ctx.department is None:
        return Outcome().add("common.not_allowed")
    assert ctx.actor is not None and ctx.actor.department_id is not None and pact.id is not None
    if not await _on_roll(session, pact.cluster_id, ctx.actor.department_id):
        return Outcome().add("pact.not_on_roll", department=ctx.department)
    try:
        await emulation.sign_pact(
            session,
            pact.cluster_id,
            pact.year,
            ctx.actor.department_id,
            by=ctx.user_id,
            now=ctx.now,
            targets=targets,
        )
    except ScoreRefused as exc:
        if exc.code == "already_signed":
            return Outcome().add("pact.already_signed", department=ctx.department, year=pact.year)
        return Outcome([_refused(exc)])
    out = Outcome(live=[(LIVE, pact.id)])
    if targets:
        await _ask_head(session, ctx, pact, targets)
        out.fanouts.append(FANOUT)
        return out.add("pact.proposed", year=pact.year)
    signed = Screen(
        "pact.btn_signed",
        buttons=[[Button("pact.btn_signed", cb.PactSign(pact.id).encode())]],
        edit=True,
        buttons_only=True,
    )
    out.screens.append(signed)
    return out.add("pact.signed", department=ctx.department, year=pact.year)


async def _on_roll(session: AsyncSession, cluster_id: str, department_id: int) -> bool:
    """A department merged into another signs no more (its successor does)."""
    return any(d.id == department_id for d in await clusters.list_departments(session, cluster_id))


async def propose(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """`/pact propose INDICATOR VALUE [INDICATOR VALUE ...] [YEAR]`: sign with targets of the
    department's own, which wait for the head."""
    if not may_sign_pact(ctx.actor):
        return Outcome().add("common.not_allowed")
    assert ctx.cluster is not None
    year = int(ctx.today.year)
    if len(args) % 2 == 1 and _year(args[-1], ctx) is not None:
        year = int(args[-1])
        args = args[:-1]
    if not args or len(args) % 2:
        return Outcome().add("pact.usage")
    targets: dict[str, Decimal] = {}
    for indicator, text in zip(args[::2], args[1::2], strict=True):
        value = target_value(text)
        if value is None:
            return Outcome([_refused(ScoreRefused("bad_target", value=text))])
        targets[indicator] = value
    pact = await pacts.get_pact(session, ctx.cluster.id, year)
    if pact is None:
        return Outcome([_refused(ScoreRefused("no_pact", year=str(year)))])
    return await _sign(session, ctx, pact, targets)


_VI_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", re.ASCII)
_COMMA_DECIMAL = re.compile(r"\d+,\d+", re.ASCII)
_PLAIN = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


def target_value(text: str) -> Decimal | None:
    """A target as written in the chat, read the Vietnamese way first: "1.203" is 1203,
    "12,5" and "12.5" are 12.5, "12,5%" a percent; None when it is no number."""
    body = text.strip().removesuffix("%")
    if _VI_GROUPED.fullmatch(body) or _COMMA_DECIMAL.fullmatch(body):
        body = body.replace(".", "").replace(",", ".")
    elif not _PLAIN.fullmatch(body):
        return None
    try:
        return Decimal(body)
    except InvalidOperation:
        return None


async def _ask_head(
    session: AsyncSession, ctx: Context, pact: Pact, targets: dict[str, Decimal]
) -> None:
    """The head's department's officers get the proposal with "accept" and "return"."""
    assert pact.id is not None and ctx.actor is not None and ctx.actor.department_id is not None
    holders = await clusters.get_current_offices(session, pact.cluster_id, ctx.today.year)
    head = holders.get("head")
    if head is None:
        return
    department_id = ctx.actor.department_id
    indicators = {i.slug: i for i in await clusters.list_indicators(session, pact.cluster_id, True)}
    for officer in await deliveries.list_officers(session, [head]):
        lang = officer.language or ctx.lang
        text = render(
            lang,
            "pact.proposal",
            year=pact.year,
            department=ctx.department,
            targets=[(indicators.get(slug), slug, value) for slug, value in targets.items()],
        )
        buttons = (
            (
                DeliveryButton(
                    render(lang, "pact.btn_accept"),
                    callback_data=cb.PactAccept(pact.id, department_id).encode(),
                ),
                DeliveryButton(
                    render(lang, "pact.btn_return"),
                    callback_data=cb.PactReturn(pact.id, department_id).encode(),
                ),
            ),
        )
        await deliveries.enqueue(
            session,
            deliveries.Claim(
                key=f"pact{pact.id}:ask:{department_id}:{_stamp(ctx.now)}:{officer.person_id}",
                kind="pact",
                chat_id=officer.person_id,
                cluster_id=pact.cluster_id,
                department_id=head,
            ),
            text,
            markup_to_data(buttons),
            now=ctx.now,
        )


def _stamp(now: datetime) -> str:
    # A department may propose again after a return: each proposal and decision is its own
    # message. Queued in the transaction that records it, so a fresh key is still sent once.
    return uuid.uuid4().hex[:12]


async def _decide(
    session: AsyncSession, ctx: Context, pact: Pact, department_id: int, accepted: bool
) -> Outcome:
    if not may_open_pact(ctx.actor):
        return Outcome().add("pact.not_head")
    assert pact.id is not None
    department = await people.get_department(session, department_id)
    if department is None or department.cluster_id != pact.cluster_id:
        return Outcome().add("common.stale_button")
    try:
        await emulation.decide_pact_proposal(
            session,
            pact.cluster_id,
            pact.year,
            department_id,
            accepted=accepted,
            by=ctx.user_id,
            now=ctx.now,
        )
    except ScoreRefused as exc:
        return Outcome([_refused(exc)])
    message = "pact.accepted" if accepted else "pact.returned"
    params: dict[str, Any] = {"department": department, "year": pact.year}
    for officer in await deliveries.list_officers(session, [department_id]):
        await deliveries.enqueue(
            session,
            deliveries.Claim(
                key=f"pact{pact.id}:dec:{department_id}:{_stamp(ctx.now)}:{officer.person_id}",
                kind="pact",
                chat_id=officer.person_id,
                cluster_id=pact.cluster_id,
                department_id=department_id,
            ),
            render(officer.language or ctx.lang, message, **params),
            sign_markup(officer.language or ctx.lang, pact.id) if not accepted else None,
            now=ctx.now,
        )
    return Outcome([Screen(message, params, edit=True)], live=[(LIVE, pact.id)], fanouts=[FANOUT])


# --- what the group and /pact status show -----------------------------------------------------


async def progress(session: AsyncSession, pact_id: int) -> tuple[Pact, Screen] | None:
    """The group's live message: "Đã ký giao ước: 5/7"."""
    pact = await pact_messages.get_pact_by_id(session, pact_id)
    if pact is None:
        return None
    found = await emulation.pact_progress(session, pact.cluster_id, pact.year)
    screen = Screen(
        "pact.progress",
        {
            "year": pact.year,
            "signed": len(found.signed),
            "total": found.roll,
            "missing": [*found.waiting, *found.missing],
        },
    )
    return pact, screen


async def status(session: AsyncSession, ctx: Context, year: int) -> Outcome:
    assert ctx.cluster is not None
    try:
        found = await emulation.pact_progress(session, ctx.cluster.id, year)
    except ScoreRefused as exc:
        return Outcome([_refused(exc)])
    return Outcome().add(
        "pact.status",
        year=year,
        signed=found.signed,
        waiting=found.waiting,
        missing=found.missing,
        total=found.roll,
        sign_by=await sign_by(session, ctx.cluster.id, year, ctx.tz),
    )


async def sign_by(session: AsyncSession, cluster_id: str, year: int, tz: ZoneInfo) -> date | None:
    """The day the departments sign the open pact by (its reminders count from it); None once
    it is closed, or for a year without one."""
    pact = await pacts.get_pact(session, cluster_id, year)
    if pact is None or pact.state != "open":
        return None
    spec = await schedules.load_schedule(session, cluster_id)
    opened = pact.opened_at.astimezone(spec.tz(tz)).date()
    return pacts.pact_snapshot(pact).sign_deadline(opened, spec.calendar())
