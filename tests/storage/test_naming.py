"""The naming convention: constraints declared from now on are named by it, the initial schema's
stay unnamed (storage/naming.py says why), and the list of those is exact."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table on the metadata)
from storage.naming import NAMING_CONVENTION, UNNAMED, is_unnamed, signature

KEYS = (PrimaryKeyConstraint, ForeignKeyConstraint, UniqueConstraint)


def test_every_listed_constraint_exists_unnamed_and_every_other_one_is_named() -> None:
    seen: dict[str, set[str]] = {}
    for table in SQLModel.metadata.tables.values():
        for constraint in table.constraints:
            if not isinstance(constraint, KEYS):
                continue
            if is_unnamed(constraint, table):
                assert constraint.name is None, (table.name, constraint.name)
                seen.setdefault(table.name, set()).add(signature(constraint, table))
            else:
                assert constraint.name, (table.name, signature(constraint, table))
                assert str(constraint.name).startswith(("pk_", "fk_", "uq_"))
    assert seen == {table: set(signatures) for table, signatures in UNNAMED.items()}
    effect = SQLModel.metadata.tables["effect"]
    # The one key the second revision named already, with the convention's name.
    assert {c.name for c in effect.constraints if isinstance(c, UniqueConstraint)} == {
        "uq_effect_key"
    }


def test_a_new_constraint_gets_the_conventions_name_even_on_an_old_table() -> None:
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    Table("cluster", metadata, Column("id", String(64), primary_key=True))
    department = Table(
        "department",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("cluster_id", ForeignKey("cluster.id")),
        Column("slug", String(64)),
        Column("code", String(16), unique=True),
        Column("parent_id", ForeignKey("department.id")),
        UniqueConstraint("cluster_id", "slug"),
    )
    report = Table(
        "report",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("department_id", ForeignKey("department.id")),
        UniqueConstraint("department_id", "id"),
    )
    names = {
        (t.name, signature(c, t)): c.name
        for t in (department, report)
        for c in t.constraints
        if isinstance(c, KEYS)
    }
    assert names == {
        # As in the initial schema: unnamed.
        ("department", "pk id"): None,
        ("department", "fk cluster_id"): None,
        ("department", "uq cluster_id slug"): None,
        # New on an old table, and a new table: named.
        ("department", "uq code"): "uq_department_code",
        ("department", "fk parent_id"): "fk_department_parent_id_department",
        ("report", "pk id"): "pk_report",
        ("report", "fk department_id"): "fk_report_department_id_department",
        ("report", "uq department_id id"): "uq_report_department_id_id",
    }
