"""The naming convention for constraints and indexes, set on SQLModel's metadata.

Why a convention: an unnamed constraint gets whatever name the engine makes up (PostgreSQL
``department_cluster_id_slug_key``, ``round_cluster_id_fkey``; SQLite none at all), so a later
migration that must drop or alter it has to guess the name per engine. From the migration after
``96ebbbcd5059`` on, every new constraint is named by the convention below, the same on both
engines, and autogenerate writes those names into the scripts (``op.f(...)``).

Why not the initial schema's constraints: they were created unnamed, and the databases in the
field have the engine's names for them. If the convention named them in the models too,
autogenerate would see, on every table, a constraint "added" (the conventional name) and one
"removed" (the engine's): a migration renaming everything, which on SQLite means recreating
every table. So the constraints that exist unnamed at that revision are listed in ``UNNAMED``
and stay unnamed in the models: the convention's tokens return an empty name for them, and
SQLAlchemy leaves an empty conventional name unset. Autogenerate then matches them by their
columns, as before. A migration that has to drop one of them names it per engine (or, on
SQLite, uses batch mode, which rebuilds the table anyway).

Indexes keep SQLAlchemy's default convention (``ix_<table>_<column>``), which is what named the
indexes of the initial schema; most indexes are named explicitly anyway.

This module must be imported before any table is declared: every ``storage/models*.py``
imports it first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import (
    Constraint,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlmodel import SQLModel

# table -> the constraints that the initial schema (and 96ebbbcd5059) created without a name:
# "kind column column ...", kind being pk, fk or uq. Frozen: never add to it.
UNNAMED: dict[str, frozenset[str]] = {
    table: frozenset(signatures)
    for table, signatures in {
        "announcement": ("fk cluster_id", "pk id"),
        "announcement_ack": (
            "fk announcement_id",
            "fk department_id",
            "pk id",
            "uq announcement_id person_id",
        ),
        "announcement_copy": (
            "fk announcement_id",
            "fk department_id",
            "pk id",
            "uq announcement_id person_id",
        ),
        "chatnotice": ("pk chat_id",),
        "cluster": ("pk id", "uq group_chat_id"),
        "cluster_schedule": ("fk cluster_id", "pk cluster_id"),
        "delivery": ("fk cluster_id", "fk department_id", "fk round_id", "pk id", "uq key"),
        "department": ("fk cluster_id", "pk id", "uq cluster_id slug"),
        "draft": ("fk department_id", "fk round_id", "pk person_id"),
        # 96ebbbcd5059 named the key's constraint uq_effect_key, which is the convention's name.
        "effect": ("pk id",),
        "election": ("fk cluster_id", "fk outgoing_head_id", "pk id"),
        "election_ballot": ("fk round_id", "pk id", "uq key_hash", "uq round_id receipt"),
        "election_roll": ("fk department_id", "fk election_id", "pk election_id department_id"),
        "election_round": (
            "fk election_id",
            "fk winner_id",
            "pk id",
            "uq election_id office_position number",
        ),
        "election_round_candidate": (
            "fk department_id",
            "fk round_id",
            "pk round_id department_id",
        ),
        "election_voter": ("fk department_id", "fk round_id", "pk id", "uq round_id department_id"),
        "electioncandidate": (
            "fk department_id",
            "fk election_id",
            "pk election_id department_id",
        ),
        "electionoffice": (
            "fk department_id",
            "fk election_id",
            "pk id",
            "uq election_id position",
            "uq election_id role",
        ),
        "indicator": ("fk cluster_id", "pk id", "uq cluster_id slug"),
        "invite": ("fk cluster_id", "fk department_id", "pk id", "uq code_hash"),
        "membership": ("fk cluster_id", "fk department_id", "pk id", "uq person_id cluster_id"),
        "office": ("fk cluster_id", "fk department_id", "pk id", "uq cluster_id term role"),
        "person": ("pk id",),
        "round": ("fk cluster_id", "pk id", "uq cluster_id period"),
        "roundreopening": ("fk department_id", "fk round_id", "pk id", "uq round_id department_id"),
        "submission": (
            "fk department_id",
            "fk round_id",
            "pk id",
            "uq round_id department_id revision",
        ),
        "submissionvalue": ("fk indicator_id", "fk submission_id", "pk submission_id indicator_id"),
    }.items()
}

_KINDS: dict[type[Constraint], str] = {
    PrimaryKeyConstraint: "pk",
    ForeignKeyConstraint: "fk",
    UniqueConstraint: "uq",
}


def signature(constraint: Constraint, table: Table) -> str:
    """``"uq cluster_id slug"``: how UNNAMED names a constraint."""
    columns = " ".join(column.name for column in constraint.columns)  # type: ignore[attr-defined]  # column constraints only
    return f"{_KINDS[type(constraint)]} {columns}"


def is_unnamed(constraint: Constraint, table: Table) -> bool:
    return signature(constraint, table) in UNNAMED.get(table.name, frozenset())


def _token(make: Callable[[Constraint, Table], str]) -> Callable[[Constraint, Table], str]:
    def name(constraint: Constraint, table: Table) -> str:
        # An empty name: SQLAlchemy leaves the constraint unnamed (see the module docstring).
        return "" if is_unnamed(constraint, table) else make(constraint, table)

    return name


def _columns(constraint: Constraint) -> str:
    return "_".join(column.name for column in constraint.columns)  # type: ignore[attr-defined]  # column constraints only


def _referred_table(constraint: Constraint) -> str:
    assert isinstance(constraint, ForeignKeyConstraint)
    return str(constraint.elements[0].target_fullname.split(".")[-2])


NAMING_CONVENTION: Mapping[str, str | Callable[[Constraint, Table], str]] = {
    "ix": "ix_%(column_0_label)s",  # SQLAlchemy's default: the initial schema's index names
    "uq": "%(clusterbot_uq)s",
    "fk": "%(clusterbot_fk)s",
    "pk": "%(clusterbot_pk)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",  # a check constraint is always named
    "clusterbot_uq": _token(lambda c, t: f"uq_{t.name}_{_columns(c)}"),
    "clusterbot_fk": _token(lambda c, t: f"fk_{t.name}_{_columns(c)}_{_referred_table(c)}"),
    "clusterbot_pk": _token(lambda c, t: f"pk_{t.name}"),
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
