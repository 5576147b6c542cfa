"""Award ballots at rest on SQLite: between two award votes, and after the count, the files hold
the current state only (the WAL checkpointed to nothing, freed pages zeroed, no empty ballot a
vote replaced), as storage/elections.py "Secrecy at rest" promises for every ballot row; and the
same votes without erasure leave the history readable (so the checks can fail)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from sqlalchemy import text

from bot.domain.awards import AwardKind, AwardRule, AwardRules, Base, Ties
from bot.services import awards as W
from tests.awards.support import add_departments, open_award
from tests.elections.conftest import NOW, Seeded
from tests.elections.test_secrecy_at_rest import NeverErases, _seed, free_pages, sqlite_files

RULES = AwardRules(collective=AwardRule(Fraction(1, 2), Base.ROLL, 3, Ties.NONE))


async def _key_hashes(seeded: Seeded, round_id: int) -> set[str]:
    async with seeded.db.session(write=False) as s:
        rows = await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            text("SELECT key_hash FROM election_ballot WHERE round_id = :r"),
            params={"r": round_id},
        )
        return set(rows.scalars())


async def _vote_some(seeded: Seeded) -> tuple[int, set[str], set[str]]:
    """Open a collective vote on 12 departments; 6 vote. Returns the round, the placeholder key
    hashes the votes replaced, and those still empty."""
    await add_departments(seeded, [f"don-vi-{n:02}" for n in range(5)])
    opened = await open_award(seeded, AwardKind.COLLECTIVE, RULES)
    before = await _key_hashes(seeded, opened.round_id)
    clock = NOW
    for n, department in enumerate(sorted(seeded.ids.values())[:6]):
        clock += timedelta(minutes=1)
        async with seeded.db.session() as s:
            result = await W.cast_award_ballot(
                s, opened.round_id, department, 5000 + n, frozenset({n % 4}), frozenset(), clock
            )
        assert result.ok
    after = await _key_hashes(seeded, opened.round_id)
    return opened.round_id, before - after, before & after


async def test_sqlite_keeps_no_history_of_award_ballots(sqlite_url: str) -> None:
    seeded = await _seed(sqlite_url)
    try:
        round_id, replaced, _ = await _vote_some(seeded)
        assert len(replaced) == 6

        def check() -> None:
            files = sqlite_files(seeded.db)
            assert "-journal" not in files and not files.get("-wal")
            for name, data in files.items():
                assert not any(p.encode() in data for p in replaced), name
            assert all(page == bytes(len(page)) for page in free_pages(files["db"]))

        check()
        async with seeded.db.session() as s:
            assert await W.close_award(s, round_id, NOW + timedelta(hours=1), 1, "vi")
        check()
    finally:
        await seeded.db.dispose()


async def test_without_erasure_the_history_is_there(sqlite_url: str) -> None:
    seeded = await _seed(sqlite_url, NeverErases)
    try:
        _, replaced, _ = await _vote_some(seeded)
        files = sqlite_files(seeded.db)
        assert files.get("-wal")
        assert any(p.encode() in data for p in replaced for data in files.values())
    finally:
        await seeded.db.dispose()
