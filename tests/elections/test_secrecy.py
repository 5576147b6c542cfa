"""Secret mode: after an election, read every table (with the engine's hidden row columns: SQLite
rowid, PostgreSQL xmin and ctid) and the log output, and try to link departments to choices.

Twelve departments each make a different choice, so an attack by ordering that pairs voters
with ballots at random reconstructs ten or more of the twelve links with a probability below
one in a million; a store that leaks by order reconstructs all twelve.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import inspect, text

from bot.domain import elections as E
from bot.domain.elections import ABSTAIN
from bot.services import elections as V
from storage import elections as S
from storage.database import Database
from tests.elections.conftest import NOW, Seeded, open_head_election

EXTRA = ["lao-cai", "ha-giang", "cao-bang", "lang-son", "dien-bien"]


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]  # in the order the engine returns them unasked
    hidden: list[str] = field(default_factory=list)  # __rowid, __xmin, __ctid


async def dump(db: Database) -> dict[str, Table]:
    """Everything a reader of the database sees, hidden row columns included."""
    postgres = db.url.startswith("postgresql")
    tables: dict[str, Table] = {}
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        for name in names:
            if postgres:
                query = f'SELECT xmin::text AS __xmin, ctid::text AS __ctid, * FROM "{name}"'
                hidden = ["__xmin", "__ctid"]
            else:
                query = f'SELECT rowid AS __rowid, * FROM "{name}"'
                hidden = ["__rowid"]
            result = await connection.execute(text(query))
            columns = list(result.keys())
            rows = [dict(zip(columns, row, strict=True)) for row in result.all()]
            tables[name] = Table(name, [c for c in columns if c not in hidden], rows, hidden)
    return tables


def ctid_key(value: str) -> tuple[int, int]:
    page, item = value.strip("()").split(",")
    return int(page), int(item)


def orderings(table: Table, extra: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every order an attacker could put the rows in."""
    found = {"natural": list(table.rows)}
    for column in [*table.hidden, *extra]:
        if column == "__ctid":
            found[column] = sorted(table.rows, key=lambda r: ctid_key(r["__ctid"]))
        elif column == "__xmin":
            found[column] = sorted(table.rows, key=lambda r: int(r["__xmin"]))
        else:
            found[column] = sorted(table.rows, key=lambda r: (r[column] is None, r[column]))
    return found


def link_attacks(
    voters: list[dict[str, Any]],
    ballots: list[dict[str, Any]],
    voter_table: Table,
    ballot_table: Table,
    truth: dict[int, int],
) -> list[str]:
    """What an attacker learns. Returns a description of each successful attack."""
    leaks: list[str] = []
    voter_table = Table(voter_table.name, voter_table.columns, voters, voter_table.hidden)
    ballot_table = Table(ballot_table.name, ballot_table.columns, ballots, ballot_table.hidden)
    voter_orders = orderings(voter_table, ["id", "voted_at"])
    ballot_orders = orderings(ballot_table, ["id", "receipt", "key_hash"])
    for vname, vrows in voter_orders.items():
        for bname, brows in ballot_orders.items():
            right = sum(
                truth[v["department_id"]] == b["choice"] for v, b in zip(vrows, brows, strict=True)
            )
            if right >= len(truth) - 2:
                leaks.append(f"pairing voters by {vname} with ballots by {bname}: {right} right")
    if "__xmin" in voter_table.hidden:
        # A row written in the voter's transaction (or a subtransaction of it) has the same or
        # a neighbouring transaction id: link each voter to the ballot with the nearest xmin.
        for direction in ("nearest", "below", "above"):
            right = 0
            for v in voters:
                gaps = {id(b): int(b["__xmin"]) - int(v["__xmin"]) for b in ballots}
                if direction == "below":
                    gaps = {k: -g for k, g in gaps.items() if g <= 0}
                elif direction == "above":
                    gaps = {k: g for k, g in gaps.items() if g >= 0}
                else:
                    gaps = {k: abs(g) for k, g in gaps.items()}
                if not gaps:
                    continue
                best = min(gaps.values())
                nearest = [b for b in ballots if gaps.get(id(b)) == best]
                if len(nearest) == 1 and nearest[0]["choice"] == truth[v["department_id"]]:
                    right += 1
            if right >= len(truth) // 2:
                leaks.append(f"the {direction} xmin links {right} voters to their ballots")
    for v in voters:
        for b in ballots:
            shared = {str(x) for x in v.values() if x is not None} & {
                str(b[c]) for c in ("id", "receipt", "key_hash")
            }
            if shared:
                leaks.append(f"voter row and ballot row share {shared}")
    return leaks


async def test_no_table_and_no_log_links_a_department_to_its_choice(
    seeded: Seeded, caplog: pytest.LogCaptureFixture
):
    # The app logs at INFO (bot.app.configure_logging); our own code as verbosely as it can.
    # Libraries at DEBUG print every statement with its parameters (aiosqlite does): the vote's
    # two writes would sit side by side. Production must not run libraries at DEBUG.
    caplog.set_level(logging.INFO)
    for ours in ("bot", "storage", "messages"):
        caplog.set_level(logging.DEBUG, logger=ours)
    opened = await open_head_election(seeded, EXTRA)
    round_id, candidates, roll = opened.round_id, opened.candidates, opened.roll
    async with seeded.db.session() as s:
        assert len(await S.get_departments_by_id(s, seeded.cluster_id)) == 12
    assert len(roll) == 12 and len(candidates) == 11
    # Twelve different choices: eleven candidates and one blank ballot, spread over the roll.
    choices = [*candidates, ABSTAIN]
    truth = {voter: choices[(n * 5) % 12] for n, voter in enumerate(roll)}
    secrets_seen: list[str] = []
    clock = NOW
    changer = roll[3]
    for voter in roll:
        clock += timedelta(minutes=1)
        first_choice = candidates[0] if voter == changer else truth[voter]
        async with seeded.db.session() as s:
            result = await V.cast_vote(s, round_id, voter, 5000 + voter, first_choice, clock)
        assert result.ok and result.receipt and result.key
        secrets_seen += [result.receipt, E.normalize_code(result.receipt) or "", result.key]
        if voter == changer:
            key = result.key
    async with seeded.db.session() as s:
        replaced = await V.replace_vote(s, round_id, changer, 1, truth[changer], clock, key=key)
    assert replaced.ok
    async with seeded.db.session() as s:
        closed = await V.count_round(s, round_id, clock + timedelta(minutes=5), closed_by=1)
    assert closed is not None and closed.tally.cast == 12

    tables = await dump(seeded.db)
    voter_table = tables["election_voter"]
    ballot_table = tables["election_ballot"]
    voters = [v for v in voter_table.rows if v["round_id"] == round_id]
    ballots = [b for b in ballot_table.rows if b["round_id"] == round_id and b["filled"]]
    assert len(voters) == len(ballots) == 12
    # The ballots still say what was voted (the count is checkable) ...
    assert sorted(b["choice"] for b in ballots) == sorted(truth.values())

    # ... but nothing names who: no department, person or time column on a ballot,
    columns = set(ballot_table.columns)
    # (payload: an award ballot's content, the same width on every row; tests/awards/)
    assert columns == {"id", "round_id", "receipt", "key_hash", "filled", "choice", "payload"}
    # and the voter rows say nothing about the choice,
    assert all(v["open_choice"] is None for v in voters)
    # no attack by order, shared value or transaction id works,
    leaks = link_attacks(voters, ballots, voter_table, ballot_table, truth)
    assert leaks == []
    if "__xmin" in ballot_table.hidden:
        assert len({b["__xmin"] for b in ballot_table.rows if b["round_id"] == round_id}) == 1
    assert_ballots_stay_put(tables, ballots, secrets_seen, caplog)


def assert_ballots_stay_put(
    tables: dict[str, Table],
    ballots: Sequence[dict[str, Any]],
    secrets_seen: Sequence[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No value of a ballot row, nor a receipt or key (``secrets_seen``: receipt, key hash, key
    for each vote), appears in any other table; the keys are nowhere in the database in clear;
    the log output holds no receipt, key or ballot row."""
    ballot_values = {str(b[c]) for b in ballots for c in ("id", "receipt", "key_hash")}
    ballot_values |= {s for s in secrets_seen if s}
    for table in tables.values():
        if table.name == "election_ballot":
            continue
        for row in table.rows:
            for value in row.values():
                assert value is None or str(value) not in ballot_values, (table.name, value)
    everything = " ".join(str(v) for t in tables.values() for r in t.rows for v in r.values())
    assert not any(k in everything for k in secrets_seen[2::3])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(v in logged for v in ballot_values)


def test_the_attacks_catch_a_store_that_leaks():
    """The same attacks against stores a naive implementation would leave behind."""
    truth = {d: 100 + d for d in range(1, 13)}
    order = [5, 3, 9, 1, 12, 7, 2, 11, 4, 8, 10, 6]  # the order the departments voted in
    voter_table = Table("election_voter", ["id", "department_id", "voted_at"], [], ["__rowid"])
    ballot_table = Table("election_ballot", ["id", "choice"], [], ["__rowid"])
    voters = [
        {"__rowid": n, "id": n, "department_id": d, "voted_at": datetime(2023, 12, 20, 2, n)}
        for n, d in enumerate(order, start=1)
    ]

    def ballots(make: Callable[[int, int], dict[str, Any]]) -> list[dict[str, Any]]:
        return [make(n, d) for n, d in enumerate(order, start=1)]

    # 1. ballots inserted as votes arrive (autoincrement / rowid order)
    inserted = ballots(
        lambda n, d: {
            "__rowid": n,
            "id": f"{n:032x}",
            "receipt": f"R{n}",
            "key_hash": f"h{n}",
            "choice": truth[d],
        }
    )
    assert link_attacks(voters, inserted, voter_table, ballot_table, truth)
    # 2. random ids, but the rows still come back in insertion order
    shuffled_ids = ballots(
        lambda n, d: {
            "__rowid": 99 - n,
            "id": f"{(n * 7919) % 1000:032x}",
            "receipt": f"R{n}",
            "key_hash": f"h{n}",
            "choice": truth[d],
        }
    )
    assert link_attacks(voters, shuffled_ids, voter_table, ballot_table, truth)
    # 3. PostgreSQL: a ballot written in the voter's transaction keeps its xmin
    pg_voters = [
        dict(v, __xmin=str(700 + cast(int, v["id"])), __ctid=f"(0,{v['id']})") for v in voters
    ]
    pg_table = Table("election_voter", voter_table.columns, [], ["__xmin", "__ctid"])
    pg_ballots = [
        {
            "__xmin": str(700 + n),
            "__ctid": f"(0,{13 - n})",
            "id": f"{n}",
            "receipt": f"R{n}",
            "key_hash": f"h{n}",
            "choice": truth[d],
        }
        for n, d in enumerate(order, start=1)
    ]
    pg_ballots.reverse()
    pg_ballot_table = Table("election_ballot", ["id", "choice"], [], ["__xmin", "__ctid"])
    leaks = link_attacks(pg_voters, pg_ballots, pg_table, pg_ballot_table, truth)
    assert any("xmin" in leak for leak in leaks)
    # 4. a shared value (e.g. the voter row keeps the receipt)
    shared = [dict(v, note=f"R{v['id']}") for v in voters]
    rotated = inserted[1:] + inserted[:1]
    assert any(
        "share" in leak for leak in link_attacks(shared, rotated, voter_table, ballot_table, truth)
    )
