"""Elections: setting one up, following and closing it, deciding, voting, the minutes.

Every press is checked again against what the database holds and the presser's role: the
button data only names a round and a choice. The election rules (bot.domain.elections) are
applied here: storage locks the round and loads what a decision needs, this module decides,
and storage records the result, all in the caller's transaction (see "The rules applied to
the stored election" below). State changes (opened, a result,
decided, the handover) queue their group post in the delivery log in the same transaction as
the change, so they go out exactly once even across a restart; an Outcome's ``FanOut
("election")`` sends them right after the commit, and the election job's tick sends whatever a
stopped process left. The live turnout is an effect (``Outcome.live``), rendered when sent.

Receipts never pass through a table
-----------------------------------
A receipt names the ballot's choice, its receipt code (published with the result, and stored
on the ballot row) and, in secret mode, the ballot key in its "replace" button; it goes to one
person's private chat. An effect row (or a delivery-log row) holding it would name that chat
next to the code, the key and the choice: whoever reads the database or its WAL before the row
is sent and erased (and the WAL until the next checkpoint) could link the department to its
ballot, which `storage.elections` ("Secrecy at rest") works hard to prevent. So receipts, and
the replacement ballot whose buttons carry the key, are ``Direct`` messages: rendered and sent
from memory after the commit, retried there (bot/publishing/after_commit.py), never logged
with their text. The price: a process that stops between the commit and the send loses the
receipt (the vote stands; /vote then says the department has voted). Open-mode receipts go the
same way, for one rule with no exceptions. Refusals, ballots (no choice made yet) and the
turnout name no choice and go as ordinary effects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import elections as rules
from bot.domain.elections import ABSTAIN, Mode, may_manage_elections, may_vote
from bot.domain.periods import MAX_YEAR, MIN_YEAR
from bot.services.context import Context
from bot.services.screens import Attachment, Button, Direct, FanOut, Outcome, Screen
from messages.render import render
from storage import clusters, people
from storage import elections as store
from storage.deliveries import Claim, enqueue
from storage.models import Department
from storage.models_elections import Election, ElectionOffice, ElectionRound

FANOUT = FanOut("election")  # send what the transaction queued in the delivery log


def rendered(text: str, buttons: list[list[Button]] | None = None, edit: bool = False) -> Screen:
    """A screen whose text was put together from several messages (already rendered)."""
    return Screen("common.rendered", {"text": Markup(text)}, buttons or [], edit=edit)


def refused(reason: str, edit: bool = False) -> Screen:
    return Screen("elections.refused", {"reason": reason}, edit=edit)


async def _departments(session: AsyncSession, cluster_id: str) -> dict[int, Department]:
    return await store.get_departments_by_id(session, cluster_id)


async def queue_group_post(session: AsyncSession, election: Election, key: str, text: str) -> bool:
    """The post in the cluster's group, in the delivery log with the change it reports."""
    cluster = await clusters.get_cluster(session, election.cluster_id)
    if cluster is None or cluster.group_chat_id is None:
        return False
    return await enqueue(
        session,
        Claim(key=key, kind="election", chat_id=cluster.group_chat_id, cluster_id=cluster.id),
        text,
        None,
    )


# --------------------------------------------------------------------------------------------
# The rules applied to the stored election. Storage locks, loads and records; the decisions
# (who may stand, whether a ballot counts, the count) are taken here, in the caller's
# transaction, between the lock and the record.

ElectionError = store.ElectionError


@dataclass(frozen=True)
class VoteResult:
    status: str  # "ok", or why the ballot was refused (bot.domain.elections.refuse_ballot)
    receipt: str | None = None  # secret mode: the receipt code, to show the department
    key: str | None = None  # secret mode: the ballot key, only for the "replace" button
    replaced: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class RoundClosed:
    round: ElectionRound
    office: ElectionOffice
    tally: rules.Tally
    next_round: ElectionRound | None  # a re-ballot or the next office's first round
    election_closed: bool
    receipts: tuple[str, ...]  # secret mode: the receipt codes counted, sorted


async def create_election(
    session: AsyncSession,
    cluster_id: str,
    plan: rules.ElectionPlan,
    created_by: int,
    now: datetime,
    draft: bool = False,
) -> Election:
    """Check the plan and store it ("scheduled", or "draft" while the head sets it up).
    Raises ElectionError with the plan's problems, or storage's refusal."""
    problems = plan.problems()
    if problems:
        raise ElectionError(*problems)
    return await store.create_election(session, cluster_id, plan, created_by, now, draft=draft)


async def start_election(session: AsyncSession, election_id: int, now: datetime) -> Election:
    """Fix the roll (member departments now), its fingerprint, and open the first round.
    Raises ElectionError when it cannot be opened (callers roll the claim back)."""
    opening = await store.claim_opening(session, election_id, now)
    election = opening.election
    staffing = rules.staffing_problems(
        [o.role for o in opening.offices],
        opening.candidates,
        store.rules_of(election),
        election.outgoing_head_id,
    )
    if staffing:
        raise ElectionError("too_few_candidates", *staffing)
    roll = [d.id for d in opening.departments if d.id is not None]
    fingerprint = rules.roll_fingerprint(d.slug for d in opening.departments)
    await store.record_roll(session, election, roll, fingerprint)
    await _start_next_office(session, election, now, first_closes_at=election.closes_at)
    return election


async def _start_next_office(
    session: AsyncSession,
    election: Election,
    now: datetime,
    first_closes_at: datetime | None = None,
) -> ElectionRound | None:
    """Open round 1 of the next office waiting, or close the election when none is left."""
    assert election.id is not None
    offices = await store.list_offices(session, election.id)
    roles = [o.role for o in offices]
    elected = {o.position: o.department_id for o in offices if o.department_id is not None}
    roll = await store.list_roll(session, election.id)
    candidates = await store.list_election_candidates(session, election, roll)
    election_rules = store.rules_of(election)
    for office in offices:
        if office.state != "waiting":
            continue
        eligible = rules.eligible_candidates(
            office.position, roles, candidates, election_rules, election.outgoing_head_id, elected
        )
        if not eligible:
            store.set_office_state(session, office, "vacant")
            continue
        store.set_office_state(session, office, "voting")
        closes_at = first_closes_at or now + timedelta(minutes=election.voting_minutes)
        return await store.create_round(
            session, election, office.position, 1, eligible, now, closes_at
        )
    await store.finish_election(session, election, offices, now)
    return None


async def cast_vote(
    session: AsyncSession,
    round_id: int,
    department_id: int | None,
    person_id: int,
    choice: int,
    now: datetime,
) -> VoteResult:
    """The department's ballot for this round. Everything is re-checked under the round's
    lock, and recorded in the same transaction."""
    locked = await store.lock_round_for_vote(session, round_id, department_id)
    if locked is None:
        return VoteResult("stale")
    reason = rules.refuse_ballot(locked.context, department_id, choice, now)
    if reason is not None:
        return VoteResult(reason)
    assert department_id is not None
    secret = locked.secret
    open_choice = None if secret else choice
    if not await store.record_voter(session, round_id, department_id, person_id, now, open_choice):
        return VoteResult("already_voted")  # the unique constraint: one department, one vote
    if not secret:
        return VoteResult("ok")
    receipt = rules.new_receipt()
    key = rules.new_ballot_key()
    await store.fill_empty_ballot(
        session, round_id, choice=choice, receipt=receipt, key_hash=rules.key_hash(key)
    )
    return VoteResult("ok", receipt=rules.format_receipt(receipt), key=key)


async def replace_vote(
    session: AsyncSession,
    round_id: int,
    department_id: int | None,
    person_id: int,
    choice: int,
    now: datetime,
    key: str | None = None,
) -> VoteResult:
    """Replace the department's ballot (the last one counts). Secret mode needs the key."""
    locked = await store.lock_round_for_vote(session, round_id, department_id)
    if locked is None:
        return VoteResult("stale")
    reason = rules.refuse_ballot(locked.context, department_id, choice, now, replacing=True)
    if reason is not None:
        return VoteResult(reason)
    assert department_id is not None
    if not locked.secret:
        await store.record_open_replacement(
            session, round_id, department_id, person_id, choice, now
        )
        return VoteResult("ok", replaced=True)
    canonical = rules.normalize_code(key or "", rules.KEY_LENGTH)
    if canonical is None:
        return VoteResult("bad_key")
    hashed = rules.key_hash(canonical)
    found = await store.find_filled_receipt(session, round_id, hashed)
    if found is None:
        return VoteResult("bad_key")
    await store.rewrite_ballot(session, round_id, key_hash=hashed, choice=choice, receipt=found)
    return VoteResult("ok", receipt=rules.format_receipt(found), key=canonical, replaced=True)


async def count_round(
    session: AsyncSession, round_id: int, now: datetime, closed_by: int | None = None
) -> RoundClosed | None:
    """Close the round, count it and take the next step (a winner, a re-ballot, the head's
    decision). None when it was not open (closed already). No group post: see close_round."""
    claimed = await store.claim_close(session, round_id, now, closed_by)
    if claimed is None:
        return None
    round_, election = claimed.round, claimed.election
    assert election.id is not None
    result = await _count(session, election, round_)
    store.record_result(session, round_, result)
    office = await store.get_office(session, election.id, round_.office_position)
    next_round: ElectionRound | None = None
    if result.outcome is rules.Outcome.ELECTED:
        await store.record_elected(session, office, result.winner)
        next_round = await _start_next_office(session, election, now)
    elif result.outcome in (rules.Outcome.REBALLOT, rules.Outcome.REPEAT):
        next_round = await store.create_round(
            session,
            election,
            round_.office_position,
            round_.number + 1,
            result.next_candidates,
            now,
            now + timedelta(minutes=election.voting_minutes),
        )
    else:
        store.set_office_state(session, office, "head_decides")
    await session.flush()
    receipts = await list_counted_receipts(session, round_id) if election.mode == "secret" else ()
    return RoundClosed(
        round=round_,
        office=office,
        tally=result,
        next_round=next_round,
        election_closed=election.state == "closed",
        receipts=receipts,
    )


async def _count(session: AsyncSession, election: Election, round_: ElectionRound) -> rules.Tally:
    count = await store.load_count(session, election, round_)
    return rules.tally(
        count.candidates, count.choices, count.roll_size, store.rules_of(election), round_.number
    )


async def list_counted_receipts(session: AsyncSession, round_id: int) -> tuple[str, ...]:
    """The receipt codes of the ballots cast, sorted, as shown to people ("7K2Q-MXP4")."""
    codes = await store.list_counted_receipts(session, round_id)
    return tuple(sorted(rules.format_receipt(c) for c in codes))


async def decide_office(
    session: AsyncSession,
    election_id: int,
    department_id: int,
    decided_by: int,
    now: datetime,
) -> ElectionRound | None:
    """After the last round without a winner, the head picks among that round's leaders.

    Returns the next office's first round, if any. Raises ElectionError when not allowed
    (nothing written then)."""
    election = await store.load_election(session, election_id)
    if election.state != "open":
        raise ElectionError("election_closed")
    offices = await store.list_offices(session, election_id)
    pending = [o for o in offices if o.state == "head_decides"]
    if not pending:
        raise ElectionError("nothing_to_decide")
    office = pending[0]
    last = await store.get_last_round(session, election_id, office.position)
    result = await _count(session, election, last)
    if department_id not in result.next_candidates:
        raise ElectionError("not_allowed")
    await store.record_decision(session, office, department_id, decided_by)
    return await _start_next_office(session, election, now)


async def find_pending_decision(
    session: AsyncSession, election_id: int
) -> tuple[ElectionOffice, tuple[int, ...]] | None:
    """The office waiting for the head's decision, and whom the head may pick."""
    election = await store.load_election(session, election_id)
    for office in await store.list_offices(session, election_id):
        if office.state == "head_decides":
            last = await store.get_last_round(session, election_id, office.position)
            return office, (await _count(session, election, last)).next_candidates
    return None


async def load_minutes(session: AsyncSession, election_id: int) -> rules.Minutes:
    """Everything the minutes of the count (biên bản kiểm phiếu) show, recounted from ballots."""
    election = await store.load_election(session, election_id)
    election_rules = store.rules_of(election)
    offices = await store.list_offices(session, election_id)
    by_position = {o.position: o for o in offices}
    minutes = rules.Minutes(
        election_id=election_id,
        title=election.title,
        term=election.term,
        mode=election_rules.mode,
        rules=election_rules,
        roll=await store.list_roll(session, election_id),
        fingerprint=election.roll_fingerprint,
        outgoing_head=election.outgoing_head_id,
        opened_at=election.opened_at,
        closed_at=election.closed_at,
    )
    deciding: dict[int, rules.Tally] = {}
    for round_ in await store.list_rounds(session, election_id):
        if round_.state != "closed" or round_.outcome is None:
            continue
        assert round_.id is not None
        result = await _count(session, election, round_)
        deciding[round_.office_position] = result
        receipts: tuple[str, ...] = ()
        open_choices: tuple[tuple[int, int], ...] = ()
        if election_rules.mode is Mode.SECRET:
            receipts = await list_counted_receipts(session, round_.id)
        else:
            order = {d: i for i, d in enumerate(minutes.roll)}
            open_choices = tuple(
                sorted(
                    await store.list_open_choices(session, round_.id),
                    key=lambda dc: order.get(dc[0], len(order)),
                )
            )
        role = by_position[round_.office_position].role
        minutes.rounds.append(
            rules.RoundRecord(round_.office_position, role, result, receipts, open_choices)
        )
    for office in offices:
        decision = deciding.get(office.position)
        elected = office.department_id
        minutes.offices.append(
            rules.OfficeRecord(
                index=office.position,
                role=office.role,
                label=office.label,
                label_en=office.label_en,
                elected=elected,
                decided_by_head=office.state == "decided",
                votes=decision.counts.get(elected, 0) if decision and elected else None,
                cast=decision.cast if decision else None,
            )
        )
    return minutes


# --------------------------------------------------------------------------------------------
# The state changes (shared by the buttons and the election job), each with its group post


@dataclass(frozen=True)
class Opened:
    text: str  # the opening post, in the group's language
    round_id: int | None


async def opened_text(
    session: AsyncSession, election: Election, lang: str, bot_username: str | None
) -> str:
    assert election.id is not None
    offices = await store.list_offices(session, election.id)
    round_ = await store.get_open_round(session, election.id)
    return render(
        lang,
        "elections.opened",
        election=election,
        offices=offices,
        roll=await store.list_roll(session, election.id),
        departments=await _departments(session, election.cluster_id),
        fingerprint=rules.short_fingerprint(election.roll_fingerprint),
        closes_at=round_.closes_at if round_ else election.closes_at,
        bot_username=bot_username,
    )


async def open_election(
    session: AsyncSession, election_id: int, now: datetime, lang: str, bot_username: str | None
) -> Opened:
    """Open it (raises ElectionError, with nothing written, when it cannot be) and queue
    the roll and its fingerprint for the group."""
    async with session.begin_nested():
        election = await start_election(session, election_id, now)
    text = await opened_text(session, election, lang, bot_username)
    await queue_group_post(session, election, f"election:{election_id}:opened", text)
    round_ = await store.get_open_round(session, election_id)
    return Opened(text, round_.id if round_ is not None else None)


async def closed_text(session: AsyncSession, closed: RoundClosed, lang: str) -> str:
    election = await store.get_election(session, closed.round.election_id)
    assert election is not None and election.id is not None
    offices = await store.list_offices(session, election.id)
    departments = await _departments(session, election.cluster_id)
    next_office = None
    next_closes_at = None
    if (
        closed.next_round is not None
        and closed.next_round.office_position != closed.office.position
    ):
        next_office = offices[closed.next_round.office_position]
        next_closes_at = closed.next_round.closes_at
    text = render(
        lang,
        "elections.result",
        election=election,
        rules=store.rules_of(election),
        office=closed.office,
        tally=closed.tally,
        departments=departments,
        receipts=closed.receipts,
        next_office=next_office,
        next_closes_at=next_closes_at,
    )
    if election.mode == Mode.OPEN.value:
        minutes = await load_minutes(session, election.id)
        record = next(
            r
            for r in minutes.rounds
            if r.tally.round_no == closed.tally.round_no
            and r.office_index == closed.office.position
        )
        text += "\n\n" + render(
            lang, "elections.open_choices", choices=record.open_choices, departments=departments
        )
    if (
        closed.next_round is not None
        and closed.next_round.office_position == closed.office.position
    ):
        text += "\n\n" + render(
            lang,
            "elections.ballot_invite",
            office=closed.office,
            round_no=closed.next_round.number,
            closes_at=closed.next_round.closes_at,
        )
    if closed.election_closed:
        text += "\n\n" + render(
            lang,
            "elections.election_done",
            election=election,
            offices=offices,
            departments=departments,
        )
    return text


async def close_round(
    session: AsyncSession, round_id: int, now: datetime, closed_by: int | None, lang: str
) -> RoundClosed | None:
    """Count a round and queue the result for the group; None when someone closed it first."""
    closed = await count_round(session, round_id, now, closed_by)
    if closed is None:
        return None
    text = await closed_text(session, closed, lang)
    election = await store.get_election(session, closed.round.election_id)
    assert election is not None
    await queue_group_post(session, election, f"election:round:{round_id}:result", text)
    return closed


def turnout_of(*round_ids: int | None) -> list[tuple[str, int]]:
    return [("turnout", r) for r in round_ids if r]


async def handovers(session: AsyncSession, year: int, now: datetime, lang: str) -> list[str]:
    """On the first day of the new term: queue, for each cluster's group, who now holds the
    offices. Returns the clusters whose offices changed hands (their menus change)."""
    handed_over: list[str] = []
    for election in await store.list_due_handovers(session, year):
        assert election.id is not None
        if not await store.mark_handover_announced(session, election.id, now):
            continue
        offices = [
            o
            for o in await store.list_offices(session, election.id)
            if o.role in store.HANDOVER_ROLES and o.department_id is not None
        ]
        if not offices:
            continue
        text = render(
            lang,
            "elections.handover",
            term=election.term,
            offices=offices,
            departments=await _departments(session, election.cluster_id),
        )
        await queue_group_post(session, election, f"election:{election.id}:handover", text)
        handed_over.append(election.cluster_id)
    return handed_over


# --------------------------------------------------------------------------------------------
# /election: set up, follow, close early, cancel, decide


def parse_args(args: list[str]) -> tuple[str, int | None]:
    """(action, term): a term is four ASCII digits within the years periods know ("²⁰²⁴" and
    "٢٠٢٤" are not)."""
    lowered = [a.lower() for a in args]
    action = lowered[0] if lowered else ""
    if action.isascii() and action.isdecimal() and len(action) == 4:
        if MIN_YEAR <= int(action) <= MAX_YEAR:
            return "", int(action)
    return action, None


async def command(session: AsyncSession, ctx: Context, args: list[str], group_lang: str) -> Outcome:
    action, term = parse_args(args)
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if action not in ("", "close", "cancel"):
        return out.add("elections.usage")
    if not may_manage_elections(ctx.actor):
        return out.add("elections.not_allowed")
    active = await store.find_active_election(session, ctx.cluster.id)
    if action == "cancel":
        if active is None or active.id is None:
            return out.add("elections.no_open_round")
        await store.cancel_election(session, active.id, ctx.now)
        return out.add("elections.cancelled", title=active.title)
    if active is not None and active.kind != store.ELECTION_KIND:
        # An award vote (bot/services/awards.py) holds the cluster's one open vote: /award
        # follows and counts it by its own rules; /election cancel above still cancels it.
        return out.add("awards.award_running", title=active.title)
    if action == "close":
        round_ = await store.get_open_round(session, active.id) if active and active.id else None
        if round_ is None or round_.id is None:
            return out.add("elections.no_open_round")
        return Outcome([await _close_prompt(session, ctx, round_)])
    if active is not None:
        return Outcome([await _status_view(session, ctx, active)])
    draft = await store.get_draft_election(session, ctx.cluster.id)
    if draft is None:
        term = term or ctx.today.year + 1
        # The cluster file's [elections] rules (validated at init), else the defaults.
        cluster_rules, _ = rules.parse_election_rules(clusters.election_rules_table(ctx.cluster))
        plan = rules.default_plan(
            term,
            render(group_lang, "elections.default_title", term=term),
            rules=cluster_rules,
            now=ctx.now,
        )
        draft = await create_election(
            session, ctx.cluster.id, plan, ctx.user_id, ctx.now, draft=True
        )
    return Outcome([await _draft_view(session, ctx, draft)])


async def _draft_view(
    session: AsyncSession, ctx: Context, election: Election, edit: bool = False
) -> Screen:
    assert election.id is not None and ctx.cluster is not None
    departments = await _departments(session, ctx.cluster.id)
    roll = [d.id for d in await clusters.list_departments(session, ctx.cluster.id) if d.id]
    outgoing = (await clusters.get_current_offices(session, ctx.cluster.id, election.term - 1)).get(
        "head"
    )
    offices = await store.list_offices(session, election.id)
    candidates = await store.list_election_candidates(session, election, roll)
    eligible = rules.eligible_candidates(
        0, [o.role for o in offices], candidates, store.rules_of(election), outgoing, {}
    )
    plan = rules.ElectionPlan(
        title=election.title,
        term=election.term,
        offices=tuple(rules.OfficeSpec(o.role, o.label, o.label_en) for o in offices),
        rules=store.rules_of(election),
    )
    params: dict[str, Any] = {
        "plan": plan,
        "term": election.term,
        "departments": departments,
        "candidates": list(eligible),
        "closes_at": election.closes_at,
        "outgoing_head": outgoing,
    }
    buttons = [
        [Button("elections.btn_open", rules.manage_data("open", election.id))],
        [
            Button(
                "elections.btn_mode",
                rules.manage_data("mode", election.id),
                {"mode": election.mode},
            )
        ],
        [
            Button(
                "elections.btn_duration",
                rules.manage_data("dur", election.id),
                {"hours": election.voting_minutes // 60},
            )
        ],
        [Button("elections.btn_cancel", rules.manage_data("discard", election.id))],
    ]
    return Screen("elections.draft", params, buttons, edit=edit)


async def _status_view(
    session: AsyncSession, ctx: Context, election: Election, edit: bool = False
) -> Screen:
    assert election.id is not None
    departments = await _departments(session, election.cluster_id)
    offices = await store.list_offices(session, election.id)
    pending = await find_pending_decision(session, election.id)
    if pending is not None:
        office, choices = pending
        buttons = [
            [
                Button(
                    "elections.choice_name",
                    rules.manage_data("dec", election.id, c),
                    {"choice": c, "departments": departments},
                )
            ]
            for c in choices
        ]
        return Screen(
            "elections.decide_prompt",
            {"office": office, "candidates_count": len(choices)},
            buttons,
            edit=edit,
        )
    round_ = await store.get_open_round(session, election.id)
    if round_ is None or round_.id is None:
        return Screen("elections.no_open_round", edit=edit)
    voted, total = await store.count_turnout(session, round_.id)
    names = [
        departments[d].name if ctx.lang != "en" else departments[d].name_en or departments[d].name
        for d in await store.list_voted_departments(session, round_.id)
    ]
    params = {
        "election": election,
        "office": offices[round_.office_position],
        "round_no": round_.number,
        "voted": voted,
        "total": total,
        "voted_names": names,
        "closes_at": round_.closes_at,
    }
    buttons = [
        [Button("elections.btn_close_now", rules.manage_data("close", round_.id))],
        [Button("elections.btn_cancel", rules.manage_data("cancel", election.id))],
    ]
    return Screen("elections.status", params, buttons, edit=edit)


async def _close_prompt(
    session: AsyncSession, ctx: Context, round_: ElectionRound, edit: bool = False
) -> Screen:
    assert round_.id is not None
    voted, total = await store.count_turnout(session, round_.id)
    if voted < total:
        return Screen("elections.close_not_all", {"voted": voted, "total": total}, edit=edit)
    buttons = [
        [
            Button("elections.btn_close_now", rules.manage_data("closeok", round_.id)),
            Button("elections.btn_keep_open", rules.manage_data("keep", round_.id)),
        ]
    ]
    return Screen("elections.confirm_close", {"voted": voted, "total": total}, buttons, edit=edit)


async def manage(
    session: AsyncSession,
    ctx: Context,
    data: str | None,
    group_lang: str,
    bot_username: str | None,
) -> Outcome:
    """One management press, re-checked: the presser's role, and the target must belong to
    their cluster and be in the state the button was made for."""
    parsed = rules.parse_manage_data(data)
    if parsed is None:  # not data we ever sent: said so, nothing changes
        return Outcome().add("common.stale_button")
    if not may_manage_elections(ctx.actor) or ctx.cluster is None:
        return Outcome([Screen("elections.not_allowed", edit=True)])
    action, target, extra = parsed
    if action in ("open", "mode", "dur", "discard"):
        return await _manage_draft(session, ctx, action, target, group_lang, bot_username)
    if action in ("close", "closeok", "keep"):
        return await _manage_round(session, ctx, action, target, group_lang)
    election = await store.get_election(session, target)
    if election is None or election.cluster_id != ctx.cluster.id:
        return Outcome([Screen("elections.no_open_round", edit=True)])
    if action == "cancel":
        if await store.cancel_election(session, target, ctx.now):
            return Outcome([Screen("elections.cancelled", {"title": election.title}, edit=True)])
        return Outcome([Screen("elections.no_open_round", edit=True)])
    # action == "dec": the head decides after the last round
    if extra is None:
        return Outcome()
    return await _decide(session, ctx, election, extra, group_lang)


async def _manage_draft(
    session: AsyncSession,
    ctx: Context,
    action: str,
    target: int,
    group_lang: str,
    bot_username: str | None,
) -> Outcome:
    assert ctx.cluster is not None
    election = await store.get_election(session, target)
    if election is None or election.cluster_id != ctx.cluster.id or election.state != "draft":
        return Outcome([Screen("elections.draft_cancelled", edit=True)])
    if action == "discard":
        await store.discard_draft(session, target)
        return Outcome([Screen("elections.draft_cancelled", edit=True)])
    if action == "open":
        roll = [d.id for d in await clusters.list_departments(session, ctx.cluster.id) if d.id]
        outgoing = (
            await clusters.get_current_offices(session, ctx.cluster.id, election.term - 1)
        ).get("head")
        offices = [o.role for o in await store.list_offices(session, target)]
        candidates = await store.list_election_candidates(session, election, roll)
        problems = rules.staffing_problems(offices, candidates, store.rules_of(election), outgoing)
        if problems:
            codes = ["too_few_candidates", *problems]
            return Outcome([Screen("elections.problems", {"codes": codes}, edit=True)])
        try:
            opened = await open_election(session, target, ctx.now, group_lang, bot_username)
        except ElectionError:
            codes = ["already_running"]
            return Outcome([Screen("elections.problems", {"codes": codes}, edit=True)])
        text = opened.text
        if ctx.lang != group_lang:
            election = await store.get_election(session, target) or election
            text = await opened_text(session, election, ctx.lang, bot_username)
        return Outcome(
            [rendered(text, edit=True)], live=turnout_of(opened.round_id), fanouts=[FANOUT]
        )
    if action == "mode":
        mode = Mode.OPEN if election.mode == Mode.SECRET.value else Mode.SECRET
        election = await store.update_draft(session, target, mode=mode) or election
    else:
        minutes = rules.next_duration_choice(election.voting_minutes)
        election = (
            await store.update_draft(session, target, voting_minutes=minutes, now=ctx.now)
            or election
        )
    return Outcome([await _draft_view(session, ctx, election, edit=True)])


async def _manage_round(
    session: AsyncSession, ctx: Context, action: str, target: int, group_lang: str
) -> Outcome:
    assert ctx.cluster is not None
    round_ = await store.get_round(session, target)
    election = await store.get_election(session, round_.election_id) if round_ else None
    if (
        round_ is None
        or election is None
        or election.cluster_id != ctx.cluster.id
        or round_.state != "open"
        or election.kind != store.ELECTION_KIND  # an award vote is counted by /award
    ):
        return Outcome([Screen("elections.no_open_round", edit=True)])
    if action == "keep":
        return Outcome([await _status_view(session, ctx, election, edit=True)])
    if action == "close":
        return Outcome([await _close_prompt(session, ctx, round_, edit=True)])
    voted, total = await store.count_turnout(session, target)
    if voted < total:
        return Outcome(
            [Screen("elections.close_not_all", {"voted": voted, "total": total}, edit=True)]
        )
    closed = await close_round(session, target, ctx.now, ctx.user_id, group_lang)
    if closed is None:
        return Outcome([Screen("elections.no_open_round", edit=True)])
    text = await closed_text(session, closed, ctx.lang)
    next_id = closed.next_round.id if closed.next_round is not None else None
    return Outcome([rendered(text, edit=True)], live=turnout_of(target, next_id), fanouts=[FANOUT])


async def _decided_text(
    session: AsyncSession,
    election: Election,
    decided_department: int,
    next_round: ElectionRound | None,
    lang: str,
) -> str:
    assert election.id is not None
    departments = await _departments(session, election.cluster_id)
    offices = await store.list_offices(session, election.id)
    decided = next(
        o for o in offices if o.department_id == decided_department and o.state == "decided"
    )
    text = render(
        lang,
        "elections.decided",
        department=departments[decided_department],
        office=decided,
        term=election.term,
    )
    if next_round is not None:
        text += "\n\n" + render(
            lang,
            "elections.ballot_invite",
            office=offices[next_round.office_position],
            round_no=next_round.number,
            closes_at=next_round.closes_at,
        )
    else:
        text += "\n\n" + render(
            lang,
            "elections.election_done",
            election=election,
            offices=offices,
            departments=departments,
        )
    return text


async def _decide(
    session: AsyncSession, ctx: Context, election: Election, department: int, group_lang: str
) -> Outcome:
    target = election.id
    assert target is not None
    try:
        next_round = await decide_office(session, target, department, ctx.user_id, ctx.now)
    except ElectionError:
        return Outcome([Screen("elections.no_open_round", edit=True)])
    election = await store.get_election(session, target) or election
    offices = await store.list_offices(session, target)
    decided = next(o for o in offices if o.department_id == department and o.state == "decided")
    post = await _decided_text(session, election, department, next_round, group_lang)
    await queue_group_post(session, election, f"election:{target}:decided:{decided.position}", post)
    text = post
    if ctx.lang != group_lang:
        text = await _decided_text(session, election, department, next_round, ctx.lang)
    next_id = next_round.id if next_round is not None else None
    return Outcome([rendered(text, edit=True)], live=turnout_of(next_id), fanouts=[FANOUT])


# --------------------------------------------------------------------------------------------
# Voting


def _ballot_buttons(
    round_id: int, candidates: list[int], departments: dict[int, Department], key: str | None
) -> list[list[Button]]:
    def data(choice: int) -> str:
        if key is None:
            return rules.vote_data(round_id, choice)
        return rules.replace_vote_data(round_id, choice, key)

    rows = [
        [Button("elections.choice_name", data(c), {"choice": c, "departments": departments})]
        for c in candidates
    ]
    rows.append([Button("elections.btn_abstain", data(ABSTAIN))])
    return rows


async def ballot(session: AsyncSession, ctx: Context, private: bool) -> Outcome:
    """/vote: the ballot of the round now open, for a department on its roll."""
    out = Outcome()
    if not private:
        return out.add("elections.private_only")
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not may_vote(ctx.actor):
        return out.add("elections.refused", reason="no_department")
    election = await store.find_active_election(session, ctx.cluster.id)
    round_ = await store.get_open_round(session, election.id) if election and election.id else None
    if election is None or election.id is None or round_ is None or round_.id is None:
        return out.add("elections.no_open_round")
    offices = await store.list_offices(session, election.id)
    office = offices[round_.office_position]
    department_id = ctx.actor.department_id
    assert department_id is not None
    if department_id not in await store.list_roll(session, election.id):
        return out.add("elections.refused", reason="not_on_roll")
    voted = await store.department_has_voted(session, round_.id, department_id)
    if voted and election.mode == Mode.SECRET.value:
        return out.add("elections.already_voted", office=office)
    if voted and not election.allow_replace:
        return out.add("elections.refused", reason="already_voted")
    departments = await _departments(session, election.cluster_id)
    candidates = await store.list_round_candidates(session, round_.id)
    params = {
        "election": election,
        "office": office,
        "round_no": round_.number,
        "closes_at": round_.closes_at,
        "voted": voted,
    }
    buttons = _ballot_buttons(round_.id, candidates, departments, None)
    return Outcome([Screen("elections.ballot", params, buttons)])


async def press_ballot(
    session: AsyncSession, ctx: Context, data: str | None, private: bool
) -> Outcome:
    """ev: cast, er: show the replacement ballot, ex: replace. All re-checked in the database."""
    parsed = rules.parse_button(data)
    if parsed is None:
        return Outcome([refused("forged")])
    if not private or not may_vote(ctx.actor):
        return Outcome([refused("no_department")])
    assert ctx.actor is not None
    department_id = ctx.actor.department_id
    round_ = await store.get_round(session, parsed.round_id)
    election = await store.get_election(session, round_.election_id) if round_ else None
    if round_ is None or election is None or election.cluster_id != ctx.actor.cluster_id:
        return Outcome([refused("stale")])
    if parsed.kind == "replace_start":
        return await _replace_view(session, ctx, election, round_, parsed.key)
    assert election.id is not None and department_id is not None
    replacing = parsed.kind == "replace_vote" or (
        election.mode == Mode.OPEN.value
        and await store.department_has_voted(session, parsed.round_id, department_id)
    )
    if replacing:
        result = await replace_vote(
            session,
            parsed.round_id,
            department_id,
            ctx.user_id,
            parsed.choice,
            ctx.now,
            key=parsed.key or None,
        )
    else:
        result = await cast_vote(
            session, parsed.round_id, department_id, ctx.user_id, parsed.choice, ctx.now
        )
    if not result.ok:
        if result.status == "already_voted":
            offices = await store.list_offices(session, election.id)
            office = offices[round_.office_position]
            return Outcome().add("elections.already_voted", office=office)
        return Outcome([refused(result.status)])
    direct = await _receipts(session, ctx, election, round_, parsed.choice, result)
    return Outcome(direct=direct, live=turnout_of(parsed.round_id))


async def _replace_view(
    session: AsyncSession, ctx: Context, election: Election, round_: ElectionRound, key: str
) -> Outcome:
    assert round_.id is not None and election.id is not None
    if round_.state != "open" or round_.closes_at <= ctx.now:
        return Outcome([refused("stale" if round_.state != "open" else "round_closed")])
    if not election.allow_replace:
        return Outcome([refused("replace_locked")])
    offices = await store.list_offices(session, election.id)
    params = {
        "election": election,
        "office": offices[round_.office_position],
        "round_no": round_.number,
        "closes_at": round_.closes_at,
    }
    departments = await _departments(session, election.cluster_id)
    candidates = await store.list_round_candidates(session, round_.id)
    buttons = _ballot_buttons(round_.id, candidates, departments, key)
    # The buttons carry the ballot key: never through a table (see the module's doc).
    return Outcome(direct=[Direct(Screen("elections.replace_ballot", params, buttons))])


async def _receipts(
    session: AsyncSession,
    ctx: Context,
    election: Election,
    round_: ElectionRound,
    choice: int,
    result: VoteResult,
) -> list[Direct]:
    """The receipt for the voter (replacing the ballot), and one for each other officer of the
    department (in their language; the replace button carries the ballot key)."""
    assert election.id is not None and round_.id is not None and ctx.actor is not None
    offices = await store.list_offices(session, election.id)
    office = offices[round_.office_position]
    departments = await _departments(session, election.cluster_id)
    secret = election.mode == Mode.SECRET.value
    by_name = ctx.person.full_name if ctx.person else ""
    buttons: list[list[Button]] = []
    if secret and election.allow_replace and result.key:
        data = rules.replace_start_data(round_.id, result.key)
        buttons = [[Button("elections.btn_replace", data)]]

    def receipt(with_name: bool, edit: bool) -> Screen:
        params = {
            "office": office,
            "choice": choice,
            "departments": departments,
            "receipt": result.receipt or "",
            "by_name": by_name if with_name else "",
            "replaced": result.replaced,
            "secret": secret,
        }
        return Screen("elections.receipt", params, buttons, edit=edit)

    return await receipt_for_department(session, ctx, receipt)


async def receipt_for_department(
    session: AsyncSession, ctx: Context, receipt: Callable[[bool, bool], Screen]
) -> list[Direct]:
    """The ballot becomes the voter's receipt (``receipt(with_name=False, edit=True)``), and
    each other officer of the department gets a copy naming who voted, in their language
    (``receipt(True, False)``): elections and award votes alike."""
    assert ctx.actor is not None and ctx.actor.department_id is not None
    out = [Direct(receipt(False, True))]
    for membership in await people.list_officers(session, ctx.actor.department_id):
        if membership.person_id == ctx.user_id or membership.cluster_id != ctx.actor.cluster_id:
            continue
        person = await people.get_person(session, membership.person_id)
        lang = (person.language if person and person.language else None) or ctx.lang
        out.append(Direct(receipt(True, False), chat_id=membership.person_id, lang=lang))
    return out


# --------------------------------------------------------------------------------------------
# /minutes


async def minutes(session: AsyncSession, ctx: Context) -> Outcome:
    if ctx.actor is None or ctx.cluster is None:
        return Outcome().add("onboarding.stranger")
    election = await store.find_latest_election(session, ctx.cluster.id)
    if election is None or election.id is None or election.state == "draft":
        return Outcome().add("elections.no_election")
    record = await load_minutes(session, election.id)
    html = render(
        ctx.lang,
        "elections.minutes_document",
        m=record,
        cluster=ctx.cluster,
        departments=await _departments(session, ctx.cluster.id),
    )
    caption = render(ctx.lang, "elections.minutes_caption", election=election)
    filename = f"bien-ban-kiem-phieu-{election.term}-{election.id}.html"
    return Outcome(attachments=[Attachment("document", html.encode("utf-8"), caption, filename)])


async def turnout(session: AsyncSession, round_id: int) -> Screen | None:
    """The group's live turnout of an election round: how many have voted, never for whom."""
    round_ = await store.get_round(session, round_id)
    if round_ is None:
        return None
    election = await store.get_election(session, round_.election_id)
    if election is None or election.id is None:
        return None
    offices = await store.list_offices(session, election.id)
    voted, total = await store.count_turnout(session, round_id)
    return Screen(
        "elections.turnout",
        {
            "election": election,
            "office": offices[round_.office_position],
            "round_no": round_.number,
            "voted": voted,
            "total": total,
            "closes_at": round_.closes_at,
            "state": round_.state,
        },
    )
