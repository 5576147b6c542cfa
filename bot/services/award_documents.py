"""The year's award votes as the documents show them: the votes in the minutes of the
conference (biên bản hội nghị) and the proposal for awards (tờ trình đề nghị khen thưởng), from
the counted award votes (bot/services/awards.py, recounted from their ballots)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.awards import AwardKind, Base, VerdictTally
from bot.domain.documents import (
    AwardProposal,
    AwardVote,
    Heading,
    PersonNominee,
    Signature,
    UnitNominee,
)
from bot.services import awards
from storage.models import Department


def _name(department: Department | None, lang: str) -> str:
    if department is None:
        return ""
    return department.name_en if lang == "en" and department.name_en else department.name


async def award_parts(
    session: AsyncSession,
    cluster_id: str,
    cluster_name: str,
    year: int,
    lang: str,
    by_id: Mapping[int, Department],
    heading: Heading,
    signer: str,
) -> tuple[tuple[AwardVote, ...], AwardProposal | None]:
    """(every candidate's or nominee's vote, the proposal); the proposal is None when no award
    vote of the year proposes anybody."""
    votes: list[AwardVote] = []
    flag: list[UnitNominee] = []
    collectives: list[UnitNominee] = []
    individuals: list[PersonNominee] = []
    for result in await awards.year_results(session, cluster_id, year):
        tally = result.tally
        base = tally.roll_size if result.rule.of is Base.ROLL else tally.cast
        if isinstance(tally, VerdictTally):
            for slot, nominee in enumerate(result.nominees):
                department = _name(by_id.get(nominee.department_id), lang)
                votes.append(
                    AwardVote(
                        result.kind.value,
                        f"{nominee.name} ({department})",
                        tally.yes[slot],
                        base,
                        slot in tally.proposed,
                    )
                )
                if slot in tally.proposed:
                    individuals.append(
                        PersonNominee(nominee.name, nominee.title, department, nominee.achievements)
                    )
            continue
        for candidate in result.candidates:
            name = _name(by_id.get(candidate), lang)
            proposed = candidate in tally.proposed
            votes.append(
                AwardVote(result.kind.value, name, tally.counts[candidate], base, proposed)
            )
        chosen = [
            UnitNominee(_name(by_id.get(c), lang), tally.counts[c], base) for c in tally.proposed
        ]
        (flag if result.kind is AwardKind.FLAG else collectives).extend(chosen)
    proposal = AwardProposal(
        heading=heading,
        cluster=cluster_name,
        year=year,
        signature=Signature("head", signer),
        flag=tuple(flag),
        collectives=tuple(collectives),
        individuals=tuple(individuals),
    )
    return tuple(votes), None if proposal.empty else proposal
