"""What the cluster's year-end documents say, as plain data: no Telegram, no SQL, no words.

Three documents close an emulation year (see DOMAIN.md, "documents"): the annual review report
(:class:`ReviewReport`, báo cáo tổng kết), the minutes of the annual conference
(:class:`ConferenceMinutes`, biên bản hội nghị) and the proposal for awards
(:class:`AwardProposal`, tờ trình đề nghị khen thưởng). ``bot/services/documents.py`` fills
them from the database; ``bot/reports/documents/`` lays them out as .docx in the administrative
layout of Decree 30/2020/NĐ-CP. Names here are already in the reader's language (the service
picks them); every other word is the builders' (the gettext catalogs).

The award parts (the proposal, the award votes of the minutes, the scores and ranking of the
report) are optional fields that stay empty until the cluster scores and votes awards in the
bot: nothing here invents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = [
    "DOCUMENT_CODES",
    "ISSUER_CODE",
    "AwardProposal",
    "AwardVote",
    "ConferenceMinutes",
    "DocumentSet",
    "ElectionRecord",
    "FigureLine",
    "Heading",
    "OfficeResult",
    "PersonNominee",
    "RoundLine",
    "ScoreLine",
    "Signature",
    "UnitNominee",
    "VoteRound",
    "ReviewReport",
    "decree_date",
    "place_of",
]

ISSUER_CODE = "CTĐ"
"""The issuer's part of the symbol (ký hiệu): "Cụm thi đua", as the cluster's own papers write
it ("Số: .../BC-CTĐ")."""

DOCUMENT_CODES = {"report": "BC", "minutes": "BB", "proposal": "TTr"}
"""The document types' abbreviations of Decree 30/2020/NĐ-CP, Appendix III (báo cáo, biên bản,
tờ trình)."""

_PLACE_WORDS = ("thành phố", "tỉnh")


def place_of(department_name: str) -> str:
    """The place a department's documents are dated at (Decree 30, Appendix I, II.4.a: the
    official name of the administrative unit where the issuer sits): the words after the last
    "tỉnh" or "thành phố" of its name ("Sở Nội vụ tỉnh Tuyên Quang" -> "Tuyên Quang"); "" when
    the name says no province (the line then leaves the place to be filled)."""
    lowered = department_name.lower()
    best = -1
    best_word = ""
    for word in _PLACE_WORDS:
        at = lowered.rfind(word + " ")
        if at > best:
            best, best_word = at, word
    if best < 0:
        return ""
    return department_name[best + len(best_word) :].strip()


def decree_date(day: date) -> tuple[str, str, str]:
    """(day, month, year) as Decree 30 writes a date (Appendix I, II.4.b): a day below 10 and
    the months 1 and 2 take a leading zero ("ngày 05 tháng 01", but "tháng 3")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}", month, str(day.year)


# --------------------------------------------------------------------------- the shared blocks


@dataclass(frozen=True)
class Heading:
    """The blocks above the title (Decree 30, cells 1 to 4): the issuing body under its parent,
    the number line, the place and date.

    ``parent`` is the cluster (the governing body line), ``issuer`` the department heading it
    this year (None when no head is known: the cluster alone then issues). The number is left
    blank, to be filled when the document is signed and registered; so is the date when
    ``signed_on`` is None (``year`` is then printed alone).
    """

    parent: str
    issuer: str | None
    year: int
    place: str = ""
    signed_on: date | None = None


@dataclass(frozen=True)
class Signature:
    """A signature block: ``role`` names the position ("head": the cluster head signing for the
    cluster; "chair", "secretary": of the conference); ``name`` is left blank when unknown."""

    role: str
    name: str = ""


# --------------------------------------------------------------------------- the review report


@dataclass(frozen=True)
class FigureLine:
    """One indicator's figure for the year. ``value`` is the cluster figure by the indicator's
    rule (``rule``: sum, average, min, max, count, none), over ``reported`` of ``expected``
    departments; ``previous`` the year before's (only when both years hold the same periods);
    ``target`` the cluster's pact target (None when some department has none)."""

    label: str
    unit: str
    type: str
    rule: str
    value: Decimal | None
    reported: int
    expected: int
    previous: Decimal | None = None
    target: Decimal | None = None


@dataclass(frozen=True)
class RoundLine:
    """One reporting round of the year: how many departments submitted, how many late."""

    period: str
    deadline: date | None
    submitted: int
    expected: int
    late: int


@dataclass(frozen=True)
class ScoreLine:
    """A department's locked total in the year's ranking (empty until scoring exists)."""

    rank: int
    department: str
    points: Decimal


@dataclass(frozen=True)
class ReviewReport:
    heading: Heading
    cluster: str
    year: int
    members: tuple[str, ...]
    head: str | None
    deputy: str | None
    figures: tuple[FigureLine, ...]
    compiled_from: tuple[str, ...]
    """The periods the year's figures were compiled from (empty: the year's own round)."""
    rounds: tuple[RoundLine, ...]
    submitted: int
    expected: int
    late: tuple[str, ...]
    missing: tuple[str, ...]
    partial: tuple[str, ...]
    highlights: tuple[tuple[str, str], ...]
    """(department, text): the narrative answers of the year."""
    signature: Signature
    scores: tuple[ScoreLine, ...] = ()
    scale: Decimal | None = None


# --------------------------------------------------------------------------- the minutes


@dataclass(frozen=True)
class VoteRound:
    """One ballot round for one office, as counted."""

    office: str  # head | deputy | another key
    office_label: str  # the cluster file's label of another office ("" for head and deputy)
    number: int
    roll_size: int
    cast: int
    blank: int
    quorum_met: bool
    counts: tuple[tuple[str, int], ...]  # (candidate, votes), most votes first
    outcome: str  # elected | reballot | repeat | head_decides
    winner: str | None


@dataclass(frozen=True)
class OfficeResult:
    office: str
    office_label: str
    department: str | None
    votes: int | None
    cast: int | None
    decided_by_head: bool


@dataclass(frozen=True)
class ElectionRecord:
    """The conference's election of next year's head and deputy, from the stored count."""

    title: str
    term: int
    secret: bool
    quorum: str  # "2/3"
    majority: str  # "1/2"
    majority_of: str  # cast | roll
    held_on: date | None
    roll: tuple[str, ...]
    voted: tuple[str, ...]
    """The departments that cast a ballot in at least one round (turnout is public)."""
    rounds: tuple[VoteRound, ...]
    offices: tuple[OfficeResult, ...]


@dataclass(frozen=True)
class AwardVote:
    """One award vote of the conference (empty until award votes run in the bot): ``award`` is
    flag | collective | individual; ``votes`` of ``base`` (the roll or the ballots cast)."""

    award: str
    nominee: str
    votes: int
    base: int
    passed: bool


@dataclass(frozen=True)
class ConferenceMinutes:
    heading: Heading
    cluster: str
    year: int
    members: tuple[str, ...]
    election: ElectionRecord | None
    signatures: tuple[Signature, ...]
    guests: tuple[str, ...] = ()
    """Guests named in the minutes (the ministry's representative...): none are kept yet."""
    award_votes: tuple[AwardVote, ...] = ()

    @property
    def empty(self) -> bool:
        return self.election is None and not self.award_votes


# --------------------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class UnitNominee:
    department: str
    votes: int | None = None
    base: int | None = None
    achievements: str = ""


@dataclass(frozen=True)
class PersonNominee:
    name: str
    position: str
    department: str
    achievements: str


@dataclass(frozen=True)
class AwardProposal:
    heading: Heading
    cluster: str
    year: int
    signature: Signature
    addressee: str = ""
    """Whom the proposal goes to (the ministry's emulation council): "" leaves it to fill."""
    flag: tuple[UnitNominee, ...] = ()
    collectives: tuple[UnitNominee, ...] = ()
    individuals: tuple[PersonNominee, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.flag or self.collectives or self.individuals)


@dataclass(frozen=True)
class DocumentSet:
    """The year's documents that can be written now (None: nothing to write it from)."""

    cluster_id: str
    year: int
    report: ReviewReport | None = None
    minutes: ConferenceMinutes | None = None
    proposal: AwardProposal | None = None
    notes: tuple[str, ...] = field(default=())
    """Why a document is missing: "no_figures", "no_conference", "no_awards"."""

    @property
    def empty(self) -> bool:
        return self.report is None and self.minutes is None and self.proposal is None
