"""Button data: one typed codec for every inline button the bot sends.

Telegram gives a button at most 64 bytes of `callback_data` and hands them back verbatim when it
is pressed, but anyone can send any bytes there (an old card, a modified client): the data is a
hint, never trusted. Each kind of button is a frozen dataclass registered under a family prefix
and an action, with typed fields:

    @REPORT.shape("ok")
    @dataclass(frozen=True)
    class ReportConfirm(CallbackData):
        version: int = typed(Int())

    ReportConfirm(7).encode() == "rp:ok:7"
    REPORT.decode("rp:ok:7") == ReportConfirm(7)

Encoding checks every value against its field (range, alphabet, length) and the 64-byte limit;
registering a shape checks that its longest possible encoding fits, so a shape that could ever
exceed 64 bytes fails at import. Decoding accepts exactly what encoding produces (ASCII only,
exact field count, canonical integers) and raises :class:`CallbackDataError` for anything else,
whatever the characters. It knows nothing of Telegram or the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, ClassVar, TypeVar

__all__ = [
    "INT64_MAX",
    "MAX_BYTES",
    "CallbackData",
    "CallbackDataError",
    "Choice",
    "Day",
    "Family",
    "Int",
    "Token",
    "typed",
]

MAX_BYTES = 64
"""Telegram's limit on callback_data, in bytes (our data is ASCII: bytes == characters)."""

INT64_MAX = 2**63 - 1
"""The largest id a database integer column (BIGINT, SQLite INTEGER) holds."""

SEPARATOR = ":"


class CallbackDataError(ValueError):
    """Button data that is not exactly one of the shapes we send (forged, damaged or foreign)."""


# --------------------------------------------------------------------------- field types


class FieldType:
    """How one field is written in the data; ``max_length`` bounds its text."""

    max_length: int

    def encode(self, value: Any) -> str:
        raise NotImplementedError

    def decode(self, text: str) -> Any:
        raise NotImplementedError


_DIGITS = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)


@dataclass(frozen=True)
class Int(FieldType):
    """A whole number in [min, max], written in canonical ASCII decimal (no leading zeros)."""

    min: int = 0
    max: int = INT64_MAX

    def __post_init__(self) -> None:
        if self.min > self.max:
            raise ValueError("Int: min > max")

    @property
    def max_length(self) -> int:  # type: ignore[override]  # a computed property where the base has a field
        return max(len(str(self.min)), len(str(self.max)))

    def encode(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"not an int: {value!r}")
        if not self.min <= value <= self.max:
            raise ValueError(f"{value} outside [{self.min}, {self.max}]")
        return str(value)

    def decode(self, text: str) -> int:
        if len(text) > self.max_length or not _DIGITS.fullmatch(text) or text == "-0":
            raise CallbackDataError("not a canonical integer")
        value = int(text)
        if not self.min <= value <= self.max:
            raise CallbackDataError("integer out of range")
        return value


@dataclass(frozen=True)
class Token(FieldType):
    """A short ASCII word from a fixed alphabet (a slug, a period code, a ballot key)."""

    alphabet: str = "a-z0-9-"  # a regex character class body, ASCII only
    min_length: int = 1
    max_length: int = 32

    def __post_init__(self) -> None:
        if not self.alphabet.isascii() or SEPARATOR in self.alphabet:
            raise ValueError("Token alphabet must be ASCII and exclude the separator")
        object.__setattr__(
            self,
            "_pattern",
            re.compile(f"[{self.alphabet}]{{{self.min_length},{self.max_length}}}", re.ASCII),
        )

    def _check(self, text: str) -> bool:
        pattern: re.Pattern[str] = self._pattern  # type: ignore[attr-defined]  # set in __post_init__ on a frozen dataclass
        return text.isascii() and pattern.fullmatch(text) is not None

    def encode(self, value: Any) -> str:
        if not isinstance(value, str) or not self._check(value):
            raise ValueError(f"not a token of [{self.alphabet}]: {value!r}")
        return value

    def decode(self, text: str) -> str:
        if not self._check(text):
            raise CallbackDataError("not a valid token")
        return text


@dataclass(frozen=True)
class Choice(FieldType):
    """One of a fixed set of ASCII words."""

    options: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.options or any(
            not o or not o.isascii() or SEPARATOR in o for o in self.options
        ):
            raise ValueError("Choice options must be non-empty ASCII words")

    @property
    def max_length(self) -> int:  # type: ignore[override]  # a computed property where the base has a field
        return max(len(o) for o in self.options)

    def encode(self, value: Any) -> str:
        if value not in self.options:
            raise ValueError(f"not one of {self.options}: {value!r}")
        return str(value)

    def decode(self, text: str) -> str:
        if text not in self.options:
            raise CallbackDataError("not a known choice")
        return text


_DAY = re.compile(r"[0-9]{8}", re.ASCII)


@dataclass(frozen=True)
class Day(FieldType):
    """A calendar date, written YYYYMMDD."""

    max_length: int = 8

    def encode(self, value: Any) -> str:
        if not isinstance(value, date) or not 1000 <= value.year <= 9999:
            raise ValueError(f"not a date: {value!r}")
        return value.strftime("%Y%m%d")

    def decode(self, text: str) -> date:
        if not _DAY.fullmatch(text):
            raise CallbackDataError("not a date")
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            raise CallbackDataError("not a date") from None


def typed(kind: FieldType) -> Any:
    """Declare a dataclass field's type in the data: ``version: int = typed(Int())``."""
    return field(metadata={"callback": kind})


# --------------------------------------------------------------------------- shapes


class CallbackData:
    """Base of every button's data; subclasses are frozen dataclasses registered on a family."""

    _family: ClassVar[Family]
    _action: ClassVar[str]
    _kinds: ClassVar[tuple[FieldType, ...]]

    def encode(self) -> str:
        """The callback_data string. Raises ValueError for a value its field does not allow."""
        values = [getattr(self, f.name) for f in fields(self)]  # type: ignore[arg-type]  # a dataclass, but mypy cannot see it through the decorator
        parts = [self._family.prefix] + ([self._action] if self._action else [])
        parts += [kind.encode(value) for kind, value in zip(self._kinds, values, strict=True)]
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:  # cannot happen: checked at registration
            raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {data!r}")
        return data


C = TypeVar("C", bound=type[CallbackData])


_PREFIX = re.compile(r"[a-z]{1,4}", re.ASCII)
_ACTION = re.compile(r"[a-z]{1,8}", re.ASCII)


class Family:
    """The shapes sharing one prefix (one capability's buttons)."""

    registry: ClassVar[dict[str, Family]] = {}

    def __init__(self, prefix: str) -> None:
        if not _PREFIX.fullmatch(prefix) or prefix in Family.registry:
            raise ValueError(f"bad or duplicate callback prefix {prefix!r}")
        Family.registry[prefix] = self
        self.prefix = prefix
        self.shapes: dict[str, type[CallbackData]] = {}

    @property
    def pattern(self) -> str:
        """The regex a CallbackQueryHandler routes this family's presses with."""
        return f"^{re.escape(self.prefix)}{SEPARATOR}"

    def shape(self, action: str) -> Callable[[C], C]:
        """Register a dataclass as the data of `<prefix>:<action>:<fields...>`."""

        def register(cls: C) -> C:
            # "" is the one shape of a family whose data has no action part ("ev:12:7").
            if action in self.shapes or (action and not _ACTION.fullmatch(action)):
                raise ValueError(f"bad or duplicate action {self.prefix}:{action}")
            if "" in self.shapes or (not action and self.shapes):
                raise ValueError(f"{self.prefix}: an action-less shape must be the only one")
            kinds = []
            for f in fields(cls):  # type: ignore[arg-type]  # a dataclass, but mypy cannot see it through the decorator
                kind = f.metadata.get("callback")
                if not isinstance(kind, FieldType):
                    raise TypeError(f"{cls.__name__}.{f.name} needs typed(...)")
                kinds.append(kind)
            longest = len(self.prefix) + (len(action) + 1 if action else 0)
            longest += sum(k.max_length + 1 for k in kinds)
            if longest > MAX_BYTES:
                raise ValueError(f"{cls.__name__} may reach {longest} bytes (> {MAX_BYTES})")
            cls._family = self
            cls._action = action
            cls._kinds = tuple(kinds)
            self.shapes[action] = cls
            return cls

        return register

    def decode(self, data: str | None) -> CallbackData:
        """The typed value `data` encodes, or CallbackDataError. Never anything else."""
        if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
            raise CallbackDataError("not our button data")
        parts = data.split(SEPARATOR)
        if parts[0] != self.prefix:
            raise CallbackDataError("another family's data")
        if "" in self.shapes:
            cls, texts = self.shapes[""], parts[1:]
        else:
            found = self.shapes.get(parts[1]) if len(parts) > 1 else None
            if found is None:
                raise CallbackDataError("unknown action")
            cls, texts = found, parts[2:]
        if len(texts) != len(cls._kinds):
            raise CallbackDataError("wrong number of fields")
        values = [kind.decode(text) for kind, text in zip(cls._kinds, texts, strict=True)]
        return cls(*values)


# --------------------------------------------------------------------------- the bot's buttons
# Every button the bot sends is declared here, so prefixes stay unique and every shape is
# checked against the 64-byte limit when this module is imported.

ID = Int(0, 10**12 - 1)  # a database id: 12 digits at most, far inside a 64-bit integer
SMALL = Int(0, 9999)  # a position in a list the bot showed (an answer, a candidate, an item)

REPORT = Family("rp")


@REPORT.shape("r")
@dataclass(frozen=True)
class ReportRound(CallbackData):
    """Report for this round (several are open)."""

    round_id: int = typed(ID)


@REPORT.shape("a")
@dataclass(frozen=True)
class ReportAnswer(CallbackData):
    """A yes/no or choice answer; `index` 1/0 for yes/no, the choice's position otherwise."""

    version: int = typed(ID)
    index: int = typed(SMALL)


@REPORT.shape("c")
@dataclass(frozen=True)
class ReportCandidate(CallbackData):
    """One reading of an ambiguous figure."""

    version: int = typed(ID)
    index: int = typed(SMALL)


@REPORT.shape("n")
@dataclass(frozen=True)
class ReportRetype(CallbackData):
    version: int = typed(ID)


@REPORT.shape("e")
@dataclass(frozen=True)
class ReportEdit(CallbackData):
    version: int = typed(ID)


@REPORT.shape("ei")
@dataclass(frozen=True)
class ReportEditItem(CallbackData):
    version: int = typed(ID)
    index: int = typed(SMALL)


@REPORT.shape("x")
@dataclass(frozen=True)
class ReportCancel(CallbackData):
    version: int = typed(ID)


@REPORT.shape("ok")
@dataclass(frozen=True)
class ReportConfirm(CallbackData):
    version: int = typed(ID)


ROUNDS = Family("ro")
PERIOD_CODE = Token("0-9A-Za-z-", 4, 12)  # "2023", "2023-Q4", "2023-H1", "2023-11"


@ROUNDS.shape("new")
@dataclass(frozen=True)
class RoundNew(CallbackData):
    pass


@ROUNDS.shape("p")
@dataclass(frozen=True)
class RoundPeriod(CallbackData):
    period: str = typed(PERIOD_CODE)


@ROUNDS.shape("o")
@dataclass(frozen=True)
class RoundOpen(CallbackData):
    period: str = typed(PERIOD_CODE)
    deadline: date = typed(Day())


@ROUNDS.shape("c")
@dataclass(frozen=True)
class RoundClose(CallbackData):
    round_id: int = typed(ID)


ANNOUNCE = Family("an")


@ANNOUNCE.shape("ack")
@dataclass(frozen=True)
class AnnounceAck(CallbackData):
    announcement_id: int = typed(ID)


@ANNOUNCE.shape("send")
@dataclass(frozen=True)
class AnnounceSend(CallbackData):
    announcement_id: int = typed(ID)


@ANNOUNCE.shape("pin")
@dataclass(frozen=True)
class AnnouncePin(CallbackData):
    announcement_id: int = typed(ID)


@ANNOUNCE.shape("nudge")
@dataclass(frozen=True)
class AnnounceNudge(CallbackData):
    announcement_id: int = typed(ID)


@ANNOUNCE.shape("cancel")
@dataclass(frozen=True)
class AnnounceCancel(CallbackData):
    announcement_id: int = typed(ID)


ELECTION = Family("el")
ELECTION_ACTIONS = ("open", "mode", "dur", "discard", "close", "closeok", "keep", "cancel")


@ELECTION.shape("dec")
@dataclass(frozen=True)
class ElectionDecide(CallbackData):
    """The head decides an office after the last round: election id and department id."""

    election_id: int = typed(ID)
    department_id: int = typed(ID)


@dataclass(frozen=True)
class ElectionManage(CallbackData):
    """One management press on an election (or, for close/closeok/keep, a round)."""

    target: int = typed(ID)

    @property
    def action(self) -> str:
        return self._action


def _manage_shape(action: str) -> type[ElectionManage]:
    cls = type(f"ElectionManage_{action}", (ElectionManage,), {"__doc__": f"el:{action}"})
    return ELECTION.shape(action)(dataclass(frozen=True)(cls))


MANAGE_SHAPES: dict[str, type[ElectionManage]] = {a: _manage_shape(a) for a in ELECTION_ACTIONS}


VOTE = Family("ev")
REPLACE_START = Family("er")
REPLACE_VOTE = Family("ex")
BALLOT_KEY = Token("0-9A-Z", 16, 16)


@VOTE.shape("")
@dataclass(frozen=True)
class Vote(CallbackData):
    """A ballot: round id and choice (a department id, or 0 to abstain)."""

    round_id: int = typed(ID)
    choice: int = typed(ID)


@REPLACE_START.shape("")
@dataclass(frozen=True)
class ReplaceStart(CallbackData):
    round_id: int = typed(ID)
    key: str = typed(BALLOT_KEY)


@REPLACE_VOTE.shape("")
@dataclass(frozen=True)
class ReplaceVote(CallbackData):
    round_id: int = typed(ID)
    choice: int = typed(ID)
    key: str = typed(BALLOT_KEY)


BALLOT_PATTERN = "^(?:" + "|".join(f.prefix for f in (VOTE, REPLACE_START, REPLACE_VOTE)) + "):"
"""One CallbackQueryHandler takes the three ballot families."""


AWARD = Family("aw")
SLOT_MASK = Int(0, 2**32 - 1)  # one bit per candidate or nominee slot (bot.domain.awards)


@AWARD.shape("t")
@dataclass(frozen=True)
class AwardToggle(CallbackData):
    """An award ballot being filled in: the approvals (or yes) and the no verdicts so far.
    Nothing is stored until it is confirmed."""

    round_id: int = typed(ID)
    yes: int = typed(SLOT_MASK)
    no: int = typed(SLOT_MASK)


@AWARD.shape("ok")
@dataclass(frozen=True)
class AwardCast(CallbackData):
    round_id: int = typed(ID)
    yes: int = typed(SLOT_MASK)
    no: int = typed(SLOT_MASK)


@AWARD.shape("rs")
@dataclass(frozen=True)
class AwardReplaceStart(CallbackData):
    round_id: int = typed(ID)
    key: str = typed(BALLOT_KEY)


@AWARD.shape("rt")
@dataclass(frozen=True)
class AwardReplaceToggle(CallbackData):
    round_id: int = typed(ID)
    yes: int = typed(SLOT_MASK)
    no: int = typed(SLOT_MASK)
    key: str = typed(BALLOT_KEY)


@AWARD.shape("rok")
@dataclass(frozen=True)
class AwardReplaceCast(CallbackData):
    round_id: int = typed(ID)
    yes: int = typed(SLOT_MASK)
    no: int = typed(SLOT_MASK)
    key: str = typed(BALLOT_KEY)


NOMINATION = Family("nm")
NOMINEE_FIELD = Choice(("name", "title", "achievements"))


@NOMINATION.shape("e")
@dataclass(frozen=True)
class NominationEdit(CallbackData):
    """The department's officer asks to change a nominee: which part (the nominee's id)."""

    nominee_id: int = typed(ID)


@NOMINATION.shape("f")
@dataclass(frozen=True)
class NominationField(CallbackData):
    """Change this part of the nominee: the officer's next private message is the new text."""

    nominee_id: int = typed(ID)
    field: str = typed(NOMINEE_FIELD)


@NOMINATION.shape("w")
@dataclass(frozen=True)
class NominationWithdraw(CallbackData):
    """Withdraw the nominee: asks for a confirmation first."""

    nominee_id: int = typed(ID)


@NOMINATION.shape("wok")
@dataclass(frozen=True)
class NominationWithdrawConfirm(CallbackData):
    nominee_id: int = typed(ID)


PACT = Family("pa")


@PACT.shape("s")
@dataclass(frozen=True)
class PactSign(CallbackData):
    """An officer signs the year's pact for their department: the pact's id."""

    pact_id: int = typed(ID)


@PACT.shape("ok")
@dataclass(frozen=True)
class PactAccept(CallbackData):
    """The head accepts a department's proposed targets: pact id and department id."""

    pact_id: int = typed(ID)
    department_id: int = typed(ID)


@PACT.shape("no")
@dataclass(frozen=True)
class PactReturn(CallbackData):
    """The head sends a department's proposed targets back: pact id and department id."""

    pact_id: int = typed(ID)
    department_id: int = typed(ID)


SCORE = Family("sc")


@SCORE.shape("ok")
@dataclass(frozen=True)
class ScoreConfirm(CallbackData):
    """The officer confirms the self-score's review card: the draft's version."""

    version: int = typed(Int())


@SCORE.shape("x")
@dataclass(frozen=True)
class ScoreCancel(CallbackData):
    """The officer drops the self-score being entered: the draft's version."""

    version: int = typed(Int())


CHECK = Family("sk")


@CHECK.shape("r")
@dataclass(frozen=True)
class CheckCard(CallbackData):
    """The checker opens a department's self-score card: scoring session id, department id."""

    session_id: int = typed(ID)
    department_id: int = typed(ID)


@CHECK.shape("ok")
@dataclass(frozen=True)
class CheckAccept(CallbackData):
    """The checker accepts the department's score as it stands."""

    session_id: int = typed(ID)
    department_id: int = typed(ID)


@CHECK.shape("a")
@dataclass(frozen=True)
class CheckAdjust(CallbackData):
    """The checker adjusts one item of the card: its position (criteria, bonus, deductions)."""

    session_id: int = typed(ID)
    department_id: int = typed(ID)
    index: int = typed(SMALL)


@CHECK.shape("ans")
@dataclass(frozen=True)
class CheckAnswer(CallbackData):
    """An officer of the adjusted department answers the adjustment (once): its id."""

    adjustment_id: int = typed(ID)


@CHECK.shape("keep")
@dataclass(frozen=True)
class CheckKeep(CallbackData):
    """The head keeps the adjustment."""

    adjustment_id: int = typed(ID)


@CHECK.shape("undo")
@dataclass(frozen=True)
class CheckRestore(CallbackData):
    """The head withdraws the adjustment: the department's own score counts."""

    adjustment_id: int = typed(ID)
