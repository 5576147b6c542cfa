"""The proposal for awards (tờ trình đề nghị khen thưởng) as a .docx, from an
:class:`~bot.domain.documents.AwardProposal`: addressed ("Kính gửi:") to the body that decides
the awards, with the nominees: the unit(s) for the Emulation Flag and the collectives for the
Certificate of Merit with their votes, and the individuals with their name, position and an
account of their achievements. The layout is :mod:`bot.reports.documents.layout`'s (Decree
30/2020/NĐ-CP). Written only when there is something to propose.
"""

from __future__ import annotations

from docx.document import Document

from bot.domain.documents import DOCUMENT_CODES, ISSUER_CODE, AwardProposal, UnitNominee
from bot.reports.documents import layout
from bot.reports.documents.layout import Words

__all__ = ["build_proposal"]


def build_proposal(proposal: AwardProposal, lang: str) -> bytes:
    words = Words(lang)
    doc = layout.new_document()
    layout.heading(doc, words, proposal.heading, f"{DOCUMENT_CODES['proposal']}-{ISSUER_CODE}")
    layout.title(doc, words("proposal_kind"), words("proposal_subject", year=proposal.year))
    layout.addressee(doc, words, proposal.addressee)
    layout.paragraph(doc, words("proposal_lead", cluster=proposal.cluster, year=proposal.year))

    part = 0
    for key, units in (
        ("section_flag", proposal.flag),
        ("section_collectives", proposal.collectives),
    ):
        if units:
            part += 1
            layout.section(doc, part, words(key))
            _units(doc, units, words)
    if proposal.individuals:
        part += 1
        layout.section(doc, part, words("section_individuals"))
        layout.data_table(
            doc,
            [words("col_no"), words("col_name"), words("col_position"), words("col_achievements")],
            [
                [
                    str(n),
                    p.name,
                    words("position_at", position=p.position, department=p.department),
                    p.achievements,
                ]
                for n, p in enumerate(proposal.individuals, start=1)
            ],
            (12, 40, 50, 63),
        )
    collectives = len(proposal.flag) + len(proposal.collectives)
    layout.paragraph(
        doc, words("proposal_totals", units=collectives, people=len(proposal.individuals))
    )
    layout.paragraph(doc, words("proposal_closing"))
    recipients = [
        words("recipient_as_above"),
        words("recipient_members"),
        words("recipient_archive"),
    ]
    layout.closing(doc, words, recipients, [proposal.signature])
    return layout.to_bytes(doc)


def _units(doc: Document, units: tuple[UnitNominee, ...], words: Words) -> None:
    with_votes = any(u.votes is not None for u in units)
    with_account = any(u.achievements for u in units)
    headers = [words("col_no"), words("col_department")]
    widths: list[float] = [12]
    if with_account:
        headers.append(words("col_achievements"))
    if with_votes:
        headers.append(words("col_votes"))
    rest = 165 - 12 - (30 if with_votes else 0)
    widths += [rest / 2, rest / 2] if with_account else [rest]
    if with_votes:
        widths.append(30)
    rows = []
    for n, u in enumerate(units, start=1):
        row = [str(n), u.department]
        if with_account:
            row.append(u.achievements)
        if with_votes:
            row.append(
                words("votes_of", votes=u.votes, base=u.base) if u.votes is not None else "—"
            )
        rows.append(row)
    layout.data_table(
        doc, headers, rows, widths, right_aligned=(len(headers) - 1,) if with_votes else ()
    )
