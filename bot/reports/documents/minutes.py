"""The minutes of the annual conference (biên bản hội nghị) as a .docx, from a
:class:`~bot.domain.documents.ConferenceMinutes`.

Its parts: I. who attended (the guests, when the minutes name any; the member departments that
took part in the conference's votes, and who was absent); the award votes, once the cluster
votes awards in the bot; the election of next year's head and deputy, round by round with the
counts; the conclusion. Signed by the secretary and the chair. The layout is
:mod:`bot.reports.documents.layout`'s (Decree 30/2020/NĐ-CP).
"""

from __future__ import annotations

from docx.document import Document

from bot.domain.documents import (
    DOCUMENT_CODES,
    ISSUER_CODE,
    ConferenceMinutes,
    ElectionRecord,
)
from bot.reports.documents import layout
from bot.reports.documents.layout import Words

__all__ = ["build_minutes"]


def build_minutes(minutes: ConferenceMinutes, lang: str) -> bytes:
    words = Words(lang)
    doc = layout.new_document()
    layout.heading(doc, words, minutes.heading, f"{DOCUMENT_CODES['minutes']}-{ISSUER_CODE}")
    layout.title(doc, words("minutes_kind"), words("minutes_subject", year=minutes.year))
    election = minutes.election
    if election is not None and election.held_on is not None:
        layout.paragraph(doc, words("minutes_time", day=election.held_on))

    part = 1
    layout.section(doc, part, words("section_attendance"))
    if minutes.guests:
        layout.paragraph(doc, words("attendance_guests", names=list(minutes.guests)))
    if election is not None:
        present = [d for d in election.roll if d in set(election.voted)]
        absent = [d for d in election.roll if d not in set(election.voted)]
        layout.paragraph(doc, words("attendance_members", n=len(present), total=len(election.roll)))
        for n, name in enumerate(present, start=1):
            layout.paragraph(doc, f"{n}. {name}")
        if absent:
            layout.paragraph(doc, words("attendance_absent", names=absent))
    else:
        layout.paragraph(doc, words("attendance_unknown", total=len(minutes.members)))
        for n, name in enumerate(minutes.members, start=1):
            layout.paragraph(doc, f"{n}. {name}")

    if minutes.award_votes:
        part += 1
        layout.section(doc, part, words("section_awards"))
        layout.data_table(
            doc,
            [
                words("col_no"),
                words("col_award"),
                words("col_nominee"),
                words("col_votes"),
                words("col_decision"),
            ],
            [
                [
                    str(n),
                    words("award_name", award=v.award),
                    v.nominee,
                    words("votes_of", votes=v.votes, base=v.base),
                    words("award_passed", passed=v.passed),
                ]
                for n, v in enumerate(minutes.award_votes, start=1)
            ],
            (12, 40, 58, 22, 33),
            right_aligned=(3,),
        )

    if election is not None:
        part += 1
        layout.section(doc, part, words("section_election", term=election.term))
        _election(doc, election, words)
        part += 1
        layout.section(doc, part, words("section_conclusion"))
        _conclusion(doc, election, words)
        layout.paragraph(doc, words("minutes_source", secret=election.secret), italic=True)

    recipients = [words("recipient_members"), words("recipient_archive")]
    layout.closing(doc, words, recipients, list(minutes.signatures))
    return layout.to_bytes(doc)


def _election(doc: Document, election: ElectionRecord, words: Words) -> None:
    layout.paragraph(
        doc,
        words(
            "election_rules",
            secret=election.secret,
            quorum=election.quorum,
            majority=election.majority,
            majority_of=election.majority_of,
        ),
    )
    for r in election.rounds:
        heading = layout.paragraph(
            doc, words("round_title", office=r.office, label=r.office_label, number=r.number)
        )
        heading.runs[0].bold = True
        heading.paragraph_format.keep_with_next = True
        layout.paragraph(
            doc,
            words(
                "round_turnout",
                cast=r.cast,
                roll=r.roll_size,
                blank=r.blank,
                quorum_met=r.quorum_met,
            ),
        )
        layout.data_table(
            doc,
            [words("col_no"), words("col_department"), words("col_votes")],
            [
                [str(n), name, words("votes_of", votes=votes, base=r.cast)]
                for n, (name, votes) in enumerate(r.counts, start=1)
            ],
            (12, 118, 35),
            right_aligned=(2,),
        )
        if r.outcome == "elected" and r.winner:
            outcome = words(
                "round_elected",
                winner=r.winner,
                office=r.office,
                label=r.office_label,
                term=election.term,
                votes=dict(r.counts).get(r.winner, 0),
                cast=r.cast,
            )
        elif r.outcome == "reballot":
            outcome = words("round_reballot")
        elif r.outcome == "repeat":
            outcome = words("round_repeat")
        else:
            outcome = words("round_head_decides")
        layout.paragraph(doc, outcome)


def _conclusion(doc: Document, election: ElectionRecord, words: Words) -> None:
    for o in election.offices:
        common = {"office": o.office, "label": o.office_label, "term": election.term}
        if o.department is None:
            text = words("conclusion_none", **common)
        elif o.decided_by_head:
            text = words("conclusion_decided", department=o.department, **common)
        else:
            text = words(
                "conclusion_elected", department=o.department, votes=o.votes, cast=o.cast, **common
            )
        layout.paragraph(doc, "- " + text)
