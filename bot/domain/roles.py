"""Who may do what. Identity is a Telegram user id plus the membership we stored; nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    OBSERVER = "observer"
    ADMIN = "admin"


class Action(StrEnum):
    HELP = "help"
    WHOAMI = "whoami"
    LANGUAGE = "language"
    STATUS = "status"
    REPORT = "report"
    HISTORY = "history"
    MANAGE_ROUNDS = "round"
    LINK_GROUP = "link"
    SUMMARY = "summary"
    CHART = "chart"
    EXPORT = "export"
    TEMPLATE = "template"
    CALENDAR = "calendar"
    ANNOUNCE = "announce"
    ACKS = "acks"
    ELECTION = "election"
    VOTE = "vote"
    MINUTES = "minutes"
    DOCUMENTS = "documents"
    PACT = "pact"
    AWARD = "award"
    NOMINATE = "nominate"
    SCORE = "score"
    RANKING = "ranking"


@dataclass(frozen=True)
class Actor:
    """A bound user acting in one cluster."""

    person_id: int
    cluster_id: str
    role: Role
    department_id: int | None
    offices: frozenset[str] = frozenset()  # "head", "deputy": held by the user's department
    merged: bool = False  # the department was merged into another: it reads, it reports no more

    @property
    def is_head(self) -> bool:
        return "head" in self.offices

    @property
    def is_deputy(self) -> bool:
        return "deputy" in self.offices

    @property
    def leads(self) -> bool:
        """Head or deputy (the deputy stands in for the head)."""
        return self.role is Role.OFFICER and bool(self.offices & {"head", "deputy"})


def offices_of(department_id: int | None, holders: dict[str, int]) -> frozenset[str]:
    if department_id is None:
        return frozenset()
    return frozenset(role for role, holder in holders.items() if holder == department_id)


def may(actor: Actor | None, action: Action) -> bool:
    if action is Action.HELP:
        return True
    if actor is None:
        return False
    if action in _EVERY_MEMBER:
        return True
    if action in (Action.REPORT, Action.TEMPLATE) and actor.merged:
        return False  # its successor reports now (bot/services/reporting.py says so politely)
    if action in (Action.REPORT, Action.HISTORY, Action.TEMPLATE, Action.VOTE, Action.NOMINATE):
        return actor.role is Role.OFFICER and actor.department_id is not None
    if action in (Action.MANAGE_ROUNDS, Action.ANNOUNCE, Action.ACKS):
        return actor.role is Role.ADMIN or actor.leads
    if action is Action.SCORE:  # an officer scores; the head or an admin opens the scoring
        return may_self_score(actor) or may_open_pact(actor)
    if action in (Action.LINK_GROUP, Action.ELECTION, Action.DOCUMENTS, Action.AWARD):
        return actor.role is Role.ADMIN or (actor.role is Role.OFFICER and actor.is_head)
    return False


def may_open_pact(actor: Actor | None) -> bool:
    """Opening the year's pact and deciding proposed targets: the head, or an admin."""
    return actor is not None and (
        actor.role is Role.ADMIN or (actor.role is Role.OFFICER and actor.is_head)
    )


def may_sign_pact(actor: Actor | None) -> bool:
    """Signing (or proposing targets) for a department: one of its officers."""
    return actor is not None and actor.role is Role.OFFICER and actor.department_id is not None


def may_open_scoring(actor: Actor | None) -> bool:
    """Opening the year's scoring with its deadline: the head, or an admin (as the pact)."""
    return may_open_pact(actor)


def may_self_score(actor: Actor | None) -> bool:
    """Scoring a department itself (/score): one of its officers, not of a merged one."""
    return (
        actor is not None
        and actor.role is Role.OFFICER
        and actor.department_id is not None
        and not actor.merged
    )


_EVERY_MEMBER = frozenset(
    {
        Action.WHOAMI,
        Action.LANGUAGE,
        Action.STATUS,
        Action.SUMMARY,
        Action.CHART,
        Action.EXPORT,
        Action.CALENDAR,
        Action.MINUTES,
        Action.PACT,  # /pact status; opening and signing are checked below
        Action.RANKING,
    }
)


# The order of the command menu and of /help.
COMMAND_ORDER: tuple[Action, ...] = (
    Action.REPORT,
    Action.TEMPLATE,
    Action.STATUS,
    Action.HISTORY,
    Action.SUMMARY,
    Action.CHART,
    Action.EXPORT,
    Action.CALENDAR,
    Action.VOTE,
    Action.MINUTES,
    Action.MANAGE_ROUNDS,
    Action.ANNOUNCE,
    Action.ACKS,
    Action.ELECTION,
    Action.DOCUMENTS,
    Action.PACT,
    Action.AWARD,
    Action.NOMINATE,
    Action.SCORE,
    Action.RANKING,
    Action.LINK_GROUP,
    Action.WHOAMI,
    Action.LANGUAGE,
    Action.HELP,
)


def allowed_commands(actor: Actor | None) -> list[Action]:
    return [action for action in COMMAND_ORDER if may(actor, action)]
