"""Award votes on the election tables, on SQLite and PostgreSQL: open, vote, refuse, replace,
count, and the nominees."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlmodel import select

from bot.domain.awards import AwardKind, AwardRule, AwardRules, Base, Ties
from bot.services import awards as W
from storage import awards as A
from storage import elections as S
from storage.models_elections import ElectionBallot
from tests.awards.support import add_departments, open_award
from tests.elections.conftest import NOW, Seeded

LATER = NOW + timedelta(minutes=5)


async def cast(
    seeded: Seeded,
    round_id: int,
    slug: str,
    yes: set[int],
    no: set[int] | None = None,
    key: str | None = None,
) -> W.elections_service.VoteResult:
    async with seeded.db.session() as s:
        return await W.cast_award_ballot(
            s,
            round_id,
            seeded.ids[slug],
            5000 + seeded.ids[slug],
            frozenset(yes),
            frozenset(no or ()),
            LATER,
            key=key,
        )


def approvals(result: W.AwardResult) -> W.rules.ApprovalTally:
    assert isinstance(result.tally, W.rules.ApprovalTally)
    return result.tally


async def close(seeded: Seeded, round_id: int) -> W.AwardResult:
    async with seeded.db.session() as s:
        closed = await W.close_award(s, round_id, LATER + timedelta(minutes=1), 1, "vi")
    assert closed is not None
    return closed[0]


async def test_the_flag_goes_to_the_unit_two_thirds_of_the_roll_approve(seeded: Seeded):
    opened = await open_award(seeded, AwardKind.FLAG)
    async with seeded.db.session() as s:
        candidates = await S.list_round_candidates(s, opened.round_id)
        election = await S.load_election(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
        ballots = (
            await s.exec(select(ElectionBallot).where(ElectionBallot.round_id == opened.round_id))
        ).all()
    assert election.kind == "flag" and election.award_threshold == "2/3"
    assert len(candidates) == 7 and len(ballots) == 7  # every member stands, one row each
    assert all(len(b.payload) == 32 and not b.filled for b in ballots)
    bac_kan = candidates.index(seeded.ids["bac-kan"])
    for slug in ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai"]:
        assert (await cast(seeded, opened.round_id, slug, {bac_kan})).ok
    assert (await cast(seeded, opened.round_id, "phu-tho", set())).ok  # approves nobody
    result = await close(seeded, opened.round_id)
    assert approvals(result).counts[seeded.ids["bac-kan"]] == 5 and result.tally.cast == 6
    assert result.proposed_departments == (seeded.ids["bac-kan"],)
    async with seeded.db.session() as s:
        election = await S.load_election(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
        round_ = await S.get_round(s, opened.round_id)
    assert election.state == "closed" and round_ and round_.winner_id == seeded.ids["bac-kan"]


async def test_a_threshold_not_reached_proposes_nobody(seeded: Seeded):
    opened = await open_award(seeded, AwardKind.FLAG)
    for slug in ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh"]:
        assert (await cast(seeded, opened.round_id, slug, {0})).ok
    result = await close(seeded, opened.round_id)
    assert approvals(result).counts[result.candidates[0]] == 4  # 4/7 < 2/3 of the roll
    assert result.proposed_departments == () and not result.tally.reached(result.candidates[0])


async def test_collectives_refuse_more_than_n_approvals_a_stranger_and_a_second_ballot(
    seeded: Seeded,
):
    rules = AwardRules(collective=AwardRule(Fraction(1, 2), Base.CAST, 2, Ties.NONE))
    opened = await open_award(seeded, AwardKind.COLLECTIVE, rules)
    await add_departments(seeded, ["lao-cai"])  # joined after the roll was fixed
    over = await cast(seeded, opened.round_id, "bac-kan", {0, 1, 2})
    assert over.status == "too_many_approvals"
    assert (await cast(seeded, opened.round_id, "bac-kan", {0, 40})).status == "not_candidate"
    assert (await cast(seeded, opened.round_id, "lao-cai", {0})).status == "not_on_roll"
    first = await cast(seeded, opened.round_id, "bac-kan", {0, 1})
    assert first.ok and first.receipt and first.key
    assert (await cast(seeded, opened.round_id, "bac-kan", {2})).status == "already_voted"
    # Replacing takes the key; the last ballot counts, the receipt stays.
    replaced = await cast(seeded, opened.round_id, "bac-kan", {2, 3}, key=first.key)
    assert replaced.ok and replaced.replaced and replaced.receipt == first.receipt
    wrong = await cast(seeded, opened.round_id, "bac-kan", {2}, key="0" * 16)
    assert wrong.status == "bad_key"
    over = await cast(seeded, opened.round_id, "bac-kan", {0, 1, 2}, key=first.key)
    assert over.status == "too_many_approvals"
    for slug in ["bac-giang", "thai-nguyen"]:
        assert (await cast(seeded, opened.round_id, slug, {2, 3})).ok
    result = await close(seeded, opened.round_id)
    c = result.candidates
    assert approvals(result).counts == {**dict.fromkeys(c, 0), c[2]: 3, c[3]: 3}
    assert result.proposed_departments == (c[2], c[3])
    assert len(result.receipts) == 3
    assert (await cast(seeded, opened.round_id, "hoa-binh", {0})).status == "election_closed"


async def test_an_explicit_list_of_candidates_and_one_vote_at_a_time(seeded: Seeded):
    ids = (seeded.ids["bac-kan"], seeded.ids["tuyen-quang"])
    opened = await open_award(seeded, AwardKind.FLAG, explicit=ids)
    async with seeded.db.session() as s:
        assert tuple(await S.list_round_candidates(s, opened.round_id)) == ids
    with pytest.raises(S.ElectionError) as refused:
        await open_award(seeded, AwardKind.COLLECTIVE)
    assert refused.value.codes == ("already_running",)


async def nominate(seeded: Seeded, slug: str, person: int, name: str) -> None:
    async with seeded.db.session() as s:
        draft = await A.start_nomination(s, seeded.cluster_id, 2023, seeded.ids[slug], person, NOW)
        for answer in (name, "Trưởng phòng", "Hoàn thành xuất sắc nhiệm vụ"):
            await A.save_nomination_step(s, draft, answer)


async def test_individuals_are_nominated_then_voted_yes_or_no(seeded: Seeded):
    with pytest.raises(S.ElectionError) as refused:
        await open_award(seeded, AwardKind.INDIVIDUAL)
    assert refused.value.codes == ("no_nominees",)
    await nominate(seeded, "thai-nguyen", 7001, "Trần Thị B")
    await nominate(seeded, "bac-kan", 7002, "Nguyễn Văn A")
    async with seeded.db.session() as s:  # an unfinished nomination is not on the ballot
        await A.start_nomination(s, seeded.cluster_id, 2023, seeded.ids["bac-kan"], 7003, NOW)
    opened = await open_award(seeded, AwardKind.INDIVIDUAL)
    async with seeded.db.session() as s:
        nominees = await A.list_ballot_nominees(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert [n.name for n in nominees] == ["Nguyễn Văn A", "Trần Thị B"]  # department order
    assert (await cast(seeded, opened.round_id, "bac-kan", {0}, {0})).status == "not_candidate"
    assert (await cast(seeded, opened.round_id, "bac-kan", {0, 2})).status == "not_candidate"
    for slug in ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh"]:
        assert (await cast(seeded, opened.round_id, slug, {0}, {1})).ok
    assert (await cast(seeded, opened.round_id, "yen-bai", {0, 1})).ok
    result = await close(seeded, opened.round_id)
    assert isinstance(result.tally, W.rules.VerdictTally)
    assert result.tally.yes == {0: 5, 1: 1} and result.tally.no == {0: 0, 1: 4}
    assert [n.name for n in result.proposed_nominees] == ["Nguyễn Văn A"]  # 5/7 >= 1/2
    async with seeded.db.session() as s:  # the nominees voted on do not go to the next vote
        assert await A.list_waiting_nominees(s, seeded.cluster_id, 2023) == []


async def test_award_votes_are_not_elections_for_the_election_job(seeded: Seeded):
    opened = await open_award(seeded, AwardKind.FLAG)
    far = NOW + timedelta(days=3)
    async with seeded.db.session() as s:
        assert await S.list_due_closings(s, far) == []
        assert await S.list_due_closings(s, far, kinds=A.AWARD_KINDS) == [opened.round_id]
        assert await S.find_latest_election(s, seeded.cluster_id) is None


async def test_the_flag_stands_the_top_of_the_locked_ranking(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
):
    """Once the year's scores are locked, /award flag's default candidates are the first three
    of the ranking, in its order (bot.services.emulation.ranking, stubbed here: its own tests
    build the year), and a tie declared "ranking" follows it."""
    order = ["tuyen-quang", "bac-kan", "hoa-binh", "phu-tho"]

    async def ranking(session: object, cluster_id: str, year: int) -> list[object]:
        assert year == 2023
        return [type("Ranked", (), {"department": slug})() for slug in order]

    monkeypatch.setattr(W.emulation, "ranking", ranking)
    async with seeded.db.session() as s:
        ranked = await W.ranking_order(s, seeded.cluster_id, 2023)
    assert ranked == tuple(seeded.ids[slug] for slug in order)
    rules = AwardRules(flag=AwardRule(Fraction(1, 3), Base.CAST, 1, Ties.RANKING))
    async with seeded.db.session() as s:
        opened = await W.open_award(
            s, seeded.cluster_id, AwardKind.FLAG, rules, 2023, 1, NOW, "vi", ranking_order=ranked
        )
        candidates = await S.list_round_candidates(s, opened.round_id)
    assert candidates == [seeded.ids[slug] for slug in order[:3]]
    assert (await cast(seeded, opened.round_id, "bac-giang", {1})).ok  # bac-kan
    assert (await cast(seeded, opened.round_id, "yen-bai", {0})).ok  # tuyen-quang
    result = await close(seeded, opened.round_id)  # 1 each: the ranking breaks the tie
    assert result.proposed_departments == (seeded.ids["tuyen-quang"],)


async def test_without_a_locked_ranking_every_member_stands(seeded: Seeded):
    async with seeded.db.session() as s:
        assert await W.ranking_order(s, seeded.cluster_id, 2023) is None


async def test_a_change_and_a_withdrawal_hold_only_until_the_nominee_is_on_a_ballot(
    seeded: Seeded,
):
    await nominate(seeded, "thai-nguyen", 7001, "Trần Thị B")
    await nominate(seeded, "bac-kan", 7002, "Nguyễn Văn A")
    async with seeded.db.session() as s:
        b, a = await A.list_waiting_nominees(s, seeded.cluster_id, 2023)
        assert (a.name, b.name) == ("Trần Thị B", "Nguyễn Văn A")
        edit = await A.start_nomination_edit(s, a, "title", 7001, NOW)
        # A change being entered leaves the nominee on the list as it was.
        assert await A.find_nomination_draft(s, 7001) == edit
        assert len(await A.list_waiting_nominees(s, seeded.cluster_id, 2023)) == 2
        assert await A.apply_nomination_edit(s, edit, "Phó Giám đốc")
        assert await A.find_nomination_draft(s, 7001) is None
        assert await A.withdraw_nominee(s, b.id)  # type: ignore[arg-type]  # a stored row: its id is set
        assert not await A.withdraw_nominee(s, b.id)  # type: ignore[arg-type]  # once
        await A.start_nomination_edit(s, a, "name", 7001, NOW)
    opened = await open_award(seeded, AwardKind.INDIVIDUAL)
    async with seeded.db.session() as s:
        nominees = await A.list_ballot_nominees(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
        assert [(n.name, n.title) for n in nominees] == [("Trần Thị B", "Phó Giám đốc")]
        late = await A.find_nomination_draft(s, 7001)
        assert late is not None
        assert not await A.apply_nomination_edit(s, late, "Tên khác")  # on the ballot now
        assert not await A.withdraw_nominee(s, nominees[0].id)  # type: ignore[arg-type]  # a stored row: its id is set
        assert await A.find_nomination_draft(s, 7001) is None  # the change was dropped
        again = await A.list_ballot_nominees(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
        assert [(n.name, n.state) for n in again] == [("Trần Thị B", "submitted")]
