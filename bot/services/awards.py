"""Award proposals: opening a vote on an award, the ballots, the count, the nominations.

An award vote runs on the election machinery (bot/services/elections.py, storage/elections.py):
an election of one office (the award) and one round, its roll fixed and fingerprinted at
opening, one secret ballot per department with a receipt and a replace key, the live turnout.
What differs is the ballot (approvals of up to N candidates, or yes/no per nominee: a payload,
`bot.domain.awards`) and the count (thresholds on the roll or on the ballots cast).

Secrecy as for elections ("Receipts never pass through a table" in bot/services/elections.py):
a ballot being filled in (which approvals are ticked) is shown only as ``Direct`` screens, its
state riding in its own buttons, so neither the choice in progress nor the receipt and key sit
in a table next to the officer's chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import awards as rules
from bot.domain import callback_data as callbacks
from bot.domain import elections as election_rules
from bot.domain.awards import AwardKind, AwardRules
from bot.domain.elections import ABSTAIN, ElectionPlan, ElectionRules, Mode, OfficeSpec
from bot.domain.periods import MAX_YEAR, MIN_YEAR
from bot.domain.scoring import ScoreRefused
from bot.services import elections as elections_service
from bot.services import emulation, nominations
from bot.services.context import Context
from bot.services.screens import Button, Direct, Outcome, Screen
from messages.render import render
from storage import awards as award_store
from storage import clusters, pacts
from storage import elections as store
from storage.models import Department
from storage.models_awards import AwardNominee
from storage.models_elections import Election, ElectionRound

ElectionError = store.ElectionError
FANOUT = elections_service.FANOUT
# The group posts' delivery keys are the elections' ("election:<id>:opened",
# "election:round:<id>:result"): an award vote is an election row, and a restore that renumbers
# rows rewrites exactly these key shapes (storage/backup.py, KEY_PATTERNS).


async def award_rules_of(session: AsyncSession, cluster_id: str) -> AwardRules:
    """The cluster's [awards] (validated at `init`, stored with [pact] and [scoring]; the
    defaults when absent)."""
    tables = await pacts.get_emulation_tables(session, cluster_id)
    return rules.parse_award_rules(tables.get("awards") or {})[0]


async def ranking_order(
    session: AsyncSession, cluster_id: str, year: int
) -> tuple[int, ...] | None:
    """The year's ranking (department ids, best first) once its scores are locked; None before
    (or without a scoring table): the Flag's candidates are then every member."""
    try:
        ranked = await emulation.ranking(session, cluster_id, year)
    except ScoreRefused:
        return None
    ids = {d.slug: d.id for d in await clusters.list_departments(session, cluster_id)}
    return tuple(i for r in ranked if (i := ids.get(r.department)) is not None)


def _rendered(text: str, buttons: list[list[Button]] | None = None, edit: bool = False) -> Screen:
    return Screen("common.rendered", {"text": Markup(text)}, buttons or [], edit=edit)


# --------------------------------------------------------------------------------------------
# Opening


@dataclass(frozen=True)
class AwardOpened:
    election: Election
    text: str  # the opening post, in the group's language
    round_id: int


async def open_award(
    session: AsyncSession,
    cluster_id: str,
    kind: AwardKind,
    award_rules: AwardRules,
    term: int,
    created_by: int,
    now: datetime,
    lang: str,
    explicit: tuple[int, ...] | None = None,
    ranking_order: tuple[int, ...] | None = None,
) -> AwardOpened:
    """Set up and open the vote on `kind` for `term` at once; the group gets the roll, the
    candidates (or nominees) and the threshold. ElectionError (nothing written) when it cannot
    open: another vote runs, no nominee, too many candidates, an unknown candidate."""
    async with session.begin_nested():
        members = [d.id for d in await clusters.list_departments(session, cluster_id) if d.id]
        nominees: list[AwardNominee] = []
        candidates: tuple[int, ...] | None
        if kind is AwardKind.INDIVIDUAL:
            nominees = await award_store.list_waiting_nominees(session, cluster_id, term, lock=True)
            if not nominees:
                raise ElectionError("no_nominees")
            slots, candidates = len(nominees), None
        else:
            if explicit is not None and not set(explicit) <= set(members):
                raise ElectionError("unknown_candidate")
            if kind is AwardKind.FLAG:
                candidates = rules.flag_candidates(members, explicit, ranking_order)
            else:
                candidates = tuple(dict.fromkeys(explicit)) if explicit else tuple(members)
            slots = len(candidates)
        if slots > rules.MAX_SLOTS:
            raise ElectionError("too_many_candidates")
        plan = ElectionPlan(
            title=render(lang, "awards.title", kind=kind.value, term=term),
            term=term,
            offices=(
                OfficeSpec(
                    kind.value,
                    label=render("vi", "awards.kind_name", kind=kind.value),
                    label_en=render("en", "awards.kind_name", kind=kind.value),
                ),
            ),
            rules=ElectionRules(
                mode=Mode.SECRET,
                quorum=Fraction(0),  # an award has its threshold instead (bot.domain.awards)
                max_rounds=1,
                no_reelect_head=False,
                one_office_each=False,
                allow_replace=award_rules.allow_replace,
                offices=(kind.value,),
                voting_minutes=award_rules.voting_minutes,
            ),
            candidates=candidates,
            opens_at=now,
        )
        election = await elections_service.create_election(
            session, cluster_id, plan, created_by, now
        )
        assert election.id is not None
        award_store.configure_award(election, kind, award_rules.rule(kind))
        session.add(election)
        await session.flush()
        if nominees:
            await award_store.attach_nominees(session, election.id, nominees)
        await elections_service.start_election(session, election.id, now)
    round_ = await store.get_open_round(session, election.id)
    assert round_ is not None and round_.id is not None
    text = await opened_text(session, election, lang)
    await elections_service.queue_group_post(
        session, election, f"election:{election.id}:opened", text
    )
    return AwardOpened(election, text, round_.id)


async def _departments(session: AsyncSession, cluster_id: str) -> dict[int, Department]:
    return await store.get_departments_by_id(session, cluster_id)


async def opened_text(session: AsyncSession, election: Election, lang: str) -> str:
    assert election.id is not None
    kind = award_store.award_kind(election)
    assert kind is not None
    round_ = await store.get_open_round(session, election.id)
    roll = await store.list_roll(session, election.id)
    candidates = (
        await store.list_round_candidates(session, round_.id) if round_ and round_.id else []
    )
    return render(
        lang,
        "awards.opened",
        election=election,
        kind=kind.value,
        rule=award_store.award_rule(election),
        roll=roll,
        candidates=candidates if kind is not AwardKind.INDIVIDUAL else [],
        nominees=await award_store.list_ballot_nominees(session, election.id),
        departments=await _departments(session, election.cluster_id),
        fingerprint=election_rules.short_fingerprint(election.roll_fingerprint),
        closes_at=round_.closes_at if round_ else election.closes_at,
    )


# --------------------------------------------------------------------------------------------
# Voting


@dataclass(frozen=True)
class Slots:
    """What a ballot's slots stand for: candidate departments or nominees, in order."""

    kind: AwardKind
    candidates: list[int]
    nominees: list[AwardNominee]

    def __len__(self) -> int:
        return len(self.nominees) if self.kind is AwardKind.INDIVIDUAL else len(self.candidates)


async def _slots(session: AsyncSession, election: Election, round_id: int) -> Slots:
    kind = award_store.award_kind(election)
    assert kind is not None and election.id is not None
    if kind is AwardKind.INDIVIDUAL:
        return Slots(kind, [], await award_store.list_ballot_nominees(session, election.id))
    return Slots(kind, await store.list_round_candidates(session, round_id), [])


def payload_for(
    kind: AwardKind, slots: int, seats: int, yes: frozenset[int], no: frozenset[int]
) -> tuple[str | None, str | None]:
    """(payload, None) for a valid ballot, or (None, why it is refused)."""
    if kind is AwardKind.INDIVIDUAL:
        if yes & no or any(s >= slots for s in yes | no):
            return None, "not_candidate"
        return rules.encode_verdicts({s: s in yes for s in yes | no}), None
    if no:
        return None, "not_candidate"
    refusal = rules.approval_refusal(yes, slots, seats)
    if refusal is not None:
        return None, refusal
    return rules.encode_approvals(yes), None


async def cast_award_ballot(
    session: AsyncSession,
    round_id: int,
    department_id: int | None,
    person_id: int,
    yes: frozenset[int],
    no: frozenset[int],
    now: datetime,
    key: str | None = None,
) -> elections_service.VoteResult:
    """The department's award ballot (or, with its key, its replacement). Everything is
    re-checked under the round's lock and recorded in the same transaction."""
    VoteResult = elections_service.VoteResult
    locked = await store.lock_round_for_vote(session, round_id, department_id)
    if locked is None or award_store.award_kind(locked.election) is None:
        return VoteResult("stale")
    replacing = key is not None
    reason = election_rules.refuse_ballot(
        locked.context, department_id, ABSTAIN, now, replacing=replacing
    )
    if reason is not None:
        return VoteResult(reason)
    assert department_id is not None
    election = locked.election
    slots = await _slots(session, election, round_id)
    payload, refusal = payload_for(slots.kind, len(slots), election.award_seats, yes, no)
    if payload is None:
        return VoteResult(refusal or "not_candidate")
    if replacing:
        canonical = election_rules.normalize_code(key or "", election_rules.KEY_LENGTH)
        if canonical is None:
            return VoteResult("bad_key")
        hashed = election_rules.key_hash(canonical)
        found = await store.find_filled_receipt(session, round_id, hashed)
        if found is None:
            return VoteResult("bad_key")
        await store.rewrite_ballot(
            session, round_id, key_hash=hashed, choice=ABSTAIN, receipt=found, payload=payload
        )
        return VoteResult(
            "ok", receipt=election_rules.format_receipt(found), key=canonical, replaced=True
        )
    if not await store.record_voter(session, round_id, department_id, person_id, now, None):
        return VoteResult("already_voted")
    receipt = election_rules.new_receipt()
    new_key = election_rules.new_ballot_key()
    await store.fill_empty_ballot(
        session,
        round_id,
        choice=ABSTAIN,
        receipt=receipt,
        key_hash=election_rules.key_hash(new_key),
        payload=payload,
    )
    return VoteResult("ok", receipt=election_rules.format_receipt(receipt), key=new_key)


# --------------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True)
class AwardResult:
    election: Election
    kind: AwardKind
    rule: rules.AwardRule
    tally: rules.ApprovalTally | rules.VerdictTally
    candidates: list[int]
    nominees: list[AwardNominee]
    receipts: tuple[str, ...]

    @property
    def proposed_departments(self) -> tuple[int, ...]:
        return () if isinstance(self.tally, rules.VerdictTally) else self.tally.proposed

    @property
    def proposed_nominees(self) -> list[AwardNominee]:
        if not isinstance(self.tally, rules.VerdictTally):
            return []
        return [self.nominees[s] for s in self.tally.proposed]


async def load_result(
    session: AsyncSession,
    election: Election,
    round_: ElectionRound,
    ranking_order: tuple[int, ...] | None = None,
) -> AwardResult:
    """The count of an award vote, from its ballots (the close and any later reader, e.g. the
    proposal document, recount the same way)."""
    assert round_.id is not None and election.id is not None
    kind = award_store.award_kind(election)
    assert kind is not None
    rule = award_store.award_rule(election)
    payloads = await award_store.list_filled_payloads(session, round_.id)
    roll_size = len(await store.list_roll(session, election.id))
    slots = await _slots(session, election, round_.id)
    tally: rules.ApprovalTally | rules.VerdictTally
    if kind is AwardKind.INDIVIDUAL:
        verdicts = [rules.decode_verdicts(p) for p in payloads]
        tally = rules.tally_verdicts(list(range(len(slots))), verdicts, roll_size, rule)
    else:
        c = slots.candidates
        # A slot past the candidates (cannot be stored: refused on arrival) spoils the ballot.
        approvals = [
            frozenset(c[s] if s < len(c) else -1 for s in rules.decode_approvals(p))
            for p in payloads
        ]
        tally = rules.tally_approvals(c, approvals, roll_size, rule, ranking_order)
    receipts = await elections_service.list_counted_receipts(session, round_.id)
    return AwardResult(election, kind, rule, tally, slots.candidates, slots.nominees, receipts)


async def close_award(
    session: AsyncSession, round_id: int, now: datetime, closed_by: int | None, lang: str
) -> tuple[AwardResult, str] | None:
    """Close the round, count it, finish the vote and queue the result for the group. None
    when it was not open (closed already)."""
    claimed = await store.claim_close(session, round_id, now, closed_by)
    if claimed is None:
        return None
    round_, election = claimed.round, claimed.election
    assert election.id is not None
    ranked = await ranking_order(session, election.cluster_id, election.term)
    result = await load_result(session, election, round_, ranked)
    round_.outcome = "counted"
    round_.cast = result.tally.cast
    proposed = result.proposed_departments
    round_.winner_id = proposed[0] if result.kind is AwardKind.FLAG and proposed else None
    session.add(round_)
    office = await store.get_office(session, election.id, 0)
    await store.record_elected(session, office, round_.winner_id)
    await store.finish_election(session, election, [office], now)
    text = result_text(result, await _departments(session, election.cluster_id), lang)
    await elections_service.queue_group_post(
        session, election, f"election:round:{round_id}:result", text
    )
    return result, text


def result_text(result: AwardResult, departments: dict[int, Department], lang: str) -> str:
    return render(
        lang,
        "awards.result",
        r=result,
        kind=result.kind.value,
        departments=departments,
    )


async def year_results(session: AsyncSession, cluster_id: str, year: int) -> list[AwardResult]:
    """The year's counted award votes, recounted: the latest Flag and collectives vote, and
    every individuals' vote (each puts its own nominees to the cluster)."""
    found: dict[AwardKind, list[AwardResult]] = {kind: [] for kind in AwardKind}
    for election in await award_store.list_closed_awards(session, cluster_id, year):
        kind = award_store.award_kind(election)
        assert kind is not None and election.id is not None
        rounds = [r for r in await store.list_rounds(session, election.id) if r.state == "closed"]
        if not rounds:
            continue
        ranked = await ranking_order(session, cluster_id, year)
        found[kind].append(await load_result(session, election, rounds[-1], ranked))
    return [
        *found[AwardKind.FLAG][-1:],
        *found[AwardKind.COLLECTIVE][-1:],
        *found[AwardKind.INDIVIDUAL],
    ]


# --------------------------------------------------------------------------------------------
# /award


def parse_args(args: list[str]) -> tuple[str, int | None, list[str]]:
    """(action, year, department slugs): `/award flag 2023 bac-kan thai-nguyen`."""
    words = [a.strip().lower() for a in args if a.strip()]
    action = words[0] if words else ""
    year: int | None = None
    slugs: list[str] = []
    for word in words[1:]:
        if word.isascii() and word.isdecimal() and len(word) == 4 and year is None:
            if MIN_YEAR <= int(word) <= MAX_YEAR:
                year = int(word)
                continue
        slugs.append(word)
    return action, year, slugs


async def command(
    session: AsyncSession, ctx: Context, args: list[str], group_lang: str, private: bool = True
) -> Outcome:
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    action, year, slugs = parse_args(args)
    if action not in ("flag", "collective", "individual", "close", "nominees"):
        return out.add("awards.usage")
    term = year or ctx.today.year
    if action == "nominees":
        return await _nominee_list(session, ctx, term)
    if not election_rules.may_manage_elections(ctx.actor):
        return out.add("awards.not_allowed")
    if action == "close":
        return await _close(session, ctx, group_lang, private)
    kind = AwardKind(action)
    by_slug = {d.slug: d.id for d in await clusters.list_departments(session, ctx.cluster.id)}
    unknown = [s for s in slugs if s not in by_slug]
    if unknown or (slugs and kind is AwardKind.INDIVIDUAL):
        return out.add("awards.refused_open", reason="unknown_candidate", slugs=unknown)
    explicit = tuple(by_slug[s] for s in slugs if by_slug[s] is not None) or None
    award_rules = await award_rules_of(session, ctx.cluster.id)
    ranked = await ranking_order(session, ctx.cluster.id, term)
    try:
        opened = await open_award(
            session,
            ctx.cluster.id,
            kind,
            award_rules,
            term,
            ctx.user_id,
            ctx.now,
            group_lang,
            explicit=explicit,  # type: ignore[arg-type]  # the None ids were filtered out
            ranking_order=ranked,
        )
    except ElectionError as exc:
        return out.add("awards.refused_open", reason=exc.codes[0], slugs=[])
    live = elections_service.turnout_of(opened.round_id)
    if not private:  # the fan-out posts the opening in the group: once, not also as the reply
        return Outcome(live=live, fanouts=[FANOUT])
    text = opened.text
    if ctx.lang != group_lang:
        text = await opened_text(session, opened.election, ctx.lang)
    return Outcome([_rendered(text)], live=live, fanouts=[FANOUT])


async def _active_award(
    session: AsyncSession, cluster_id: str
) -> tuple[Election, ElectionRound] | None:
    election = await store.find_active_election(session, cluster_id)
    if election is None or election.id is None or award_store.award_kind(election) is None:
        return None
    round_ = await store.get_open_round(session, election.id)
    return None if round_ is None else (election, round_)


async def _close(session: AsyncSession, ctx: Context, group_lang: str, private: bool) -> Outcome:
    assert ctx.cluster is not None
    active = await _active_award(session, ctx.cluster.id)
    if active is None or active[1].id is None:
        return Outcome().add("awards.no_open_vote")
    round_id = active[1].id
    closed = await close_award(session, round_id, ctx.now, ctx.user_id, group_lang)
    if closed is None:
        return Outcome().add("awards.no_open_vote")
    result, text = closed
    live = elections_service.turnout_of(round_id)
    if not private:  # the fan-out posts the count in the group
        return Outcome(live=live, fanouts=[FANOUT])
    if ctx.lang != group_lang:
        text = result_text(result, await _departments(session, ctx.cluster.id), ctx.lang)
    return Outcome([_rendered(text)], live=live, fanouts=[FANOUT])


async def _nominee_list(session: AsyncSession, ctx: Context, term: int) -> Outcome:
    assert ctx.cluster is not None
    nominees = await award_store.list_waiting_nominees(session, ctx.cluster.id, term)
    return Outcome().add(
        "awards.nominee_list",
        term=term,
        nominees=nominees,
        departments=await _departments(session, ctx.cluster.id),
    )


# --------------------------------------------------------------------------------------------
# The ballot in private


def _toggle_data(round_id: int, yes: int, no: int, key: str | None) -> str:
    if key is None:
        return callbacks.AwardToggle(round_id, yes, no).encode()
    return callbacks.AwardReplaceToggle(round_id, yes, no, key).encode()


def _cast_data(round_id: int, yes: int, no: int, key: str | None) -> str:
    if key is None:
        return callbacks.AwardCast(round_id, yes, no).encode()
    return callbacks.AwardReplaceCast(round_id, yes, no, key).encode()


def _ballot_screen(
    election: Election,
    round_: ElectionRound,
    slots: Slots,
    departments: dict[int, Department],
    yes: frozenset[int],
    no: frozenset[int],
    key: str | None,
    edit: bool,
) -> Screen:
    assert round_.id is not None
    y, n = rules.mask_of(yes), rules.mask_of(no)
    rows: list[list[Button]] = []
    for slot in range(len(slots)):
        bit = 1 << slot
        params: dict[str, Any] = {"departments": departments}
        if slots.kind is AwardKind.INDIVIDUAL:
            # blank -> yes -> no -> blank
            if slot in yes:
                after = (y & ~bit, n | bit)
            elif slot in no:
                after = (y, n & ~bit)
            else:
                after = (y | bit, n)
            state = "yes" if slot in yes else "no" if slot in no else "blank"
            params.update(nominee=slots.nominees[slot], state=state)
            label = "awards.btn_nominee"
        else:
            after = (y ^ bit, n)
            params.update(candidate=slots.candidates[slot], ticked=slot in yes)
            label = "awards.btn_candidate"
        rows.append([Button(label, _toggle_data(round_.id, after[0], after[1], key), params)])
    rows.append([Button("awards.btn_cast", _cast_data(round_.id, y, n, key))])
    params = {
        "election": election,
        "kind": slots.kind.value,
        "rule": award_store.award_rule(election),
        "approved": len(yes),
        "closes_at": round_.closes_at,
        "replacing": key is not None,
        "nominees": slots.nominees,
    }
    return Screen("awards.ballot", params, rows, edit=edit)


async def ballot(
    session: AsyncSession, ctx: Context, election: Election, round_: ElectionRound
) -> Outcome:
    """/vote while an award vote is open (bot/services/elections.py hands it over)."""
    assert round_.id is not None and election.id is not None and ctx.actor is not None
    department_id = ctx.actor.department_id
    if department_id is None or department_id not in await store.list_roll(session, election.id):
        return Outcome([elections_service.refused("not_on_roll")])
    if await store.department_has_voted(session, round_.id, department_id):
        return Outcome().add("awards.already_voted")
    slots = await _slots(session, election, round_.id)
    departments = await _departments(session, election.cluster_id)
    screen = _ballot_screen(
        election, round_, slots, departments, frozenset(), frozenset(), None, edit=False
    )
    return Outcome(direct=[Direct(screen)])


async def vote(session: AsyncSession, ctx: Context, private: bool) -> Outcome:
    """/vote: the award ballot when an award vote is open, else the election's."""
    if private and ctx.cluster is not None and election_rules.may_vote(ctx.actor):
        active = await _active_award(session, ctx.cluster.id)
        if active is not None:
            return await ballot(session, ctx, *active)
    return await elections_service.ballot(session, ctx, private)


def _parse(data: str | None) -> callbacks.CallbackData | None:
    try:
        return callbacks.AWARD.decode(data)
    except callbacks.CallbackDataError:
        return None


async def press(session: AsyncSession, ctx: Context, data: str | None, private: bool) -> Outcome:
    """aw: toggle an approval or a verdict, confirm, start or confirm a replacement."""
    parsed = _parse(data)
    if parsed is None:
        return Outcome([elections_service.refused("forged")])
    if not private or not election_rules.may_vote(ctx.actor):
        return Outcome([elections_service.refused("no_department")])
    assert ctx.actor is not None
    round_id: int = parsed.round_id  # type: ignore[attr-defined]  # every award shape has one
    round_ = await store.get_round(session, round_id)
    election = await store.get_election(session, round_.election_id) if round_ else None
    if (
        round_ is None
        or election is None
        or election.cluster_id != ctx.actor.cluster_id
        or award_store.award_kind(election) is None
    ):
        return Outcome([elections_service.refused("stale")])
    key: str | None = getattr(parsed, "key", None)
    if isinstance(parsed, callbacks.AwardReplaceStart):
        if not election.allow_replace:
            return Outcome([elections_service.refused("replace_locked")])
        yes_, no_ = frozenset[int](), frozenset[int]()
    else:
        yes_ = rules.slots_of(parsed.yes)  # type: ignore[attr-defined]  # toggles and casts
        no_ = rules.slots_of(parsed.no)  # type: ignore[attr-defined]  # toggles and casts
    if isinstance(
        parsed, (callbacks.AwardToggle, callbacks.AwardReplaceToggle, callbacks.AwardReplaceStart)
    ):
        if round_.state != "open" or round_.closes_at <= ctx.now:
            return Outcome([elections_service.refused("round_closed")])
        slots = await _slots(session, election, round_id)
        _, refusal = payload_for(slots.kind, len(slots), election.award_seats, yes_, no_)
        if refusal is not None:
            # Ticking one more than N is refused at once (the ballot stays as it was).
            return Outcome(direct=[Direct(Screen("awards.refused", {"reason": refusal}))])
        departments = await _departments(session, election.cluster_id)
        edit = not isinstance(parsed, callbacks.AwardReplaceStart)
        screen = _ballot_screen(election, round_, slots, departments, yes_, no_, key, edit=edit)
        return Outcome(direct=[Direct(screen)])
    result = await cast_award_ballot(
        session, round_id, ctx.actor.department_id, ctx.user_id, yes_, no_, ctx.now, key=key
    )
    if not result.ok:
        if result.status == "already_voted":
            return Outcome().add("awards.already_voted")
        if result.status == "too_many_approvals":
            return Outcome(direct=[Direct(Screen("awards.refused", {"reason": result.status}))])
        return Outcome([elections_service.refused(result.status)])
    direct = await _receipts(session, ctx, election, round_, yes_, no_, result)
    return Outcome(direct=direct, live=elections_service.turnout_of(round_id))


async def _receipts(
    session: AsyncSession,
    ctx: Context,
    election: Election,
    round_: ElectionRound,
    yes: frozenset[int],
    no: frozenset[int],
    result: elections_service.VoteResult,
) -> list[Direct]:
    """The receipt for the voter (replacing the ballot) and for each other officer of the
    department; the replace button carries the ballot key (never through a table)."""
    assert round_.id is not None and ctx.actor is not None
    slots = await _slots(session, election, round_.id)
    departments = await _departments(session, election.cluster_id)
    buttons: list[list[Button]] = []
    if election.allow_replace and result.key:
        data = callbacks.AwardReplaceStart(round_.id, result.key).encode()
        buttons = [[Button("elections.btn_replace", data)]]
    by_name = ctx.person.full_name if ctx.person else ""

    def receipt(with_name: bool, edit: bool) -> Screen:
        params = {
            "kind": slots.kind.value,
            "title": election.title,
            "approved": [slots.candidates[s] for s in sorted(yes)]
            if slots.kind is not AwardKind.INDIVIDUAL
            else [],
            "verdicts": [(slots.nominees[s], s in yes) for s in sorted(yes | no)]
            if slots.kind is AwardKind.INDIVIDUAL
            else [],
            "departments": departments,
            "receipt": result.receipt or "",
            "by_name": by_name if with_name else "",
            "replaced": result.replaced,
        }
        return Screen("awards.receipt", params, buttons, edit=edit)

    return await elections_service.receipt_for_department(session, ctx, receipt)


# --------------------------------------------------------------------------------------------
# Nominations: /nominate, then three answers in the private chat


async def nominate(session: AsyncSession, ctx: Context, args: list[str], private: bool) -> Outcome:
    out = Outcome()
    if not private:
        return out.add("elections.private_only")
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not election_rules.may_vote(ctx.actor) or ctx.actor.department_id is None:
        return out.add("awards.nomination_refused", reason="no_department")
    listing = bool(args) and args[0].strip().lower() == "list"
    action, year, _ = parse_args(args if listing else ["nominate", *args])
    term = year or ctx.today.year
    if action == "list":  # the department's own nominees, to change or withdraw
        return await nominations.listing(session, ctx, term)
    await award_store.start_nomination(
        session, ctx.cluster.id, term, ctx.actor.department_id, ctx.user_id, ctx.now
    )
    return out.add("awards.ask_name", term=term)


async def has_nomination_draft(session: AsyncSession, person_id: int) -> bool:
    """Is this person entering a nomination (their next private messages are its answers)?"""
    return await award_store.find_nomination_draft(session, person_id) is not None


async def nomination_answer(session: AsyncSession, ctx: Context, text: str) -> Outcome | None:
    """The officer's answer to the current step; None when no nomination is being entered."""
    draft = await award_store.find_nomination_draft(session, ctx.user_id)
    if draft is None:
        return None
    if draft.state in award_store.EDIT_STEPS:  # a change to a submitted nominee
        return await nominations.edit_answer(session, ctx, draft, text)
    out = Outcome()
    if text.strip().startswith("/cancel"):
        await award_store.cancel_nomination_draft(session, ctx.user_id)
        return out.add("awards.nomination_cancelled")
    step = {"draft_name": "name", "draft_position": "position"}.get(draft.state, "achievements")
    problem = rules.nomination_problem(step, text)
    if problem is not None:
        return out.add("awards.nomination_refused", reason=problem)
    state = await award_store.save_nomination_step(session, draft, " ".join(text.split()))
    if state == "draft_position":
        return out.add("awards.ask_position", name=draft.name)
    if state == "draft_achievements":
        return out.add("awards.ask_achievements", name=draft.name)
    departments = await _departments(session, draft.cluster_id)
    params = {"nominee": draft, "department": departments[draft.department_id]}
    return Outcome([Screen("awards.nominated", params, nominations.nominee_buttons(draft))])


__all__ = [
    "AwardOpened",
    "AwardResult",
    "cast_award_ballot",
    "close_award",
    "command",
    "load_result",
    "nominate",
    "has_nomination_draft",
    "nomination_answer",
    "open_award",
    "press",
    "vote",
]
