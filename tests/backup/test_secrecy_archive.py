"""A secret election's archive keeps its secrecy: read the archive's members as an attacker
would (the voter rows and the ballot rows, in the order the file holds them, and every value
of every member) and run the attacks of tests/elections/test_secrecy.py; restore it on either
engine and run them again on the restored tables, hidden row columns included.

A control run writes the ballots in the order their voters voted (what an archive that kept
the table's order could do): the same attacks then link every department to its choice.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import storage.backup
from bot.domain.elections import ABSTAIN
from bot.services import elections as V
from storage.backup import backup, restore
from storage.database import Database
from tests.elections.conftest import NOW, Seeded, open_head_election
from tests.elections.test_secrecy import EXTRA, Table, dump, link_attacks


async def _secret_election(seeded: Seeded) -> tuple[int, dict[int, int], list[int], list[str]]:
    """Twelve departments, twelve different choices, one ballot replaced, the round closed.
    Returns (round id, department -> choice, the order they voted in, every receipt and key)."""
    opened = await open_head_election(seeded, EXTRA)
    round_id, candidates, roll = opened.round_id, opened.candidates, opened.roll
    assert len(roll) == 12
    choices = [*candidates, ABSTAIN]
    truth = {voter: choices[(n * 5) % 12] for n, voter in enumerate(roll)}
    secrets: list[str] = []
    clock = NOW
    changer, key = roll[3], ""
    for voter in roll:
        clock += timedelta(minutes=1)
        first = candidates[0] if voter == changer else truth[voter]
        async with seeded.db.session() as s:
            result = await V.cast_vote(s, round_id, voter, 5000 + voter, first, clock)
        assert result.ok and result.receipt and result.key
        secrets += [result.receipt, result.key]
        if voter == changer:
            key = result.key
    async with seeded.db.session() as s:
        assert (await V.replace_vote(s, round_id, changer, 1, truth[changer], clock, key=key)).ok
    async with seeded.db.session() as s:
        closed = await V.count_round(s, round_id, clock + timedelta(minutes=5), closed_by=1)
    assert closed is not None and closed.tally.cast == 12
    return round_id, truth, roll, secrets


def _members(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows in the order the archive holds them."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return {
            t["name"]: [json.loads(line) for line in archive.read(t["member"]).splitlines()]
            for t in manifest["tables"]
        }


def _attacks(path: Path, round_id: int, truth: dict[int, int]) -> list[str]:
    members = _members(path)
    voters = [v for v in members["election_voter"] if v["round_id"] == round_id]
    # The position in the file is all an archive's ballot has for an order: it is its "id".
    ballots = [
        dict(b, id=f"line-{n}")
        for n, b in enumerate(members["election_ballot"])
        if b["round_id"] == round_id and b["filled"]
    ]
    assert len(voters) == len(ballots) == 12
    voter_table = Table("election_voter", list(voters[0]), voters)
    ballot_table = Table("election_ballot", list(ballots[0]), ballots)
    return link_attacks(voters, ballots, voter_table, ballot_table, truth)


async def test_the_archive_and_its_restored_copy_link_no_department_to_its_choice(
    seeded: Seeded, target: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id, truth, order, secrets = await _secret_election(seeded)
    path = tmp_path / "backup.zip"
    await backup(seeded.db, path)
    members = _members(path)
    # The ballots say what was voted (the count can be checked again) and nothing else:
    assert sorted(b["choice"] for b in members["election_ballot"] if b["filled"]) == sorted(
        truth.values()
    )
    assert all(
        set(b) == {"round_id", "receipt", "key_hash", "filled", "choice", "payload"}
        for b in members["election_ballot"]
    )
    assert all(v["open_choice"] is None for v in members["election_voter"])
    # no attack by order or shared value works on the archive,
    assert _attacks(path, round_id, truth) == []
    # no ballot value is in another member, and no ballot key is anywhere in the file.
    ballot_values = {str(b[c]) for b in members["election_ballot"] for c in ("receipt", "key_hash")}
    for name, rows in members.items():
        if name == "election_ballot":
            continue
        for row in rows:
            assert not {str(v) for v in row.values()} & ballot_values, name
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist()) + path.read_bytes()
    assert not any(s.encode() in everything for s in secrets[1::2])

    # Restored, on either engine: the tables (rowid, xmin, ctid included) link nothing either.
    await restore(target, path)
    tables = await dump(target)
    voter_table, ballot_table = tables["election_voter"], tables["election_ballot"]
    voters = [v for v in voter_table.rows if v["round_id"] == round_id]
    ballots = [b for b in ballot_table.rows if b["round_id"] == round_id and b["filled"]]
    assert len(voters) == len(ballots) == 12
    assert link_attacks(voters, ballots, voter_table, ballot_table, truth) == []
    old_ids = {b["id"] for b in (await dump(seeded.db))["election_ballot"].rows}
    assert not old_ids & {b["id"] for b in ballot_table.rows}  # new random ids

    # The control: ballots written in their voters' order are linked, every one of them.
    def in_voting_order(rows: list[dict[str, Any]]) -> None:
        voter_of = {choice: department for department, choice in truth.items()}
        rows.sort(key=lambda b: (not b["filled"], order.index(voter_of.get(b["choice"], order[0]))))

    monkeypatch.setattr(storage.backup._random, "shuffle", in_voting_order)
    leaky = tmp_path / "leaky.zip"
    await backup(seeded.db, leaky)
    assert _attacks(leaky, round_id, truth)
