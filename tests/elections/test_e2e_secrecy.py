"""Secret mode through the whole bot: after a real election (buttons, receipts, group posts,
the delivery log), nothing in the database or the log output links a department to its choice.
The ordering attacks need more departments to be conclusive: see test_secrecy.py."""

from __future__ import annotations

import logging
import re

import pytest

from bot.domain import elections as E
from tests.conftest import Cluster
from tests.elections.test_e2e_elections import SLUGS, close_by_time, open_election, vote
from tests.elections.test_secrecy import dump, link_attacks

CHOICES = {
    "bac-kan": "bac-giang",
    "bac-giang": "thai-nguyen",
    "thai-nguyen": "hoa-binh",
    "hoa-binh": "yen-bai",
    "yen-bai": "phu-tho",
    "phu-tho": "tuyen-quang",
    "tuyen-quang": None,
}


async def test_after_a_secret_election_nothing_links_a_department_to_its_choice(
    ecluster: Cluster, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    for ours in ("bot", "storage", "messages"):
        caplog.set_level(logging.DEBUG, logger=ours)
    c = ecluster
    await open_election(c, "2024")
    receipts: dict[str, str] = {}
    for slug in SLUGS:
        receipt = await vote(c, slug, CHOICES[slug])
        receipts[slug] = receipt.text.split("Mã phiếu: ")[1][:9]
        keys = [d for _, d in receipt.buttons if d and d.startswith("er:")]
        assert keys
    await close_by_time(c)
    assert c.h.db is not None
    tables = await dump(c.h.db)
    departments = {row["slug"]: row["id"] for row in tables["department"].rows}
    ids = {departments[s]: (departments[v] if v else 0) for s, v in CHOICES.items()}
    round_id = min(r["id"] for r in tables["election_round"].rows)
    voters = [v for v in tables["election_voter"].rows if v["round_id"] == round_id]
    ballots = [
        b for b in tables["election_ballot"].rows if b["round_id"] == round_id and b["filled"]
    ]
    assert sorted(b["choice"] for b in ballots) == sorted(ids.values())
    assert all(v["open_choice"] is None for v in voters)
    leaks = [
        leak
        for leak in link_attacks(
            voters, ballots, tables["election_voter"], tables["election_ballot"], ids
        )
        if not leak.startswith("pairing")  # 7 departments are too few to judge orderings
    ]
    assert leaks == []
    # A receipt code is public once counted, but no row that holds one names a department or
    # a person: the group's result in the delivery log has neither.
    codes = {E.normalize_code(code) for code in receipts.values()} | set(receipts.values())
    people = {row["id"] for row in tables["person"].rows}
    for table in tables.values():
        if table.name == "election_ballot":
            continue
        for row in table.rows:
            text = " ".join(str(v) for v in row.values())
            if any(code and code in text for code in codes):
                assert row.get("department_id") is None, (table.name, row)
                assert not any(v in people for v in row.values() if isinstance(v, int)), (
                    table.name,
                    row,
                )
    # The log says nothing about ballots.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(code and code in logged for code in codes)
    assert not re.search(r"\be[vrx]:\d+:", logged)  # no button data either
