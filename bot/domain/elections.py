"""Elections: one department, one vote. The rules, with no Telegram and no SQL.

An election fills one or more *offices* in order (default: Cụm trưởng, then Cụm phó, for next
year's term). Each office is decided by one or more *ballot rounds*. The roll (the member
departments at opening) is fixed when the election opens; its fingerprint is posted with the
opening announcement so every department can check that nobody was added or left out.

A round is decided like this (`tally`):

1. Quorum: at least `quorum` of the roll cast a ballot (a blank ballot counts as cast).
2. Win: a candidate with strictly more than `majority` of the ballots cast (or of the roll, when
   `majority_of == "roll"`) is elected. A blank ballot (phiếu trắng) is a ballot cast for nobody,
   so it makes winning harder, never easier.
3. Otherwise a new round: among the top `reballot_top` candidates (and everyone tied with the
   last of them) when the quorum was met; among the same candidates when it was not.
4. After `max_rounds` rounds without a winner the head decides, and the minutes say so.

Eligibility: the candidates (default: every department on the roll), less the outgoing head for
the head's office (`no_reelect_head`), less the departments elected to an earlier office of the
same election (`one_office_each`).

A secret ballot carries a receipt code (published at the close, naming a ballot, not a voter)
and a ballot key (only in the department's "replace" button; the server keeps its hash). See
`storage/elections.py` for how "who has voted" is kept apart from "what was voted".
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from html import unescape
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from bot.domain import callback_data as callbacks
from bot.domain.calendar import WorkingCalendar
from bot.domain.file_errors import FileError, FileTable, at, fail, file_errors, otherwise
from bot.domain.roles import Action, Actor, may

HEAD = "head"
DEPUTY = "deputy"
ABSTAIN = 0  # the choice of a blank ballot: department ids start at 1
ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")


class Mode(StrEnum):
    SECRET = "secret"
    OPEN = "open"


class Outcome(StrEnum):
    ELECTED = "elected"  # a candidate won the round
    REBALLOT = "reballot"  # no majority: a new round among the top candidates
    REPEAT = "repeat"  # quorum not met: a new round among the same candidates
    HEAD_DECIDES = "head_decides"  # rounds exhausted: the head picks among `next_candidates`


# --------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class ElectionRules:
    """How a cluster elects; defaults as the issue states, overridable in the cluster file."""

    mode: Mode = Mode.SECRET
    quorum: Fraction = Fraction(2, 3)  # at least this share of the roll casts a ballot
    majority: Fraction = Fraction(1, 2)  # strictly more than this share wins
    majority_of: str = "cast"  # "cast": of the ballots cast; "roll": of the whole roll
    max_rounds: int = 3
    reballot_top: int = 2
    no_reelect_head: bool = True
    one_office_each: bool = True
    allow_replace: bool = True  # False: the first ballot is final
    offices: tuple[str, ...] = (HEAD, DEPUTY)
    voting_minutes: int = 24 * 60  # length of each round unless the head closes it earlier

    def problems(self) -> list[str]:
        """Codes for what is wrong; empty when the rules can run an election."""
        found: list[str] = []
        if not 0 <= self.quorum <= 1:
            found.append("bad_quorum")
        if not 0 <= self.majority < 1:
            found.append("bad_majority")
        if self.majority_of not in ("cast", "roll"):
            found.append("bad_majority_of")
        if not 1 <= self.max_rounds <= 10:
            found.append("bad_max_rounds")
        if self.reballot_top < 1:
            found.append("bad_reballot_top")
        if not self.offices or len(set(self.offices)) != len(self.offices):
            found.append("bad_offices")
        elif not all(ROLE_PATTERN.match(role) for role in self.offices):
            found.append("bad_offices")
        if not 1 <= self.voting_minutes <= 60 * 24 * 31:
            found.append("bad_voting_minutes")
        return found


@dataclass(frozen=True)
class OfficeSpec:
    """One office to fill. `label` is for custom votes (e.g. the Emulation Flag proposal);
    head and deputy take their names from the templates."""

    role: str
    label: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class ElectionPlan:
    """Everything `/election` collects before opening."""

    title: str
    term: int
    offices: tuple[OfficeSpec, ...]
    rules: ElectionRules = ElectionRules()
    candidates: tuple[int, ...] | None = None  # None: every department on the roll
    opens_at: datetime | None = None  # None: at once
    closes_at: datetime | None = None  # None: opens_at + rules.voting_minutes

    def problems(self) -> list[str]:
        found = list(self.rules.problems())
        if not self.title.strip() or len(self.title) > 200:
            found.append("bad_title")
        if not 2000 <= self.term <= 2100:
            found.append("bad_term")
        roles = [o.role for o in self.offices]
        if not roles or len(set(roles)) != len(roles):
            found.append("bad_offices")
        elif not all(ROLE_PATTERN.match(role) for role in roles):
            found.append("bad_offices")
        if self.candidates is not None and (
            not self.candidates
            or len(set(self.candidates)) != len(self.candidates)
            or any(c <= 0 for c in self.candidates)
        ):
            found.append("bad_candidates")
        for moment in (self.opens_at, self.closes_at):
            if moment is not None and moment.tzinfo is None:
                found.append("naive_time")
        if (
            self.opens_at is not None
            and self.closes_at is not None
            and self.closes_at <= self.opens_at
        ):
            found.append("closes_before_opening")
        return found


def default_plan(
    term: int,
    title: str,
    rules: ElectionRules = ElectionRules(),
    now: datetime | None = None,
) -> ElectionPlan:
    """Head then deputy (or the cluster's offices) for `term`, all departments, open at once."""
    closes_at = None if now is None else now + timedelta(minutes=rules.voting_minutes)
    return ElectionPlan(
        title=title,
        term=term,
        offices=tuple(OfficeSpec(role) for role in rules.offices),
        rules=rules,
        opens_at=now,
        closes_at=closes_at,
    )


def parse_fraction(value: object) -> Fraction:
    """ "2/3", "0.5", 0.5, 1 -> Fraction. Raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a fraction: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*(/\s*\d+\s*)?", value, re.ASCII):
        try:
            return Fraction(value.replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            pass
    raise ValueError(f"not a fraction: {value!r}")


def format_fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_election_rules(table: Mapping[str, Any]) -> tuple[ElectionRules, list[FileError]]:
    """The `[elections]` table of the cluster file. Unknown keys and bad values are errors; with
    any error the defaults are returned, nothing half-applied."""
    try:
        return RulesTable.model_validate(dict(table)).rules(), []
    except ValidationError as exc:
        return ElectionRules(), file_errors(exc, "elections")


_DEFAULTS = ElectionRules()
_Share = Annotated[Fraction, PlainValidator(parse_fraction), otherwise("bad_fraction")]
_Number = Annotated[StrictInt, otherwise("bad_number")]
_Flag = Annotated[StrictBool, otherwise("bad_bool")]


class RulesTable(FileTable):
    """The `[elections]` table as written: a key left out keeps ElectionRules' default."""

    mode: Annotated[Mode, otherwise("bad_choice", allowed="secret, open")] = _DEFAULTS.mode
    quorum: _Share = _DEFAULTS.quorum
    majority: _Share = _DEFAULTS.majority
    majority_of: Annotated[
        Literal["cast", "roll"], otherwise("bad_choice", allowed="cast, roll")
    ] = "cast"
    max_rounds: _Number = _DEFAULTS.max_rounds
    reballot_top: _Number = _DEFAULTS.reballot_top
    no_reelect_head: _Flag = _DEFAULTS.no_reelect_head
    one_office_each: _Flag = _DEFAULTS.one_office_each
    allow_replace: _Flag = _DEFAULTS.allow_replace
    offices: Annotated[tuple[StrictStr, ...], otherwise("bad_offices")] = _DEFAULTS.offices
    voting_minutes: _Number = _DEFAULTS.voting_minutes

    @model_validator(mode="after")
    def _workable(self) -> RulesTable:
        found = []
        for code in self.rules().problems():
            key = code.removeprefix("bad_")
            # The value as written: the command line's words for bad_offices show it.
            value = list(self.offices) if key == "offices" else getattr(self, key)
            found.append(at((key,), code, value=str(value)))
        if found:
            fail(found)
        return self

    def rules(self) -> ElectionRules:
        return ElectionRules(**dict(self))


# --------------------------------------------------------------------------------------------
# Roll and eligibility


def roll_fingerprint(slugs: Iterable[str]) -> str:
    """SHA-256 over the sorted department ids of the roll, one per line (hex).

    Anyone can recompute it from the list of departments posted with the opening message.
    """
    ordered = sorted(set(slugs))
    return hashlib.sha256("\n".join(ordered).encode()).hexdigest()


def short_fingerprint(fingerprint: str) -> str:
    """The first 16 hex digits in groups of four, for people to compare by eye."""
    head = fingerprint[:16].upper()
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


def ineligibility(
    candidate: int,
    office_index: int,
    offices: Sequence[str],
    candidates: Iterable[int],
    rules: ElectionRules,
    outgoing_head: int | None,
    elected: Mapping[int, int],
) -> str | None:
    """Why `candidate` may not be chosen for offices[office_index]; None when they may.

    `elected` maps the index of each office already filled to its department.
    """
    if candidate not in set(candidates):
        return "not_candidate"
    if rules.no_reelect_head and offices[office_index] == HEAD and candidate == outgoing_head:
        return "outgoing_head"
    if rules.one_office_each and any(
        index < office_index and department == candidate for index, department in elected.items()
    ):
        return "elected_earlier"
    return None


def eligible_candidates(
    office_index: int,
    offices: Sequence[str],
    candidates: Sequence[int],
    rules: ElectionRules,
    outgoing_head: int | None,
    elected: Mapping[int, int],
) -> tuple[int, ...]:
    """The candidates who may stand for offices[office_index], in the given order."""
    return tuple(
        c
        for c in candidates
        if ineligibility(c, office_index, offices, candidates, rules, outgoing_head, elected)
        is None
    )


def staffing_problems(
    offices: Sequence[str],
    candidates: Sequence[int],
    rules: ElectionRules,
    outgoing_head: int | None,
) -> list[str]:
    """Offices that could end up with no eligible candidate, whatever the earlier results."""
    found: list[str] = []
    for index, role in enumerate(offices):
        available = len(candidates)
        if rules.no_reelect_head and role == HEAD and outgoing_head in candidates:
            available -= 1
        if rules.one_office_each:
            available -= index
        if available < 1:
            found.append(role)
    return found


# --------------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True)
class Tally:
    round_no: int
    roll_size: int
    candidates: tuple[int, ...]  # in display order
    counts: dict[int, int]  # every candidate, 0 when nobody chose them
    cast: int  # ballots cast, blank ones included
    blank: int
    base: int  # what the majority is taken of: ballots cast, or the roll
    quorum_met: bool
    winner: int | None
    outcome: Outcome
    next_candidates: tuple[int, ...] = ()  # the next round's, or the head's choice

    @property
    def winner_votes(self) -> int:
        return 0 if self.winner is None else self.counts[self.winner]

    def ranking(self) -> list[tuple[int, int]]:
        """(candidate, votes), most votes first; ties keep the display order."""
        return sorted(((c, self.counts[c]) for c in self.candidates), key=lambda cv: -cv[1])


def quorum_met(cast: int, roll_size: int, quorum: Fraction) -> bool:
    return roll_size > 0 and cast * quorum.denominator >= quorum.numerator * roll_size


def wins(votes: int, base: int, majority: Fraction) -> bool:
    return votes > 0 and votes * majority.denominator > majority.numerator * base


def top_candidates(counts: Mapping[int, int], order: Sequence[int], top: int) -> tuple[int, ...]:
    """The `top` candidates with most votes, plus everyone tied with the last of them.

    Candidates without a vote are left out, unless nobody got one (then all stay).
    """
    voted = [c for c in order if counts.get(c, 0) > 0]
    if not voted:
        return tuple(order)
    ranked = sorted(voted, key=lambda c: -counts[c])
    cutoff = counts[ranked[min(top, len(ranked)) - 1]]
    return tuple(c for c in order if counts.get(c, 0) >= cutoff and counts.get(c, 0) > 0)


def tally(
    candidates: Sequence[int],
    choices: Iterable[int],
    roll_size: int,
    rules: ElectionRules,
    round_no: int,
) -> Tally:
    """Count one round. `choices` holds one entry per ballot cast: a candidate or ABSTAIN."""
    counts = {c: 0 for c in candidates}
    cast = blank = 0
    for choice in choices:
        cast += 1
        if choice == ABSTAIN:
            blank += 1
        elif choice in counts:
            counts[choice] += 1
        else:
            raise ValueError(f"ballot for {choice}, who is not a candidate in this round")
    if cast > roll_size:
        raise ValueError(f"{cast} ballots for a roll of {roll_size}")
    met = quorum_met(cast, roll_size, rules.quorum)
    base = cast if rules.majority_of == "cast" else roll_size
    winner: int | None = None
    if met:
        passing = [c for c in candidates if wins(counts[c], base, rules.majority)]
        if passing:
            best = max(counts[c] for c in passing)
            leaders = [c for c in passing if counts[c] == best]
            winner = leaders[0] if len(leaders) == 1 else None
    order = tuple(candidates)
    if winner is not None:
        return Tally(
            round_no, roll_size, order, counts, cast, blank, base, met, winner, Outcome.ELECTED
        )
    following = top_candidates(counts, order, rules.reballot_top) if met else order
    if round_no >= rules.max_rounds:
        outcome = Outcome.HEAD_DECIDES
    else:
        outcome = Outcome.REBALLOT if met else Outcome.REPEAT
    return Tally(
        round_no, roll_size, order, counts, cast, blank, base, met, None, outcome, following
    )


# --------------------------------------------------------------------------------------------
# Checking a ballot as it arrives


@dataclass(frozen=True)
class BallotContext:
    """What the database says at the moment a ballot arrives (read under the round's lock)."""

    election_open: bool
    round_open: bool
    is_current_round: bool
    closes_at: datetime
    roll: frozenset[int]
    round_candidates: frozenset[int]
    already_voted: bool
    allow_replace: bool


def refuse_ballot(
    ctx: BallotContext,
    department_id: int | None,
    choice: int,
    now: datetime,
    replacing: bool = False,
) -> str | None:
    """Why this ballot must be refused, or None. Checked in this order, first reason wins."""
    if department_id is None:
        return "no_department"
    if not ctx.election_open:
        return "election_closed"
    if not ctx.is_current_round:
        return "stale"
    if not ctx.round_open or now >= ctx.closes_at:
        return "round_closed"
    if department_id not in ctx.roll:
        return "not_on_roll"
    if choice != ABSTAIN and choice not in ctx.round_candidates:
        return "not_candidate"
    if replacing:
        if not ctx.already_voted:
            return "not_voted"
        if not ctx.allow_replace:
            return "replace_locked"
    elif ctx.already_voted:
        return "already_voted"
    return None


# --------------------------------------------------------------------------------------------
# Receipts and ballot keys
#
# A secret ballot carries two random values, neither derived from the department:
# - the receipt code (mã phiếu), e.g. "7K2Q-MXP4": shown to the department's officers, kept in
#   plain text with the ballot and published in the list of ballots counted at the close, so the
#   department can see its ballot was counted. It names a ballot, not a voter.
# - the ballot key: 16 characters that live only in the "replace ballot" button of the
#   department's receipt messages (Telegram keeps it, the server keeps only its hash). Pressing
#   the button brings the key back; the server finds the ballot by its hash and replaces it.

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LENGTH = 8  # 40 bits; unique within a round (the database checks)
KEY_LENGTH = 16  # 80 bits
_CODE_FIX = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_receipt() -> str:
    """A fresh receipt code in canonical form (8 characters); see `format_receipt`."""
    return _random_code(RECEIPT_LENGTH)


def new_ballot_key() -> str:
    return _random_code(KEY_LENGTH)


def normalize_code(text: str, length: int = RECEIPT_LENGTH) -> str | None:
    """What a person typed or a button carried -> canonical characters, or None."""
    cleaned = re.sub(r"[\s\-_.]", "", text).upper().translate(_CODE_FIX)
    if len(cleaned) != length or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_receipt(code: str) -> str:
    """ "7K2QMXP4" -> "7K2Q-MXP4"."""
    canonical = normalize_code(code)
    if canonical is None:
        raise ValueError("not a receipt code")
    return f"{canonical[:4]}-{canonical[4:]}"


def key_hash(key: str) -> str:
    """What the server keeps of a ballot key: enough to find the ballot when the key returns."""
    canonical = normalize_code(key, KEY_LENGTH)
    if canonical is None:
        raise ValueError("not a ballot key")
    return hashlib.sha256(f"clusterbot-ballot-key:{canonical}".encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Button data (<= 64 bytes). It only names things; every press is checked against the database.

# The shapes are declared in bot.domain.callback_data (one codec for every button).


@dataclass(frozen=True)
class ButtonData:
    kind: str  # "vote" | "replace_start" | "replace_vote"
    round_id: int
    choice: int = ABSTAIN
    key: str = ""


def vote_data(round_id: int, choice: int) -> str:
    return callbacks.Vote(round_id, choice).encode()


def replace_start_data(round_id: int, key: str) -> str:
    return callbacks.ReplaceStart(round_id, _canonical_key(key)).encode()


def replace_vote_data(round_id: int, choice: int, key: str) -> str:
    return callbacks.ReplaceVote(round_id, choice, _canonical_key(key)).encode()


def parse_button(data: str | None) -> ButtonData | None:
    """None for anything that is not exactly one of our three shapes."""
    for family in (callbacks.VOTE, callbacks.REPLACE_START, callbacks.REPLACE_VOTE):
        try:
            decoded = family.decode(data)
        except callbacks.CallbackDataError:
            continue
        if isinstance(decoded, callbacks.Vote):
            return ButtonData("vote", decoded.round_id, decoded.choice)
        if isinstance(decoded, callbacks.ReplaceStart):
            return ButtonData("replace_start", decoded.round_id, key=decoded.key)
        if isinstance(decoded, callbacks.ReplaceVote):
            return ButtonData("replace_vote", decoded.round_id, decoded.choice, decoded.key)
    return None


def _canonical_key(key: str) -> str:
    canonical = normalize_code(key, KEY_LENGTH)
    if canonical is None:
        raise ValueError("not a ballot key")
    return canonical


# --------------------------------------------------------------------------------------------
# Who may do what (kept here, next to the rules, rather than in roles.Action)


def may_manage_elections(actor: Actor | None) -> bool:
    """Create, open, close early and decide after the last round: the head or an admin."""
    return may(actor, Action.ELECTION)


def may_vote(actor: Actor | None) -> bool:
    """An officer of a department; whether it is on the roll is the database's answer."""
    return may(actor, Action.VOTE)


def may_announce(actor: Actor | None) -> bool:
    """Announcements and /acks: the head, the deputy, or an admin."""
    return may(actor, Action.ANNOUNCE)


# --------------------------------------------------------------------------------------------
# The minutes, as data the templates render


@dataclass(frozen=True)
class RoundRecord:
    office_index: int
    role: str
    tally: Tally
    receipts: tuple[str, ...] = ()  # secret mode: sorted receipt codes counted
    open_choices: tuple[tuple[int, int], ...] = ()  # open mode: (department, choice)


@dataclass(frozen=True)
class OfficeRecord:
    index: int
    role: str
    label: str
    label_en: str
    elected: int | None
    decided_by_head: bool
    votes: int | None  # the winner's votes in the deciding round
    cast: int | None


@dataclass
class Minutes:
    election_id: int
    title: str
    term: int
    mode: Mode
    rules: ElectionRules
    roll: list[int]
    fingerprint: str
    outgoing_head: int | None
    opened_at: datetime | None
    closed_at: datetime | None
    rounds: list[RoundRecord] = field(default_factory=list)
    offices: list[OfficeRecord] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Announcements (kept here with the other rules of this capability)


def nudge_time(
    sent_at: datetime, tz: ZoneInfo, calendar: WorkingCalendar, working_days: int
) -> datetime | None:
    """When departments that have not acknowledged are nudged: `working_days` working days
    after sending, at the same local time of day. None when no nudge is wanted."""
    if working_days <= 0:
        return None
    local = sent_at.astimezone(tz)
    day = calendar.add_working_days(local.date(), working_days)
    return datetime.combine(day, local.timetz()).astimezone(UTC)


NUDGE_CHOICES = (1, 2, 0)  # working days; the preview's button cycles through them


def next_nudge_choice(current: int) -> int:
    if current not in NUDGE_CHOICES:
        return NUDGE_CHOICES[0]
    return NUDGE_CHOICES[(NUDGE_CHOICES.index(current) + 1) % len(NUDGE_CHOICES)]


DURATION_CHOICES = (60, 24 * 60, 3 * 24 * 60)  # minutes; /election's button cycles through them


def next_duration_choice(current: int) -> int:
    if current not in DURATION_CHOICES:
        return DURATION_CHOICES[0]
    return DURATION_CHOICES[(DURATION_CHOICES.index(current) + 1) % len(DURATION_CHOICES)]


_TAG = re.compile(r"<[^>]*>")


def excerpt(html_text: str, limit: int = 120) -> str:
    """The start of an announcement as plain text, for /acks and nudges."""
    plain = " ".join(unescape(_TAG.sub(" ", html_text)).split())
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rsplit(" ", 1)[0] or plain[:limit]
    return cut + "…"


_ANNOUNCE_SHAPES: dict[str, type[callbacks.CallbackData]] = {
    "ack": callbacks.AnnounceAck,
    "send": callbacks.AnnounceSend,
    "pin": callbacks.AnnouncePin,
    "nudge": callbacks.AnnounceNudge,
    "cancel": callbacks.AnnounceCancel,
}


def announcement_data(action: str, announcement_id: int) -> str:
    return _ANNOUNCE_SHAPES[action](announcement_id).encode()  # type: ignore[call-arg]  # each shape is a CallbackData subclass with one announcement_id field


def parse_announcement_data(data: str | None) -> tuple[str, int] | None:
    try:
        decoded = callbacks.ANNOUNCE.decode(data)
    except callbacks.CallbackDataError:
        return None
    action = next(a for a, cls in _ANNOUNCE_SHAPES.items() if isinstance(decoded, cls))
    return action, int(decoded.announcement_id)  # type: ignore[attr-defined]  # decoded is one of the announcement shapes, all with announcement_id


def manage_data(action: str, target: int, extra: int | None = None) -> str:
    if action == "dec":
        if extra is None:
            raise ValueError("el:dec needs the department")
        return callbacks.ElectionDecide(target, extra).encode()
    if extra is not None:
        raise ValueError(f"el:{action} takes no extra field")
    return callbacks.MANAGE_SHAPES[action](target).encode()


def parse_manage_data(data: str | None) -> tuple[str, int, int | None] | None:
    try:
        decoded = callbacks.ELECTION.decode(data)
    except callbacks.CallbackDataError:
        return None
    if isinstance(decoded, callbacks.ElectionDecide):
        return "dec", decoded.election_id, decoded.department_id
    assert isinstance(decoded, callbacks.ElectionManage)
    return decoded.action, decoded.target, None
