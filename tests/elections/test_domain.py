"""The election rules, directly: configuration, eligibility, counting, checks, codes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from bot.domain import elections as E
from bot.domain.elections import (
    ABSTAIN,
    DEPUTY,
    HEAD,
    BallotContext,
    ElectionPlan,
    ElectionRules,
    Mode,
    OfficeSpec,
    Outcome,
)
from bot.domain.roles import Actor, Role

RULES = ElectionRules()
NOW = datetime(2023, 12, 20, 2, 0, tzinfo=UTC)
ROLL7 = (1, 2, 3, 4, 5, 6, 7)


# --- configuration ---------------------------------------------------------------------------


def test_defaults_are_the_issues():
    assert RULES.mode is Mode.SECRET
    assert RULES.quorum == Fraction(2, 3)
    assert RULES.majority == Fraction(1, 2)
    assert RULES.majority_of == "cast"
    assert RULES.offices == (HEAD, DEPUTY)
    assert RULES.no_reelect_head and RULES.one_office_each and RULES.allow_replace
    assert RULES.problems() == []


def test_default_plan_head_then_deputy_closing_after_the_voting_time():
    plan = E.default_plan(2024, "Bầu Cụm trưởng, Cụm phó năm 2024", now=NOW)
    assert [o.role for o in plan.offices] == [HEAD, DEPUTY]
    assert plan.candidates is None
    assert plan.closes_at == NOW + timedelta(minutes=RULES.voting_minutes)
    assert plan.problems() == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"quorum": Fraction(3, 2)}, "bad_quorum"),
        ({"majority": Fraction(1)}, "bad_majority"),
        ({"majority_of": "members"}, "bad_majority_of"),
        ({"max_rounds": 0}, "bad_max_rounds"),
        ({"reballot_top": 0}, "bad_reballot_top"),
        ({"offices": ("head", "head")}, "bad_offices"),
        ({"offices": ("Head!",)}, "bad_offices"),
        ({"voting_minutes": 0}, "bad_voting_minutes"),
    ],
)
def test_bad_rules_are_named(change, problem):
    assert problem in ElectionRules(**change).problems()


def test_plan_problems():
    plan = ElectionPlan(
        title=" ",
        term=1999,
        offices=(OfficeSpec("flag"), OfficeSpec("flag")),
        candidates=(3, 3),
        opens_at=NOW,
        closes_at=NOW - timedelta(hours=1),
    )
    assert set(plan.problems()) >= {
        "bad_title",
        "bad_term",
        "bad_offices",
        "bad_candidates",
        "closes_before_opening",
    }
    naive = ElectionPlan("t", 2024, (OfficeSpec(HEAD),), opens_at=datetime(2024, 1, 1))
    assert "naive_time" in naive.problems()


def test_custom_vote_for_the_emulation_flag():
    plan = ElectionPlan(
        title="Đề nghị tặng Cờ thi đua năm 2023",
        term=2023,
        offices=(OfficeSpec("flag", "Đơn vị đề nghị tặng Cờ thi đua", "Emulation Flag"),),
        rules=ElectionRules(mode=Mode.OPEN, no_reelect_head=False),
        candidates=(1, 3, 5),
    )
    assert plan.problems() == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("2/3", Fraction(2, 3)), ("0.5", Fraction(1, 2)), (0.5, Fraction(1, 2)), (1, Fraction(1))],
)
def test_parse_fraction(text, value):
    assert E.parse_fraction(text) == value


@pytest.mark.parametrize("text", ["two thirds", "1/0", "", True, None, "-1/2"])
def test_parse_fraction_refuses(text):
    with pytest.raises(ValueError):
        E.parse_fraction(text)


def test_rules_from_the_cluster_file():
    rules, errors = E.parse_election_rules(
        {"mode": "open", "quorum": "1/2", "max_rounds": 2, "allow_replace": False}
    )
    assert errors == []
    assert rules.mode is Mode.OPEN and rules.quorum == Fraction(1, 2)
    assert rules.max_rounds == 2 and not rules.allow_replace


def test_rules_from_the_cluster_file_every_error_named():
    rules, errors = E.parse_election_rules(
        {"mode": "hidden", "quorum": "most", "max_rounds": "3", "colour": "red"}
    )
    assert rules == ElectionRules()  # nothing half-applied
    assert {(e.path, e.code) for e in errors} == {
        ("elections.mode", "bad_choice"),
        ("elections.quorum", "bad_fraction"),
        ("elections.max_rounds", "bad_number"),
        ("elections.colour", "unknown_key"),
    }
    _, errors = E.parse_election_rules({"max_rounds": 0})
    assert [e.code for e in errors] == ["bad_max_rounds"]


# --- roll and eligibility --------------------------------------------------------------------


def test_roll_fingerprint_is_the_hash_of_the_sorted_roll():
    a = E.roll_fingerprint(["tuyen-quang", "bac-kan", "hoa-binh"])
    assert a == E.roll_fingerprint(["hoa-binh", "tuyen-quang", "bac-kan"])
    assert a != E.roll_fingerprint(["tuyen-quang", "bac-kan"])
    import hashlib

    assert a == hashlib.sha256(b"bac-kan\nhoa-binh\ntuyen-quang").hexdigest()
    short = E.short_fingerprint(a)
    assert len(short) == 19 and short.count(" ") == 3 and short.replace(" ", "") == a[:16].upper()


def test_outgoing_head_may_not_be_reelected_head_but_may_be_deputy():
    offices = (HEAD, DEPUTY)
    assert E.ineligibility(1, 0, offices, ROLL7, RULES, 1, {}) == "outgoing_head"
    assert E.ineligibility(1, 1, offices, ROLL7, RULES, 1, {}) is None
    assert E.eligible_candidates(0, offices, ROLL7, RULES, 1, {}) == (2, 3, 4, 5, 6, 7)
    free = ElectionRules(no_reelect_head=False)
    assert E.ineligibility(1, 0, offices, ROLL7, free, 1, {}) is None


def test_elected_to_an_earlier_office_is_out_of_later_ones():
    offices = (HEAD, DEPUTY)
    assert E.ineligibility(7, 1, offices, ROLL7, RULES, 1, {0: 7}) == "elected_earlier"
    assert E.eligible_candidates(1, offices, ROLL7, RULES, 1, {0: 7}) == (1, 2, 3, 4, 5, 6)
    both = ElectionRules(one_office_each=False)
    assert E.ineligibility(7, 1, offices, ROLL7, both, 1, {0: 7}) is None


def test_not_a_candidate():
    assert E.ineligibility(9, 0, (HEAD,), ROLL7, RULES, None, {}) == "not_candidate"
    assert E.ineligibility(4, 0, ("flag",), (1, 3), RULES, None, {}) == "not_candidate"


def test_staffing_problems():
    assert E.staffing_problems((HEAD, DEPUTY), ROLL7, RULES, 1) == []
    assert E.staffing_problems((HEAD, DEPUTY), (1, 2), RULES, 1) == []  # 2 head, 1 deputy
    assert E.staffing_problems((HEAD, DEPUTY), (2,), RULES, 1) == [DEPUTY]
    assert E.staffing_problems((HEAD,), (1,), RULES, 1) == [HEAD]
    assert E.staffing_problems((HEAD,), (1,), ElectionRules(no_reelect_head=False), 1) == []


# --- counting --------------------------------------------------------------------------------


def test_clear_winner_five_of_seven():
    t = E.tally((2, 3, 4, 5, 6, 7), [7, 7, 7, 7, 7, 4, ABSTAIN], 7, RULES, 1)
    assert t.outcome is Outcome.ELECTED and t.winner == 7 and t.winner_votes == 5
    assert (t.cast, t.blank, t.base) == (7, 1, 7)
    assert t.quorum_met
    assert t.ranking()[:2] == [(7, 5), (4, 1)]


def test_exactly_half_does_not_win():
    t = E.tally((1, 2), [1, 1, 1, 2, 2, 2], 7, RULES, 1)
    assert t.winner is None and t.outcome is Outcome.REBALLOT
    assert t.next_candidates == (1, 2)


def test_abstentions_are_ballots_for_nobody_and_make_winning_harder():
    # 3 of 6 cast: not more than half, although 3 of the 4 non-blank ballots
    t = E.tally((1, 2), [1, 1, 1, 2, ABSTAIN, ABSTAIN], 7, RULES, 1)
    assert t.cast == 6 and t.blank == 2 and t.counts == {1: 3, 2: 1}
    assert t.winner is None and t.outcome is Outcome.REBALLOT


def test_quorum_boundary_two_thirds_of_seven():
    five = E.tally((1, 2), [1, 1, 1, 1, 2], 7, RULES, 1)  # 5/7 >= 2/3
    assert five.quorum_met and five.winner == 1
    four = E.tally((1, 2), [1, 1, 1, 1], 7, RULES, 1)  # 4/7 < 2/3, even though unanimous
    assert not four.quorum_met and four.winner is None
    assert four.outcome is Outcome.REPEAT and four.next_candidates == (1, 2)
    six_of_nine = E.tally((1, 2), [1] * 6, 9, RULES, 1)  # exactly 2/3
    assert six_of_nine.quorum_met


def test_tie_goes_to_a_reballot_among_the_tied():
    t = E.tally((1, 2, 3, 4), [1, 1, 1, 2, 2, 2, 3], 7, RULES, 1)
    assert t.outcome is Outcome.REBALLOT and t.next_candidates == (1, 2)


def test_reballot_keeps_everyone_tied_with_the_last_place():
    t = E.tally((1, 2, 3, 4), [1, 1, 1, 2, 2, 3, 3], 7, RULES, 1)
    assert t.next_candidates == (1, 2, 3)
    top3 = E.tally((1, 2, 3, 4), [1, 1, 2, 2, 3, 4, ABSTAIN], 7, ElectionRules(reballot_top=3), 1)
    assert top3.next_candidates == (1, 2, 3, 4)


def test_reballot_leaves_out_candidates_without_a_vote_unless_nobody_got_one():
    t = E.tally((1, 2, 3), [1, 1, 1, ABSTAIN, ABSTAIN, ABSTAIN, ABSTAIN], 7, RULES, 1)
    assert t.outcome is Outcome.REBALLOT and t.next_candidates == (1,)
    blank = E.tally((1, 2, 3), [ABSTAIN] * 7, 7, RULES, 1)
    assert blank.next_candidates == (1, 2, 3) and blank.winner is None


def test_after_the_last_round_the_head_decides_among_the_leaders():
    rules = ElectionRules(max_rounds=2)
    first = E.tally((1, 2, 3), [1, 1, 1, 2, 2, 2, 3], 7, rules, 1)
    assert first.outcome is Outcome.REBALLOT
    second = E.tally(first.next_candidates, [1, 1, 1, 2, 2, 2, ABSTAIN], 7, rules, 2)
    assert second.outcome is Outcome.HEAD_DECIDES and second.next_candidates == (1, 2)
    no_quorum = E.tally((1, 2), [1], 7, rules, 2)
    assert no_quorum.outcome is Outcome.HEAD_DECIDES and no_quorum.next_candidates == (1, 2)


def test_a_win_in_the_last_round_is_a_win():
    t = E.tally((1, 2), [1, 1, 1, 1, 2, 2, 2], 7, ElectionRules(max_rounds=1), 1)
    assert t.outcome is Outcome.ELECTED and t.winner == 1


def test_majority_of_the_roll():
    rules = ElectionRules(majority_of="roll")
    t = E.tally(
        (1, 2), [1, 1, 1, 1, 2], 9, ElectionRules(majority_of="roll", quorum=Fraction(1, 2)), 1
    )
    assert t.base == 9 and t.winner is None  # 4 of 9
    t = E.tally((1, 2), [1, 1, 1, 1, 1, 2], 9, rules, 1)
    assert t.winner == 1  # 5 of 9


def test_plurality_rule_with_a_tie_at_the_top_elects_nobody():
    plurality = ElectionRules(majority=Fraction(0))
    assert E.tally((1, 2, 3), [1, 1, 2, 3, 3, ABSTAIN], 7, plurality, 1).winner is None
    assert E.tally((1, 2, 3), [1, 1, 2, 3, ABSTAIN], 7, plurality, 1).winner == 1


def test_counting_refuses_what_cannot_be():
    with pytest.raises(ValueError):
        E.tally((1, 2), [3], 7, RULES, 1)
    with pytest.raises(ValueError):
        E.tally((1, 2), [1] * 8, 7, RULES, 1)


def test_tally_invariants_on_many_random_rounds():
    rng = random.Random(20231220)
    for _ in range(2000):
        roll = rng.randint(1, 12)
        candidates = tuple(rng.sample(range(1, 20), rng.randint(1, 6)))
        cast = rng.randint(0, roll)
        choices = [rng.choice((ABSTAIN, *candidates)) for _ in range(cast)]
        rules = ElectionRules(
            quorum=Fraction(rng.randint(0, 3), 3), max_rounds=rng.randint(1, 3), reballot_top=2
        )
        round_no = rng.randint(1, 3)
        t = E.tally(candidates, choices, roll, rules, round_no)
        assert sum(t.counts.values()) + t.blank == t.cast == cast
        if t.winner is not None:
            assert t.quorum_met and 2 * t.counts[t.winner] > t.cast
            assert all(t.counts[c] < t.counts[t.winner] for c in candidates if c != t.winner)
            assert t.outcome is Outcome.ELECTED
        else:
            assert t.outcome is not Outcome.ELECTED
            assert t.next_candidates and set(t.next_candidates) <= set(candidates)
            assert (t.outcome is Outcome.HEAD_DECIDES) == (round_no >= rules.max_rounds)
            if not t.quorum_met:
                assert t.next_candidates == candidates


# --- checking a ballot -----------------------------------------------------------------------


def context(**change) -> BallotContext:
    values = dict(
        election_open=True,
        round_open=True,
        is_current_round=True,
        closes_at=NOW + timedelta(hours=1),
        roll=frozenset(ROLL7),
        round_candidates=frozenset({2, 3, 7}),
        already_voted=False,
        allow_replace=True,
    )
    values.update(change)
    return BallotContext(**values)  # type: ignore[arg-type]  # fields from a dict, checked at run time


@pytest.mark.parametrize(
    ("change", "department", "choice", "reason"),
    [
        ({}, None, 2, "no_department"),
        ({"election_open": False}, 1, 2, "election_closed"),
        ({"is_current_round": False, "round_open": False}, 1, 2, "stale"),
        ({"round_open": False}, 1, 2, "round_closed"),
        ({"closes_at": NOW}, 1, 2, "round_closed"),
        ({}, 9, 2, "not_on_roll"),
        ({}, 1, 1, "not_candidate"),
        ({}, 1, 99, "not_candidate"),
        ({"already_voted": True}, 1, 2, "already_voted"),
    ],
)
def test_refused_ballots(change, department, choice, reason):
    assert E.refuse_ballot(context(**change), department, choice, NOW) == reason


def test_accepted_ballots():
    assert E.refuse_ballot(context(), 1, 2, NOW) is None
    assert E.refuse_ballot(context(), 1, ABSTAIN, NOW) is None


def test_replacing():
    assert E.refuse_ballot(context(), 1, 2, NOW, replacing=True) == "not_voted"
    voted = context(already_voted=True)
    assert E.refuse_ballot(voted, 1, 3, NOW, replacing=True) is None
    locked = context(already_voted=True, allow_replace=False)
    assert E.refuse_ballot(locked, 1, 3, NOW, replacing=True) == "replace_locked"


# --- receipts, keys, button data -------------------------------------------------------------


def test_receipt_codes():
    codes = {E.new_receipt() for _ in range(500)}
    assert len(codes) == 500
    for code in list(codes)[:20]:
        assert len(code) == 8 and set(code) <= set(E.CODE_ALPHABET)
        shown = E.format_receipt(code)
        assert shown[4] == "-" and E.normalize_code(shown) == code
    assert E.normalize_code("7k2q-mxp4") == "7K2QMXP4"
    assert E.normalize_code("OIL2 MXP4") == "0112MXP4"  # what people mistype
    assert E.normalize_code("7K2Q-MXP") is None
    assert E.normalize_code("7K2Q-MXPU") is None  # U is not in the alphabet
    with pytest.raises(ValueError):
        E.format_receipt("nope")


def test_ballot_keys_are_kept_only_as_hashes():
    key = E.new_ballot_key()
    assert len(key) == 16
    hashed = E.key_hash(key)
    assert hashed == E.key_hash(key.lower()) and len(hashed) == 64 and key not in hashed
    assert hashed != E.key_hash(E.new_ballot_key())
    with pytest.raises(ValueError):
        E.key_hash("short")


def test_button_data_round_trip_and_size():
    key = E.new_ballot_key()
    big = 10**12 - 1
    for data in (
        E.vote_data(big, big),
        E.replace_start_data(big, key),
        E.replace_vote_data(big, big, key),
    ):
        assert len(data.encode()) <= 64
    assert E.parse_button(E.vote_data(12, 7)) == E.ButtonData("vote", 12, 7)
    assert E.parse_button(E.vote_data(12, ABSTAIN)) == E.ButtonData("vote", 12, ABSTAIN)
    assert E.parse_button(E.replace_start_data(12, key)) == E.ButtonData(
        "replace_start", 12, key=key
    )
    assert E.parse_button(E.replace_vote_data(12, 3, key)) == E.ButtonData(
        "replace_vote", 12, 3, key
    )


@pytest.mark.parametrize(
    "data",
    [
        "",
        "ev:12",
        "ev:12:7:1",
        "ev:-1:7",
        "ev:12:x",
        "ev:1234567890123:1",
        "er:12:SHORT",
        "ex:12:3:" + "A" * 17,
        "ev:12:7" + " " * 60,
        "zz:1:1",
    ],
)
def test_forged_button_data_is_not_understood(data):
    assert E.parse_button(data) is None


# --- permissions -----------------------------------------------------------------------------


def actor(role: Role, department: int | None = 1, offices: frozenset[str] = frozenset()) -> Actor:
    return Actor(person_id=5, cluster_id="c", role=role, department_id=department, offices=offices)


def test_who_may_run_an_election():
    assert E.may_manage_elections(actor(Role.OFFICER, offices=frozenset({HEAD})))
    assert E.may_manage_elections(actor(Role.ADMIN, None))
    assert not E.may_manage_elections(actor(Role.OFFICER, offices=frozenset({DEPUTY})))
    assert not E.may_manage_elections(actor(Role.OFFICER))
    assert not E.may_manage_elections(actor(Role.OBSERVER, None))
    assert not E.may_manage_elections(None)


def test_who_may_vote_and_announce():
    assert E.may_vote(actor(Role.OFFICER))
    assert not E.may_vote(actor(Role.OFFICER, None))
    assert not E.may_vote(actor(Role.ADMIN, None)) and not E.may_vote(actor(Role.OBSERVER))
    assert E.may_announce(actor(Role.OFFICER, offices=frozenset({DEPUTY})))
    assert E.may_announce(actor(Role.ADMIN, None))
    assert not E.may_announce(actor(Role.OFFICER)) and not E.may_announce(None)


# --- announcements and management buttons ---------------------------------------------------


def test_nudge_one_working_day_later_skips_the_weekend_and_tet():
    from zoneinfo import ZoneInfo

    from bot.domain.calendar import WorkingCalendar

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    friday = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    assert E.nudge_time(friday, tz, WorkingCalendar(), 1) == datetime(2024, 1, 8, 1, 0, tzinfo=UTC)
    assert E.nudge_time(friday, tz, WorkingCalendar(), 0) is None
    before_tet = datetime(2024, 2, 7, 3, 0, tzinfo=UTC)  # Wednesday 7/2/2024; Tết 8-14/2
    assert E.nudge_time(before_tet, tz, WorkingCalendar(), 1) == datetime(
        2024, 2, 15, 3, 0, tzinfo=UTC
    )


def test_choices_cycle():
    assert [E.next_nudge_choice(d) for d in (1, 2, 0, 7)] == [2, 0, 1, 1]
    assert E.next_duration_choice(60) == 1440 and E.next_duration_choice(4320) == 60
    assert E.next_duration_choice(5) == 60


def test_excerpt():
    assert E.excerpt("<b>Hội nghị</b> &amp; khen thưởng") == "Hội nghị & khen thưởng"
    long = "từ " * 100
    short = E.excerpt(long, 20)
    assert short.endswith("…") and len(short) <= 21


def test_management_and_announcement_button_data():
    assert E.parse_manage_data(E.manage_data("dec", 4, 7)) == ("dec", 4, 7)
    assert E.parse_manage_data(E.manage_data("open", 4)) == ("open", 4, None)
    assert E.parse_manage_data("el:drop:4") is None
    assert E.parse_announcement_data(E.announcement_data("ack", 12)) == ("ack", 12)
    assert E.parse_announcement_data("an:ack:12:1") is None
