"""Elections on SQLite and PostgreSQL, the whole life of one: the service (bot.services.elections)
applying the rules over what storage locks, loads and records."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain import elections as E
from bot.domain.elections import ABSTAIN, ElectionPlan, ElectionRules, Mode, OfficeSpec, Outcome
from bot.services import elections as V
from storage import elections as S
from storage.clusters import get_current_offices
from storage.models import Department, Office
from storage.models_elections import ElectionBallot, ElectionVoter
from tests.elections.conftest import NOW, Seeded

SLUGS = ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho", "tuyen-quang"]
TITLE = "Bầu Cụm trưởng, Cụm phó năm 2024"


async def start(
    seeded: Seeded, rules: ElectionRules | None = None, plan: ElectionPlan | None = None
) -> tuple[int, int]:
    """Create and open an election; (election id, first round id)."""
    plan = plan or E.default_plan(2024, TITLE, rules or ElectionRules(), now=NOW)
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, plan, created_by=1, now=NOW)
        assert election.id is not None
        await V.start_election(s, election.id, NOW)
        round_ = await S.get_open_round(s, election.id)
        assert round_ is not None and round_.id is not None
        return election.id, round_.id


async def vote(seeded: Seeded, round_id: int, voter: str, choice: str | None) -> V.VoteResult:
    async with seeded.db.session() as s:
        return await V.cast_vote(
            s,
            round_id,
            seeded.ids[voter],
            1000 + seeded.ids[voter],
            ABSTAIN if choice is None else seeded.ids[choice],
            NOW,
        )


async def vote_all(seeded: Seeded, round_id: int, choices: Mapping[str, str | None]) -> None:
    for voter, choice in choices.items():
        result = await vote(seeded, round_id, voter, choice)
        assert result.ok, (voter, result)


async def close(seeded: Seeded, round_id: int) -> V.RoundClosed:
    async with seeded.db.session() as s:
        closed = await V.count_round(s, round_id, NOW + timedelta(hours=1), closed_by=1)
    assert closed is not None
    return closed


def spread(seeded: Seeded, *pairs: tuple[str, str | None]) -> dict[str, str | None]:
    return dict(pairs)


async def test_full_election_head_then_deputy_and_handover(seeded: Seeded):
    election_id, head_round = await start(seeded)
    async with seeded.db.session() as s:
        election = await S.get_election(s, election_id)
        assert election is not None and election.state == "open"
        assert election.roll_fingerprint == E.roll_fingerprint(SLUGS)
        assert election.outgoing_head_id == seeded.ids["bac-kan"]
        candidates = await S.list_round_candidates(s, head_round)
    assert seeded.ids["bac-kan"] not in candidates and len(candidates) == 6

    head_votes = {v: "tuyen-quang" for v in SLUGS[:4]} | {
        "yen-bai": "tuyen-quang",
        "phu-tho": "hoa-binh",
        "tuyen-quang": None,
    }
    await vote_all(seeded, head_round, head_votes)
    async with seeded.db.session() as s:
        assert await S.count_turnout(s, head_round) == (7, 7)
    closed = await close(seeded, head_round)
    assert closed.tally.outcome is Outcome.ELECTED
    assert closed.tally.winner == seeded.ids["tuyen-quang"] and closed.tally.winner_votes == 5
    assert closed.tally.blank == 1 and len(closed.receipts) == 7
    deputy_round = closed.next_round
    assert deputy_round is not None and deputy_round.office_position == 1
    async with seeded.db.session() as s:
        deputy_candidates = await S.list_round_candidates(s, deputy_round.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert seeded.ids["tuyen-quang"] not in deputy_candidates
    assert seeded.ids["bac-kan"] in deputy_candidates  # the outgoing head may be deputy

    await vote_all(seeded, deputy_round.id, {v: "hoa-binh" for v in SLUGS[:6]})  # type: ignore[arg-type]  # a stored row: its id is set
    closed = await close(seeded, deputy_round.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert closed.tally.winner == seeded.ids["hoa-binh"] and closed.election_closed
    assert closed.next_round is None

    async with seeded.db.session() as s:
        # The handover: the 2024 holders take office when the term begins, not before.
        assert await get_current_offices(s, seeded.cluster_id, 2023) == {
            "head": seeded.ids["bac-kan"],
            "deputy": seeded.ids["bac-giang"],
        }
        assert await get_current_offices(s, seeded.cluster_id, 2024) == {
            "head": seeded.ids["tuyen-quang"],
            "deputy": seeded.ids["hoa-binh"],
        }
        minutes = await V.load_minutes(s, election_id)
        assert [o.elected for o in minutes.offices] == [
            seeded.ids["tuyen-quang"],
            seeded.ids["hoa-binh"],
        ]
        assert [(o.votes, o.cast) for o in minutes.offices] == [(5, 7), (6, 6)]
        assert not any(o.decided_by_head for o in minutes.offices)
        assert len(minutes.rounds) == 2 and minutes.rounds[0].receipts
        assert all(len(r) == 9 and r[4] == "-" for r in minutes.rounds[0].receipts)
        assert [e.id for e in await S.list_due_handovers(s, 2023)] == []
        assert [e.id for e in await S.list_due_handovers(s, 2024)] == [election_id]
        assert await S.mark_handover_announced(s, election_id, NOW)
        assert not await S.mark_handover_announced(s, election_id, NOW)


async def test_tie_then_reballot_among_the_tied(seeded: Seeded):
    election_id, first = await start(seeded)
    await vote_all(
        seeded,
        first,
        {
            "bac-kan": "tuyen-quang",
            "bac-giang": "tuyen-quang",
            "thai-nguyen": "tuyen-quang",
            "hoa-binh": "phu-tho",
            "yen-bai": "phu-tho",
            "phu-tho": "phu-tho",
            "tuyen-quang": "yen-bai",
        },
    )
    closed = await close(seeded, first)
    assert closed.tally.outcome is Outcome.REBALLOT
    second = closed.next_round
    assert second is not None and second.number == 2 and second.office_position == 0
    async with seeded.db.session() as s:
        assert await S.list_round_candidates(s, second.id) == [  # type: ignore[arg-type]  # a stored row: its id is set
            seeded.ids["phu-tho"],
            seeded.ids["tuyen-quang"],
        ]
    # Out of the re-ballot: refused. The first round's buttons are stale.
    assert (await vote(seeded, second.id, "bac-kan", "yen-bai")).status == "not_candidate"  # type: ignore[arg-type]  # a stored row: its id is set
    assert (await vote(seeded, first, "bac-kan", "tuyen-quang")).status == "stale"
    await vote_all(
        seeded,
        second.id,  # type: ignore[arg-type]  # a stored row: its id is set
        {s: "tuyen-quang" for s in SLUGS[:4]} | {"yen-bai": "phu-tho"},
    )
    closed = await close(seeded, second.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert closed.tally.outcome is Outcome.ELECTED and closed.tally.round_no == 2
    async with seeded.db.session() as s:
        minutes = await V.load_minutes(s, election_id)
    assert [(r.role, r.tally.round_no) for r in minutes.rounds] == [("head", 1), ("head", 2)]


async def test_quorum_not_met_repeats_then_the_head_decides(seeded: Seeded):
    rules = ElectionRules(max_rounds=2)
    election_id, first = await start(seeded, rules)
    await vote_all(seeded, first, {s: "tuyen-quang" for s in SLUGS[:4]})  # 4/7 < 2/3
    closed = await close(seeded, first)
    assert not closed.tally.quorum_met and closed.tally.outcome is Outcome.REPEAT
    second = closed.next_round
    assert second is not None
    async with seeded.db.session() as s:
        assert len(await S.list_round_candidates(s, second.id)) == 6  # type: ignore[arg-type]  # a stored row: its id is set
    await vote_all(seeded, second.id, {"bac-kan": "tuyen-quang"})  # type: ignore[arg-type]  # a stored row: its id is set
    closed = await close(seeded, second.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert closed.tally.outcome is Outcome.HEAD_DECIDES and closed.next_round is None
    assert not closed.election_closed
    async with seeded.db.session() as s:
        pending = await V.find_pending_decision(s, election_id)
        assert pending is not None and pending[0].role == "head" and len(pending[1]) == 6
        with pytest.raises(S.ElectionError) as refused:
            await V.decide_office(s, election_id, seeded.ids["bac-kan"], 1, NOW)  # outgoing head
        assert refused.value.codes == ("not_allowed",)
    async with seeded.db.session() as s:
        deputy_round = await V.decide_office(s, election_id, seeded.ids["tuyen-quang"], 1, NOW)
        assert deputy_round is not None and deputy_round.office_position == 1
        minutes = await V.load_minutes(s, election_id)
    assert (
        minutes.offices[0].decided_by_head
        and minutes.offices[0].elected == seeded.ids["tuyen-quang"]
    )


async def test_ineligible_candidates_are_refused(seeded: Seeded):
    _, head_round = await start(seeded)
    assert (await vote(seeded, head_round, "hoa-binh", "bac-kan")).status == "not_candidate"
    async with seeded.db.session() as s:
        assert await S.count_turnout(s, head_round) == (0, 7)  # nothing recorded
    await vote_all(seeded, head_round, {s: "tuyen-quang" for s in SLUGS})
    deputy_round = (await close(seeded, head_round)).next_round
    assert deputy_round is not None
    result = await vote(seeded, deputy_round.id, "hoa-binh", "tuyen-quang")  # type: ignore[arg-type]  # a stored row: its id is set
    assert result.status == "not_candidate"


async def test_vote_after_close_and_forged_rounds_are_refused(seeded: Seeded):
    _, head_round = await start(seeded, ElectionRules(offices=("head",)))
    async with seeded.db.session() as s:
        late = await V.cast_vote(
            s, head_round, seeded.ids["hoa-binh"], 1, seeded.ids["yen-bai"], NOW + timedelta(days=2)
        )
    assert late.status == "round_closed"  # past the closing time, before the job closed it
    await vote_all(seeded, head_round, {s: "tuyen-quang" for s in SLUGS[:5]})
    closed = await close(seeded, head_round)
    assert closed.election_closed
    assert (await vote(seeded, head_round, "phu-tho", "tuyen-quang")).status == "election_closed"
    assert (await vote(seeded, 987654, "phu-tho", "tuyen-quang")).status == "stale"
    async with seeded.db.session() as s:
        assert await V.count_round(s, head_round, NOW) is None  # closed once only
        assert (await V.cast_vote(s, head_round, None, 1, 0, NOW)).status == "no_department"


async def test_a_department_not_on_the_roll_cannot_vote(seeded: Seeded):
    _, head_round = await start(seeded)
    async with seeded.db.session() as s:
        newcomer = Department(
            cluster_id=seeded.cluster_id,
            slug="lao-cai",
            name="Sở Nội vụ tỉnh Lào Cai",
            name_en="Lao Cai",
            position=9,
        )
        s.add(newcomer)
        await s.flush()
        assert newcomer.id is not None
        result = await V.cast_vote(s, head_round, newcomer.id, 1, seeded.ids["hoa-binh"], NOW)
    assert result.status == "not_on_roll"


async def test_double_click_and_two_officers_at_once_make_one_ballot(seeded: Seeded):
    _, head_round = await start(seeded)

    async def officer(person: int) -> V.VoteResult:
        async with seeded.db.session() as s:
            return await V.cast_vote(
                s, head_round, seeded.ids["hoa-binh"], person, seeded.ids["yen-bai"], NOW
            )

    results = await asyncio.gather(officer(1), officer(2), officer(3))
    assert sorted(r.status for r in results) == ["already_voted", "already_voted", "ok"]
    async with seeded.db.session() as s:
        voters = (
            await s.exec(select(ElectionVoter).where(ElectionVoter.round_id == head_round))
        ).all()
        filled = (
            await s.exec(
                select(ElectionBallot).where(
                    ElectionBallot.round_id == head_round,
                    ElectionBallot.filled == True,  # noqa: E712
                )
            )
        ).all()
    assert len(voters) == 1 and len(filled) == 1


async def test_replacing_a_secret_ballot_with_its_key(seeded: Seeded):
    _, head_round = await start(seeded, ElectionRules(offices=("head",)))
    first = await vote(seeded, head_round, "hoa-binh", "yen-bai")
    assert first.ok and first.receipt and first.key
    others = await vote(seeded, head_round, "phu-tho", "yen-bai")
    async with seeded.db.session() as s:
        wrong = await V.replace_vote(
            s,
            head_round,
            seeded.ids["hoa-binh"],
            2,
            seeded.ids["tuyen-quang"],
            NOW,
            key=E.new_ballot_key(),
        )
        assert wrong.status == "bad_key"
        assert (
            await V.replace_vote(s, head_round, seeded.ids["hoa-binh"], 2, 0, NOW, key="garbage")
        ).status == "bad_key"
        never = await V.replace_vote(
            s, head_round, seeded.ids["bac-giang"], 2, seeded.ids["tuyen-quang"], NOW, key=first.key
        )
        assert never.status == "not_voted"  # a department that has not voted cannot use a key
        replaced = await V.replace_vote(
            s, head_round, seeded.ids["hoa-binh"], 2, seeded.ids["tuyen-quang"], NOW, key=first.key
        )
    assert replaced.ok and replaced.replaced and replaced.receipt == first.receipt
    await vote_all(
        seeded,
        head_round,
        {"bac-kan": "tuyen-quang", "bac-giang": "tuyen-quang", "thai-nguyen": None},
    )
    closed = await close(seeded, head_round)
    # the last ballot counts: hoa-binh's went from yen-bai to tuyen-quang
    assert closed.tally.counts[seeded.ids["tuyen-quang"]] == 3
    assert closed.tally.counts[seeded.ids["yen-bai"]] == 1
    assert closed.tally.cast == 5 and closed.tally.winner == seeded.ids["tuyen-quang"]  # 3 of 5
    assert first.receipt in closed.receipts and others.receipt in closed.receipts


async def test_replacing_can_be_locked(seeded: Seeded):
    _, head_round = await start(seeded, ElectionRules(allow_replace=False))
    first = await vote(seeded, head_round, "hoa-binh", "yen-bai")
    async with seeded.db.session() as s:
        locked = await V.replace_vote(
            s, head_round, seeded.ids["hoa-binh"], 2, 0, NOW, key=first.key
        )
    assert locked.status == "replace_locked"


async def test_open_mode_lists_each_departments_choice(seeded: Seeded):
    plan = ElectionPlan(
        title="Đề nghị tặng Cờ thi đua năm 2023",
        term=2023,
        offices=(OfficeSpec("flag", "Đơn vị đề nghị tặng Cờ thi đua", "Emulation Flag"),),
        rules=ElectionRules(mode=Mode.OPEN, no_reelect_head=False, offices=("flag",)),
        candidates=(seeded.ids["bac-kan"], seeded.ids["yen-bai"]),
        opens_at=NOW,
        closes_at=NOW + timedelta(hours=2),
    )
    election_id, only = await start(seeded, plan=plan)
    assert (await vote(seeded, only, "hoa-binh", "tuyen-quang")).status == "not_candidate"
    result = await vote(seeded, only, "hoa-binh", "yen-bai")
    assert result.ok and result.receipt is None and result.key is None
    async with seeded.db.session() as s:
        changed = await V.replace_vote(
            s, only, seeded.ids["hoa-binh"], 5, seeded.ids["bac-kan"], NOW
        )
        assert changed.ok
    await vote_all(seeded, only, {s: "bac-kan" for s in SLUGS if s != "hoa-binh"})
    closed = await close(seeded, only)
    assert closed.tally.winner == seeded.ids["bac-kan"] and closed.tally.winner_votes == 7
    assert closed.election_closed and closed.receipts == ()
    async with seeded.db.session() as s:
        minutes = await V.load_minutes(s, election_id)
        ballots = (await s.exec(select(ElectionBallot))).all()
        offices = (await s.exec(select(Office).where(Office.term == 2023))).all()
    assert ballots == []  # open mode keeps no separate ballots
    assert {o.role for o in offices} == {"head", "deputy"}  # a flag vote hands nothing over
    assert minutes.rounds[0].open_choices[0] == (seeded.ids["bac-kan"], seeded.ids["bac-kan"])
    assert dict(minutes.rounds[0].open_choices)[seeded.ids["hoa-binh"]] == seeded.ids["bac-kan"]
    assert minutes.offices[0].label == "Đơn vị đề nghị tặng Cờ thi đua"


async def test_creation_is_checked(seeded: Seeded):
    async with seeded.db.session() as s:
        with pytest.raises(S.ElectionError) as bad:
            await V.create_election(s, seeded.cluster_id, ElectionPlan(" ", 2024, ()), 1, NOW)
        assert {"bad_title", "bad_offices"} <= set(bad.value.codes)
        with pytest.raises(S.ElectionError) as unknown:
            plan = ElectionPlan("t", 2024, (OfficeSpec("flag"),), candidates=(424242,))
            await V.create_election(s, seeded.cluster_id, plan, 1, NOW)
        assert unknown.value.codes == ("unknown_candidate",)
    election_id, _ = await start(seeded)
    async with seeded.db.session() as s:
        with pytest.raises(S.ElectionError) as running:
            await V.create_election(
                s, seeded.cluster_id, E.default_plan(2024, "x", now=NOW), 1, NOW
            )
        assert running.value.codes == ("already_running",)
        with pytest.raises(S.ElectionError):
            await V.start_election(s, election_id, NOW)  # open once only


async def test_too_few_candidates_to_fill_every_office(seeded: Seeded):
    plan = ElectionPlan(
        "t",
        2024,
        (OfficeSpec("head"), OfficeSpec("deputy")),
        candidates=(seeded.ids["bac-kan"], seeded.ids["hoa-binh"]),
    )
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, plan, 1, NOW)
        assert election.id is not None
        election_id = election.id
    # bac-kan (outgoing head) cannot be head: hoa-binh head, bac-kan deputy — enough.
    async with seeded.db.session() as s:
        await V.start_election(s, election_id, NOW)
        assert await S.cancel_election(s, election_id, NOW)
        assert not await S.cancel_election(s, election_id, NOW)
    narrow = ElectionPlan(
        "t", 2024, (OfficeSpec("head"), OfficeSpec("deputy")), candidates=(seeded.ids["hoa-binh"],)
    )
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, narrow, 1, NOW)
        assert election.id is not None
        with pytest.raises(S.ElectionError) as refused:
            await V.start_election(s, election.id, NOW)
        assert refused.value.codes == ("too_few_candidates", "deputy")


async def test_timed_opening_and_closing(seeded: Seeded):
    later = NOW + timedelta(hours=3)
    plan = E.default_plan(2024, TITLE, now=later)
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, plan, 1, NOW)
        assert election.state == "scheduled"
        assert await S.list_due_openings(s, NOW) == []
        assert await S.list_due_openings(s, later) == [election.id]
        assert election.id is not None
        await V.start_election(s, election.id, later)
        round_ = await S.get_open_round(s, election.id)
        assert round_ is not None
        assert await S.list_due_closings(s, later) == []
        assert await S.list_due_closings(s, plan.closes_at) == [round_.id]  # type: ignore[arg-type]  # a stored row: its id is set
        assert await S.find_active_election(s, seeded.cluster_id) is not None


async def test_a_draft_is_set_up_then_opened(seeded: Seeded):
    plan = E.default_plan(2024, TITLE, now=NOW)
    async with seeded.db.session() as s:
        draft = await V.create_election(s, seeded.cluster_id, plan, 1, NOW, draft=True)
        assert draft.id is not None
        draft_id = draft.id
        assert (await S.get_draft_election(s, seeded.cluster_id)).id == draft_id  # type: ignore[union-attr]  # the draft exists (made above)
        assert await S.find_active_election(s, seeded.cluster_id) is None
        changed = await S.update_draft(s, draft_id, mode=Mode.OPEN, voting_minutes=60, now=NOW)
        assert changed is not None and changed.mode == "open"
        assert changed.closes_at == NOW + timedelta(minutes=60)
    later = NOW + timedelta(hours=5)
    async with s_session(seeded) as s:
        election = await V.start_election(s, draft_id, later)
        assert election.closes_at == later + timedelta(
            minutes=60
        )  # from the opening, not the draft
        assert await S.update_draft(s, draft_id, mode=Mode.SECRET) is None
        assert not await S.discard_draft(s, draft_id)
        with pytest.raises(S.ElectionError):  # one election at a time
            await V.create_election(s, seeded.cluster_id, plan, 1, NOW, draft=True)
        assert await S.cancel_election(s, draft_id, later)
    async with seeded.db.session() as s:
        other = await V.create_election(s, seeded.cluster_id, plan, 1, NOW, draft=True)
        assert other.id is not None
        assert await S.discard_draft(s, other.id)


def s_session(seeded: Seeded):  # noqa: ANN201 - a session context
    return seeded.db.session()
