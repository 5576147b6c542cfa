"""The year's award votes in the documents: the minutes list every candidate's and nominee's
votes, the proposal names who reached the threshold (opened with python-docx)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.awards import AwardKind
from bot.reports.documents import build_documents
from bot.services import awards as W
from bot.services.documents import documents_for
from storage import awards as A
from tests.awards.support import open_award
from tests.documents.reading import lines, load
from tests.elections.conftest import NOW, Seeded

LATER = NOW + timedelta(hours=1)


async def _vote(seeded: Seeded, round_id: int, slugs: list[str], yes: set[int], no=()) -> None:
    for slug in slugs:
        async with seeded.db.session() as s:
            department = seeded.ids[slug]
            result = await W.cast_award_ballot(
                s, round_id, department, department, frozenset(yes), frozenset(no), NOW
            )
        assert result.ok


async def _close(seeded: Seeded, round_id: int) -> None:
    async with seeded.db.session() as s:
        assert await W.close_award(s, round_id, LATER, 1, "vi") is not None


async def test_the_proposal_and_the_minutes_come_from_the_counted_votes(seeded: Seeded):
    async with seeded.db.session() as s:
        empty = await documents_for(s, seeded.cluster_id, 2023, "vi", now=LATER)
    assert empty is not None and empty.proposal is None and "no_awards" in empty.notes
    everyone = ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho"]
    flag = await open_award(seeded, AwardKind.FLAG)
    await _vote(seeded, flag.round_id, everyone, {0})  # Bắc Kạn, first on the roll
    await _close(seeded, flag.round_id)
    collective = await open_award(seeded, AwardKind.COLLECTIVE)
    await _vote(seeded, collective.round_id, everyone[:4], {1, 2})
    await _close(seeded, collective.round_id)
    async with seeded.db.session() as s:
        draft = await A.start_nomination(
            s, seeded.cluster_id, 2023, seeded.ids["hoa-binh"], 7001, NOW
        )
        for answer in ("Đinh Văn Nam", "Phó Giám đốc Sở", "Chỉ đạo sắp xếp tổ chức bộ máy"):
            await A.save_nomination_step(s, draft, answer)
    individual = await open_award(seeded, AwardKind.INDIVIDUAL)
    await _vote(seeded, individual.round_id, everyone[:5], {0})
    await _close(seeded, individual.round_id)

    async with seeded.db.session() as s:
        found = await documents_for(s, seeded.cluster_id, 2023, "vi", now=LATER)
    assert found is not None and found.proposal is not None and "no_awards" not in found.notes
    proposal = found.proposal
    assert [(u.department, u.votes, u.base) for u in proposal.flag] == [
        ("Sở Nội vụ tỉnh Bắc Kạn", 6, 7)
    ]
    assert [u.department for u in proposal.collectives] == [
        "Sở Nội vụ tỉnh Bắc Giang",
        "Sở Nội vụ tỉnh Thái Nguyên",
    ]
    assert [(p.name, p.position) for p in proposal.individuals] == [
        ("Đinh Văn Nam", "Phó Giám đốc Sở")
    ]
    assert found.minutes is not None
    votes = {(v.award, v.nominee): (v.votes, v.base, v.passed) for v in found.minutes.award_votes}
    assert votes[("flag", "Sở Nội vụ tỉnh Bắc Kạn")] == (6, 7, True)
    assert votes[("flag", "Sở Nội vụ tỉnh Bắc Giang")] == (0, 7, False)
    assert votes[("individual", "Đinh Văn Nam (Sở Nội vụ tỉnh Hòa Bình)")] == (5, 7, True)
    built = {b.kind: b for b in build_documents(found, "vi")}
    text = "\n".join(lines(load(built["proposal"].data)))
    assert "Sở Nội vụ tỉnh Bắc Kạn" in text and "Đinh Văn Nam" in text
    assert "Chỉ đạo sắp xếp tổ chức bộ máy" in text
    minutes = "\n".join(lines(load(built["minutes"].data)))
    assert "Đinh Văn Nam" in minutes
