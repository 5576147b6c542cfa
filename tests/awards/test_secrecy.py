"""Award ballots keep the secrecy of election ballots: after a vote on twelve departments'
approvals, read every table (with SQLite's rowid, PostgreSQL's xmin and ctid) and the logs,
and try to link departments to what they approved (the attacks of tests/elections)."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta
from fractions import Fraction

import pytest

from bot.domain import awards as R
from bot.domain import elections as E
from bot.domain.awards import AwardKind, AwardRule, AwardRules, Base, Ties
from bot.services import awards as W
from storage import elections as S
from tests.awards.support import add_departments, open_award
from tests.elections.conftest import NOW, Seeded
from tests.elections.test_secrecy import EXTRA, assert_ballots_stay_put, dump, link_attacks


async def test_no_table_and_no_log_links_a_department_to_its_approvals(
    seeded: Seeded, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    for ours in ("bot", "storage", "messages"):
        caplog.set_level(logging.DEBUG, logger=ours)
    await add_departments(seeded, EXTRA)
    rules = AwardRules(collective=AwardRule(Fraction(1, 2), Base.ROLL, 2, Ties.NONE))
    opened = await open_award(seeded, AwardKind.COLLECTIVE, rules)
    round_id = opened.round_id
    async with seeded.db.session() as s:
        roll = await S.list_roll(s, opened.election.id)  # type: ignore[arg-type]  # a stored row: its id is set
    assert len(roll) == 12
    # Twelve different ballots: pairs and singles of slots, and one approving nobody.
    shapes = [frozenset(p) for p in itertools.combinations(range(6), 2)][:8]
    shapes += [frozenset({7}), frozenset({8}), frozenset({9}), frozenset()]
    truth = {voter: R.encode_approvals(shapes[(n * 5) % 12]) for n, voter in enumerate(roll)}
    secrets_seen: list[str] = []
    clock = NOW
    changer = roll[3]
    for voter in roll:
        clock += timedelta(minutes=1)
        first = frozenset({10}) if voter == changer else R.decode_approvals(truth[voter])
        async with seeded.db.session() as s:
            result = await W.cast_award_ballot(
                s, round_id, voter, 5000 + voter, first, frozenset(), clock
            )
        assert result.ok and result.receipt and result.key
        secrets_seen += [result.receipt, E.normalize_code(result.receipt) or "", result.key]
        if voter == changer:
            key = result.key
    async with seeded.db.session() as s:
        again = R.decode_approvals(truth[changer])
        replaced = await W.cast_award_ballot(
            s, round_id, changer, 1, again, frozenset(), clock, key=key
        )
    assert replaced.ok
    async with seeded.db.session() as s:
        closed = await W.close_award(s, round_id, clock + timedelta(minutes=5), 1, "vi")
    assert closed is not None and closed[0].tally.cast == 12

    tables = await dump(seeded.db)
    voter_table, ballot_table = tables["election_voter"], tables["election_ballot"]
    voters = [v for v in voter_table.rows if v["round_id"] == round_id]
    rows = [b for b in ballot_table.rows if b["round_id"] == round_id]
    # Every row of the round has the same width, filled or not, and no ballot says a choice
    # other than through its payload.
    assert {len(b["payload"]) for b in ballot_table.rows} == {R.PAYLOAD_WIDTH}
    assert all(b["choice"] == 0 for b in rows)
    ballots = [{**b, "choice": b["payload"]} for b in rows if b["filled"]]
    assert len(voters) == len(ballots) == 12
    assert sorted(b["choice"] for b in ballots) == sorted(truth.values())  # countable
    assert all(v["open_choice"] is None for v in voters)
    # (the attacks compare a ballot's "choice" with the truth: here both are payloads)
    assert link_attacks(voters, ballots, voter_table, ballot_table, truth) == []  # type: ignore[arg-type]  # the attack reads rows of either table alike
    if "__xmin" in ballot_table.hidden:
        assert len({b["__xmin"] for b in rows}) == 1
    assert_ballots_stay_put(tables, ballots, secrets_seen, caplog)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(p in logged for p in truth.values() if p != R.blank_payload())
