"""Award proposals (bình xét, suy tôn): the rules, with no Telegram and no SQL.

The cluster proposes awards by secret ballot, on the election machinery (one department, one
ballot, receipts and keys as in `bot.domain.elections`). Three kinds:

* the Emulation Flag (Cờ thi đua, `flag`): one unit. Each department approves at most one
  candidate (approval voting with one seat). Candidates: an explicit list from the head, else
  the top of the ranking (`ranking_order`, once scoring and ranking exist), else every member.
* the Certificate of Merit for collectives (Bằng khen tập thể, `collective`): up to `seats`
  units in one ballot; each department approves up to `seats` of them.
* the Certificate of Merit for individuals (Bằng khen cá nhân, `individual`): departments
  nominate their people; each ballot says yes, no or nothing on every nominee.

A candidate (or nominee) is proposed when its approvals (yes votes) reach the award's
`threshold`, counted on the whole roll or on the ballots cast as the cluster file declares
(`of`), and it is among the `seats` best (0: no limit). A tie across the last seat is resolved
as declared (`ties`): `none` proposes none of the tied and leaves them to the head, `all`
proposes all of them, `ranking` takes them in ranking order (the candidates' order when no
ranking exists).

A ballot is stored as a fixed-width payload (`PAYLOAD_WIDTH` characters, one per candidate
slot, whatever the kind), so that no ballot row is longer than another; see `storage/elections.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import PlainValidator, StrictBool, StrictInt, ValidationError, model_validator

from bot.domain.elections import Mode, parse_fraction
from bot.domain.file_errors import FileError, FileTable, at, fail, file_errors, otherwise

MAX_SLOTS = 32  # candidates or nominees in one ballot: a bit each in the buttons' 32-bit masks
PAYLOAD_WIDTH = MAX_SLOTS
BLANK, YES, NO = "0", "1", "2"  # one payload character per slot


class AwardKind(StrEnum):
    FLAG = "flag"
    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"


class Base(StrEnum):
    ROLL = "roll"  # the threshold is a share of every department on the roll
    CAST = "cast"  # ... of the ballots cast


class Ties(StrEnum):
    NONE = "none"  # nobody tied across the last seat is proposed; the head decides
    ALL = "all"  # everybody tied across the last seat is proposed
    RANKING = "ranking"  # the ranking order (or the candidates' order) breaks the tie


@dataclass(frozen=True)
class AwardRule:
    """One award's threshold and seats, as the cluster file declares them."""

    threshold: Fraction
    of: Base = Base.ROLL
    seats: int = 1  # 0: no limit (individuals)
    ties: Ties = Ties.NONE

    def problems(self) -> list[str]:
        found: list[str] = []
        if not 0 < self.threshold <= 1:
            found.append("bad_threshold")
        if not 0 <= self.seats <= MAX_SLOTS:
            found.append("bad_seats")
        return found


DEFAULT_RULES: dict[AwardKind, AwardRule] = {
    AwardKind.FLAG: AwardRule(Fraction(2, 3), Base.ROLL, 1, Ties.NONE),
    AwardKind.COLLECTIVE: AwardRule(Fraction(1, 2), Base.ROLL, 2, Ties.NONE),
    AwardKind.INDIVIDUAL: AwardRule(Fraction(1, 2), Base.ROLL, 0, Ties.NONE),
}


@dataclass(frozen=True)
class AwardRules:
    flag: AwardRule = DEFAULT_RULES[AwardKind.FLAG]
    collective: AwardRule = DEFAULT_RULES[AwardKind.COLLECTIVE]
    individual: AwardRule = DEFAULT_RULES[AwardKind.INDIVIDUAL]
    mode: Mode = Mode.SECRET
    allow_replace: bool = True
    voting_minutes: int = 24 * 60

    def rule(self, kind: AwardKind) -> AwardRule:
        rule: AwardRule = getattr(self, kind.value)
        return rule


# --------------------------------------------------------------------------------------------
# The [awards] table of the cluster file


_Share = Annotated[Fraction, PlainValidator(parse_fraction), otherwise("bad_fraction")]
_Number = Annotated[StrictInt, otherwise("bad_number")]


class AwardTable(FileTable):
    """`[awards.flag]`, `[awards.collective]`, `[awards.individual]`: a key left out keeps the
    kind's default (DEFAULT_RULES)."""

    threshold: _Share | None = None
    of: Annotated[Literal["roll", "cast"], otherwise("bad_choice", allowed="roll, cast")] | None = (
        None
    )
    seats: _Number | None = None
    ties: (
        Annotated[
            Literal["none", "all", "ranking"], otherwise("bad_choice", allowed="none, all, ranking")
        ]
        | None
    ) = None

    def rule(self, kind: AwardKind) -> AwardRule:
        default = DEFAULT_RULES[kind]
        return AwardRule(
            threshold=default.threshold if self.threshold is None else self.threshold,
            of=default.of if self.of is None else Base(self.of),
            seats=default.seats if self.seats is None else self.seats,
            ties=default.ties if self.ties is None else Ties(self.ties),
        )


class AwardsTable(FileTable):
    """The `[awards]` table as written."""

    flag: AwardTable | None = None
    collective: AwardTable | None = None
    individual: AwardTable | None = None
    mode: Annotated[Mode, otherwise("bad_choice", allowed="secret")] = Mode.SECRET
    allow_replace: Annotated[StrictBool, otherwise("bad_bool")] = True
    voting_minutes: _Number = 24 * 60

    @model_validator(mode="after")
    def _workable(self) -> AwardsTable:
        found = []
        if self.mode is not Mode.SECRET:  # open award votes are not built (yet)
            found.append(at(("mode",), "bad_choice", value=self.mode.value, allowed="secret"))
        if not 1 <= self.voting_minutes <= 60 * 24 * 31:
            found.append(
                at(("voting_minutes",), "bad_voting_minutes", value=str(self.voting_minutes))
            )
        for kind in AwardKind:
            written: AwardTable | None = getattr(self, kind.value)
            rule = (written or AwardTable()).rule(kind)
            for code in rule.problems():
                key = code.removeprefix("bad_")
                found.append(at((kind.value, key), code, value=str(getattr(rule, key))))
            if kind is AwardKind.FLAG and rule.seats != 1:
                found.append(at((kind.value, "seats"), "flag_one_seat", value=str(rule.seats)))
        if found:
            fail(found)
        return self

    def rules(self) -> AwardRules:
        return AwardRules(
            **{k.value: (getattr(self, k.value) or AwardTable()).rule(k) for k in AwardKind},
            mode=self.mode,
            allow_replace=self.allow_replace,
            voting_minutes=self.voting_minutes,
        )


def parse_award_rules(table: Mapping[str, Any]) -> tuple[AwardRules, list[FileError]]:
    """The `[awards]` table (as stored from the cluster file). With any error the defaults
    are returned, nothing half-applied."""
    try:
        return AwardsTable.model_validate(dict(table)).rules(), []
    except ValidationError as exc:
        return AwardRules(), file_errors(exc, "awards")


# --------------------------------------------------------------------------------------------
# Candidates


def flag_candidates(
    members: Sequence[int],
    explicit: Sequence[int] | None = None,
    ranking_order: Sequence[int] | None = None,
    from_ranking: int = 3,
) -> tuple[int, ...]:
    """Who stands for the Flag: the head's explicit list; else the first `from_ranking` of the
    ranking (`ranking_order`: department ids, best first, when scoring has ranked the year);
    else every member, in roll order. Only members stand."""
    allowed = set(members)
    if explicit:
        return tuple(dict.fromkeys(c for c in explicit if c in allowed))
    if ranking_order:
        return tuple(dict.fromkeys(c for c in ranking_order if c in allowed))[:from_ranking]
    return tuple(members)


# --------------------------------------------------------------------------------------------
# Ballots: what a department may send, and its fixed-width payload


def approval_refusal(approved: Iterable[int], slots: int, seats: int) -> str | None:
    """Why a set of approved slots (positions in the candidate list) is not a valid ballot."""
    chosen = list(approved)
    if len(set(chosen)) != len(chosen) or any(not 0 <= s < slots for s in chosen):
        return "not_candidate"
    if seats and len(chosen) > seats:
        return "too_many_approvals"
    return None


def encode_approvals(approved: Iterable[int]) -> str:
    slots = set(approved)
    if any(not 0 <= s < MAX_SLOTS for s in slots):
        raise ValueError("slot out of range")
    return "".join(YES if s in slots else BLANK for s in range(PAYLOAD_WIDTH))


def decode_approvals(payload: str) -> frozenset[int]:
    return frozenset(i for i, ch in enumerate(payload) if ch == YES)


def encode_verdicts(verdicts: Mapping[int, bool]) -> str:
    """Per nominee slot: True (yes), False (no), absent (no opinion)."""
    if any(not 0 <= s < MAX_SLOTS for s in verdicts):
        raise ValueError("slot out of range")
    return "".join(
        BLANK if s not in verdicts else (YES if verdicts[s] else NO) for s in range(PAYLOAD_WIDTH)
    )


def decode_verdicts(payload: str) -> dict[int, bool]:
    return {i: ch == YES for i, ch in enumerate(payload) if ch in (YES, NO)}


def blank_payload() -> str:
    return BLANK * PAYLOAD_WIDTH


def mask_of(slots: Iterable[int]) -> int:
    return sum(1 << s for s in set(slots))


def slots_of(mask: int) -> frozenset[int]:
    return frozenset(i for i in range(MAX_SLOTS) if mask >> i & 1)


# --------------------------------------------------------------------------------------------
# Counting


def reaches(votes: int, cast: int, roll_size: int, rule: AwardRule) -> bool:
    """At least `threshold` of the roll (or of the ballots cast); never with no vote."""
    base = roll_size if rule.of is Base.ROLL else cast
    t = rule.threshold
    return votes > 0 and base > 0 and votes * t.denominator >= t.numerator * base


@dataclass(frozen=True)
class Selection:
    proposed: tuple[int, ...]  # in order: most votes first
    reached: tuple[int, ...]  # every candidate reaching the threshold, same order
    tied_out: tuple[int, ...] = ()  # reached, tied across the last seat, left to the head


def select(
    counts: Mapping[int, int],
    order: Sequence[int],
    reached: Iterable[int],
    seats: int,
    ties: Ties,
    ranking_order: Sequence[int] | None = None,
) -> Selection:
    """The proposed among those reaching the threshold: the `seats` with most votes (all when
    seats == 0), a tie across the last seat resolved as `ties` says."""
    tiebreak = list(ranking_order or ()) + [c for c in order if c not in (ranking_order or ())]
    rank = {c: i for i, c in enumerate(tiebreak)}
    passing = sorted(set(reached), key=lambda c: (-counts[c], rank.get(c, len(rank))))
    if seats == 0 or len(passing) <= seats:
        return Selection(tuple(passing), tuple(passing))
    cutoff = counts[passing[seats - 1]]
    above = [c for c in passing if counts[c] > cutoff]
    at_cutoff = [c for c in passing if counts[c] == cutoff]
    if len(above) + len(at_cutoff) == seats or ties is Ties.RANKING:
        return Selection(tuple(passing[:seats]), tuple(passing))
    if ties is Ties.ALL:
        return Selection(tuple(above + at_cutoff), tuple(passing))
    return Selection(tuple(above), tuple(passing), tuple(at_cutoff))


@dataclass(frozen=True)
class ApprovalTally:
    """The count of a Flag or collective ballot."""

    candidates: tuple[int, ...]
    counts: dict[int, int]
    cast: int
    blank: int  # ballots approving nobody
    spoiled: int  # ballots over `seats` approvals (refused on arrival; never counted)
    roll_size: int
    rule: AwardRule
    selection: Selection

    @property
    def proposed(self) -> tuple[int, ...]:
        return self.selection.proposed

    def reached(self, candidate: int) -> bool:
        return candidate in self.selection.reached


def tally_approvals(
    candidates: Sequence[int],
    ballots: Iterable[frozenset[int]],
    roll_size: int,
    rule: AwardRule,
    ranking_order: Sequence[int] | None = None,
) -> ApprovalTally:
    """Count approval ballots: each is the set of candidates (ids) it approves. A ballot with
    more than `seats` approvals, or approving a non-candidate, counts as cast but approves
    nobody (spoiled)."""
    counts = {c: 0 for c in candidates}
    cast = blank = spoiled = 0
    for approved in ballots:
        cast += 1
        if (rule.seats and len(approved) > rule.seats) or not approved <= counts.keys():
            spoiled += 1
            continue
        if not approved:
            blank += 1
        for c in approved:
            counts[c] += 1
    if cast > roll_size:
        raise ValueError(f"{cast} ballots for a roll of {roll_size}")
    reached = [c for c in candidates if reaches(counts[c], cast, roll_size, rule)]
    selection = select(counts, candidates, reached, rule.seats, rule.ties, ranking_order)
    return ApprovalTally(
        tuple(candidates), counts, cast, blank, spoiled, roll_size, rule, selection
    )


@dataclass(frozen=True)
class VerdictTally:
    """The count of an individuals' ballot: yes and no per nominee."""

    nominees: tuple[int, ...]
    yes: dict[int, int]
    no: dict[int, int]
    cast: int
    roll_size: int
    rule: AwardRule
    selection: Selection = field(default=Selection((), ()))

    @property
    def proposed(self) -> tuple[int, ...]:
        return self.selection.proposed

    def reached(self, nominee: int) -> bool:
        return nominee in self.selection.reached


def tally_verdicts(
    nominees: Sequence[int],
    ballots: Iterable[Mapping[int, bool]],
    roll_size: int,
    rule: AwardRule,
) -> VerdictTally:
    """Count yes/no ballots: each maps a nominee to True (yes) or False (no); a nominee left
    out is neither. A verdict on someone who is not a nominee is ignored."""
    yes = {n: 0 for n in nominees}
    no = {n: 0 for n in nominees}
    cast = 0
    for verdicts in ballots:
        cast += 1
        for n, verdict in verdicts.items():
            if n in yes:
                (yes if verdict else no)[n] += 1
    if cast > roll_size:
        raise ValueError(f"{cast} ballots for a roll of {roll_size}")
    reached = [n for n in nominees if reaches(yes[n], cast, roll_size, rule)]
    selection = select(yes, nominees, reached, rule.seats, rule.ties)
    return VerdictTally(tuple(nominees), yes, no, cast, roll_size, rule, selection)


# --------------------------------------------------------------------------------------------
# Nominations


NAME_MAX, POSITION_MAX, ACHIEVEMENTS_MAX = 120, 200, 1000


def nomination_problem(step: str, text: str) -> str | None:
    """Why an answer in the nomination conversation is refused (step: name | position |
    achievements)."""
    limit = {"name": NAME_MAX, "position": POSITION_MAX, "achievements": ACHIEVEMENTS_MAX}[step]
    cleaned = " ".join(text.split())
    if not cleaned:
        return "empty"
    if len(cleaned) > limit:
        return "too_long"
    return None
