"""Award proposals' rules: thresholds, approval and yes/no counts, the [awards] table."""

from __future__ import annotations

import tomllib
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import awards as A
from bot.domain.awards import AwardKind, AwardRule, Base, Ties
from bot.domain.cluster_file import ClusterFileInvalid, parse_cluster_data
from messages.render import render
from tests.conftest import EXAMPLE

shares = st.builds(Fraction, st.integers(1, 12), st.integers(1, 12)).filter(lambda f: 0 < f <= 1)
rules = st.builds(
    AwardRule,
    threshold=shares,
    of=st.sampled_from(list(Base)),
    seats=st.integers(0, 5),
    ties=st.sampled_from(list(Ties)),
)


@st.composite
def approval_votes(draw: st.DrawFn) -> tuple[list[int], list[frozenset[int]], int, AwardRule]:
    candidates = draw(st.lists(st.integers(1, 40), min_size=1, max_size=8, unique=True))
    rule = draw(rules)
    roll = draw(st.integers(1, 15))
    ballots = draw(
        st.lists(
            st.frozensets(st.sampled_from(candidates), max_size=len(candidates)), max_size=roll
        )
    )
    return candidates, ballots, roll, rule


# --------------------------------------------------------------------------------------------
# Thresholds


def test_the_flag_needs_two_thirds_of_the_whole_roll() -> None:
    flag = A.DEFAULT_RULES[AwardKind.FLAG]
    assert A.reaches(5, 5, 7, flag)  # 5/7 >= 2/3
    assert not A.reaches(4, 4, 7, flag)  # 4 of 4 cast, but only 4/7 of the roll
    on_cast = AwardRule(Fraction(2, 3), Base.CAST)
    assert A.reaches(4, 4, 7, on_cast) and A.reaches(2, 3, 7, on_cast)
    assert not A.reaches(0, 0, 7, on_cast)  # nobody voted: nothing is reached


@given(rule=rules, votes=st.integers(0, 20), cast=st.integers(0, 20), roll=st.integers(1, 20))
def test_thresholds_are_monotone(rule: AwardRule, votes: int, cast: int, roll: int) -> None:
    if A.reaches(votes, cast, roll, rule):
        assert A.reaches(votes + 1, cast, roll, rule)  # more votes never lose it
        stricter = AwardRule(rule.threshold / 2, rule.of, rule.seats, rule.ties)
        assert A.reaches(votes, cast, roll, stricter)  # a lower threshold never loses it
        if rule.of is Base.ROLL:
            assert A.reaches(votes, cast, max(1, roll - 1), rule)  # a smaller roll neither
    if A.reaches(votes, cast, roll, rule):
        base = roll if rule.of is Base.ROLL else cast
        assert Fraction(votes, base) >= rule.threshold


# --------------------------------------------------------------------------------------------
# Approval voting (Flag, collectives)


@given(approval_votes())
def test_no_ballot_over_n_approvals_is_counted(
    case: tuple[list[int], list[frozenset[int]], int, AwardRule],
) -> None:
    candidates, ballots, roll, rule = case
    result = A.tally_approvals(candidates, ballots, roll, rule)
    valid = [b for b in ballots if not rule.seats or len(b) <= rule.seats]
    assert result.spoiled == len(ballots) - len(valid)
    assert result.cast == len(ballots)
    for c in candidates:
        assert result.counts[c] == sum(c in b for b in valid)
    if rule.seats:
        assert sum(result.counts.values()) <= rule.seats * result.cast


@given(approval_votes())
def test_the_proposed_reach_the_threshold_and_fill_at_most_the_seats(
    case: tuple[list[int], list[frozenset[int]], int, AwardRule],
) -> None:
    candidates, ballots, roll, rule = case
    result = A.tally_approvals(candidates, ballots, roll, rule)
    for c in result.proposed:
        assert A.reaches(result.counts[c], result.cast, roll, rule)
    assert set(result.proposed) <= set(result.selection.reached)
    if rule.seats and rule.ties is not Ties.ALL:
        assert len(result.proposed) <= rule.seats
    # Nobody with fewer votes is proposed over somebody reaching the threshold and left out.
    left = set(result.selection.reached) - set(result.proposed)
    for c in result.proposed:
        assert all(result.counts[c] >= result.counts[o] for o in left)
    tied = result.selection.tied_out
    assert set(tied) <= left
    if tied:  # left to the head only when they tie across the last seat
        assert rule.ties is Ties.NONE and len({result.counts[c] for c in tied}) == 1
        assert len(result.proposed) < rule.seats < len(result.proposed) + len(tied)
        assert all(result.counts[c] >= result.counts[o] for c in tied for o in left)


@given(approval_votes(), st.integers(0, 7))
def test_an_approval_more_never_removes_a_candidate_from_the_reached(
    case: tuple[list[int], list[frozenset[int]], int, AwardRule], pick: int
) -> None:
    candidates, ballots, roll, rule = case
    before = A.tally_approvals(candidates, ballots, roll, rule)
    target = candidates[pick % len(candidates)]
    grown = [b | {target} if not rule.seats or len(b) < rule.seats else b for b in ballots]
    after = A.tally_approvals(candidates, grown, roll, rule)
    assert not before.reached(target) or after.reached(target)
    assert sum(after.counts.values()) >= sum(before.counts.values())


def test_ties_across_the_last_seat_as_declared() -> None:
    a, b, c = 1, 2, 3
    ballots = [frozenset({a, b}), frozenset({a, c}), frozenset({b, c}), frozenset({a, b})]
    # a: 3, b: 3, c: 2 -- two seats, no tie at the cut
    two = AwardRule(Fraction(1, 2), Base.CAST, 2, Ties.NONE)
    assert A.tally_approvals([a, b, c], ballots, 5, two).proposed == (a, b)
    # One seat (one approval a ballot): a and b tie at the cut.
    ballots = [frozenset({a}), frozenset({b}), frozenset({b}), frozenset({a})]
    one = AwardRule(Fraction(1, 2), Base.CAST, 1, Ties.NONE)
    none = A.tally_approvals([a, b, c], ballots, 5, one)
    assert none.proposed == () and none.selection.tied_out == (a, b)
    every = A.tally_approvals([a, b, c], ballots, 5, AwardRule(one.threshold, one.of, 1, Ties.ALL))
    assert every.proposed == (a, b)
    ranked = AwardRule(one.threshold, one.of, 1, Ties.RANKING)
    assert A.tally_approvals([a, b, c], ballots, 5, ranked).proposed == (a,)
    assert A.tally_approvals([a, b, c], ballots, 5, ranked, ranking_order=[b, a]).proposed == (b,)


def test_a_threshold_not_reached_proposes_nobody() -> None:
    flag = A.DEFAULT_RULES[AwardKind.FLAG]
    result = A.tally_approvals([1, 2], [frozenset({1})] * 4 + [frozenset({2})] * 2, 7, flag)
    assert result.counts == {1: 4, 2: 2} and result.proposed == () and not result.reached(1)
    result = A.tally_approvals([1, 2], [frozenset({1})] * 5 + [frozenset()] * 2, 7, flag)
    assert result.proposed == (1,) and result.blank == 2


def test_a_ballot_for_a_stranger_counts_as_cast_and_for_nobody() -> None:
    result = A.tally_approvals([1], [frozenset({9})], 3, A.DEFAULT_RULES[AwardKind.COLLECTIVE])
    assert result.spoiled == 1 and result.counts == {1: 0}
    with pytest.raises(ValueError):
        A.tally_approvals([1], [frozenset()] * 4, 3, A.DEFAULT_RULES[AwardKind.FLAG])


@given(st.lists(st.integers(0, A.MAX_SLOTS - 1), unique=True), st.integers(0, 5))
def test_the_refusal_of_a_ballot_over_n(slots: list[int], seats: int) -> None:
    refusal = A.approval_refusal(slots, A.MAX_SLOTS, seats)
    assert (refusal == "too_many_approvals") == bool(seats and len(slots) > seats)
    assert A.approval_refusal([A.MAX_SLOTS], A.MAX_SLOTS, 0) == "not_candidate"
    assert A.approval_refusal([1, 1], A.MAX_SLOTS, 0) == "not_candidate"


# --------------------------------------------------------------------------------------------
# Yes/no on each nominee (individuals)


@st.composite
def verdict_votes(draw: st.DrawFn) -> tuple[list[int], list[dict[int, bool]], int, AwardRule]:
    nominees = draw(st.lists(st.integers(0, 31), min_size=1, max_size=9, unique=True))
    roll = draw(st.integers(1, 12))
    ballots = draw(
        st.lists(st.dictionaries(st.sampled_from(nominees), st.booleans()), max_size=roll)
    )
    return nominees, ballots, roll, draw(rules)


@given(verdict_votes())
def test_yes_and_no_are_counted_per_nominee(
    case: tuple[list[int], list[dict[int, bool]], int, AwardRule],
) -> None:
    nominees, ballots, roll, rule = case
    result = A.tally_verdicts(nominees, ballots, roll, rule)
    for n in nominees:
        assert result.yes[n] == sum(b.get(n) is True for b in ballots)
        assert result.no[n] == sum(b.get(n) is False for b in ballots)
        assert result.yes[n] + result.no[n] <= result.cast
        assert result.reached(n) == A.reaches(result.yes[n], len(ballots), roll, rule)
    if rule.seats and rule.ties is not Ties.ALL:
        assert len(result.proposed) <= rule.seats
    if not rule.seats:
        assert set(result.proposed) == set(result.selection.reached)


def test_individuals_pass_on_their_own_yes_votes() -> None:
    rule = A.DEFAULT_RULES[AwardKind.INDIVIDUAL]  # half of the roll, no limit
    ballots = [{0: True, 1: False}, {0: True, 1: True}, {0: True}, {1: True, 2: False}]
    result = A.tally_verdicts([0, 1, 2], ballots, 7, rule)
    assert result.yes == {0: 3, 1: 2, 2: 0} and result.no == {0: 0, 1: 1, 2: 1}
    assert result.proposed == ()  # 3/7 < 1/2
    result = A.tally_verdicts([0, 1, 2], ballots, 6, rule)
    assert result.proposed == (0,)


# --------------------------------------------------------------------------------------------
# Payloads: one width for every ballot


@given(st.frozensets(st.integers(0, A.MAX_SLOTS - 1)))
def test_approvals_round_trip_at_a_constant_width(slots: frozenset[int]) -> None:
    payload = A.encode_approvals(slots)
    assert len(payload) == A.PAYLOAD_WIDTH == len(A.blank_payload())
    assert A.decode_approvals(payload) == slots
    assert A.slots_of(A.mask_of(slots)) == slots


@given(st.dictionaries(st.integers(0, A.MAX_SLOTS - 1), st.booleans()))
def test_verdicts_round_trip_at_a_constant_width(verdicts: dict[int, bool]) -> None:
    payload = A.encode_verdicts(verdicts)
    assert len(payload) == A.PAYLOAD_WIDTH
    assert A.decode_verdicts(payload) == verdicts


# --------------------------------------------------------------------------------------------
# Candidates


def test_flag_candidates_explicit_then_ranking_then_everyone() -> None:
    members = [1, 2, 3, 4, 5]
    assert A.flag_candidates(members) == (1, 2, 3, 4, 5)
    assert A.flag_candidates(members, ranking_order=[4, 2, 9, 1, 5]) == (4, 2, 1)
    assert A.flag_candidates(members, explicit=[3, 3, 9], ranking_order=[4]) == (3,)


# --------------------------------------------------------------------------------------------
# The [awards] table


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def errors_of(awards: dict) -> list[tuple[str, str]]:
    data = example()
    data["awards"] = awards
    with pytest.raises(ClusterFileInvalid) as caught:
        parse_cluster_data(data)
    return [(e.path, e.code) for e in caught.value.errors]


def test_the_awards_table_is_read_with_defaults() -> None:
    data = example()
    data["awards"] = {"flag": {"threshold": "3/4"}, "collective": {"seats": 2, "of": "cast"}}
    spec = parse_cluster_data(data)
    parsed, problems = A.parse_award_rules(spec.emulation["awards"])
    assert problems == []
    assert parsed.flag == AwardRule(Fraction(3, 4), Base.ROLL, 1, Ties.NONE)
    assert parsed.collective == AwardRule(Fraction(1, 2), Base.CAST, 2, Ties.NONE)
    assert parsed.individual == A.DEFAULT_RULES[AwardKind.INDIVIDUAL]
    assert A.parse_award_rules({}) == (A.AwardRules(), [])


def test_every_error_names_its_field() -> None:
    assert errors_of(
        {"flag": {"threshold": "2/3", "bogus": 1}, "collective": {"of": "members"}}
    ) == [("awards.flag.bogus", "unknown_key"), ("awards.collective.of", "bad_choice")]
    assert errors_of(
        {"flag": {"seats": 2}, "individual": {"threshold": "5/3", "seats": 40}, "voting_minutes": 0}
    ) == [
        ("awards.voting_minutes", "bad_voting_minutes"),
        ("awards.flag.seats", "flag_one_seat"),
        ("awards.individual.threshold", "bad_threshold"),
        ("awards.individual.seats", "bad_seats"),
    ]
    assert errors_of({"collective": {"threshold": "most"}}) == [
        ("awards.collective.threshold", "bad_fraction")
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_errors_are_worded(lang: str) -> None:
    data = example()
    data["awards"] = {"flag": {"seats": 2}, "individual": {"threshold": "5/3", "seats": 40}}
    with pytest.raises(ClusterFileInvalid) as caught:
        parse_cluster_data(data)
    texts = [render(lang, "cli.file_error", error=e) for e in caught.value.errors]
    assert all(e.code not in t for e, t in zip(caught.value.errors, texts, strict=True))
    if lang == "vi":
        assert "Cờ thi đua chỉ dành cho một đơn vị" in texts[0]
        assert "ngưỡng phải là một phân số" in texts[1]
