"""the emulation year: pact, signatures, scoring, adjustments, totals, evidence

New tables only (storage/models_emulation.py says what each holds), every constraint named by
the convention (storage/naming.py):

- ``cluster_emulation``: the cluster file's [pact] and [scoring] as loaded by ``init``;
- ``pact``, ``pact_signature``: a year's pact and each department's signature (with its own
  proposed targets, accepted or returned by the head);
- ``scoring_session``, ``self_score``, ``score_adjustment``, ``score_total``, ``score_evidence``:
  a year's scoring, each department's self-scores, the checker's adjustments with the answer and
  the decision, the locked totals, and the evidence files.

Revision ID: 87bdc7b733fa
Revises: 9b9ae66083f2
Create Date: 2026-12-01 17:05:44.172825
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import storage.types  # noqa: F401  (autogenerate renders storage.types.UTCDateTime)

revision: str = "87bdc7b733fa"
down_revision: str | None = "9b9ae66083f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cluster_emulation",
        sa.Column("cluster_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_emulation_cluster_id_cluster")
        ),
        sa.PrimaryKeyConstraint("cluster_id", name=op.f("pk_cluster_emulation")),
    )
    op.create_table(
        "pact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_pact_cluster_id_cluster")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pact")),
        sa.UniqueConstraint("cluster_id", "year", name=op.f("uq_pact_cluster_id_year")),
    )
    op.create_table(
        "pact_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pact_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("proposed_targets", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_pact_signature_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["pact_id"], ["pact.id"], name=op.f("fk_pact_signature_pact_id_pact")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pact_signature")),
        sa.UniqueConstraint(
            "pact_id", "department_id", name=op.f("uq_pact_signature_pact_id_department_id")
        ),
    )
    op.create_table(
        "scoring_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scoring_table", sa.Text(), nullable=False),
        sa.Column("pact_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("locked_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_scoring_session_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(
            ["pact_id"], ["pact.id"], name=op.f("fk_scoring_session_pact_id_pact")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_session")),
        sa.UniqueConstraint("cluster_id", "year", name=op.f("uq_scoring_session_cluster_id_year")),
    )
    op.create_table(
        "score_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("checker_department_id", sa.Integer(), nullable=True),
        sa.Column("checked_by", sa.BigInteger(), nullable=False),
        sa.Column("points_cents", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checker_department_id"],
            ["department.id"],
            name=op.f("fk_score_adjustment_checker_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_adjustment_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_adjustment_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_adjustment")),
    )
    with op.batch_alter_table("score_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_adjustment_session_department", ["session_id", "department_id"], unique=False
        )

    op.create_table(
        "score_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("telegram_file_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_evidence_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_evidence_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_evidence")),
    )
    with op.batch_alter_table("score_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_evidence_session_department", ["session_id", "department_id"], unique=False
        )

    op.create_table(
        "score_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("deductions_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.BigInteger(), nullable=False),
        sa.Column("locked_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_total_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_total_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_total")),
        sa.UniqueConstraint(
            "session_id", "department_id", name=op.f("uq_score_total_session_id_department_id")
        ),
    )
    op.create_table(
        "self_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("points_cents", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("scored_by", sa.BigInteger(), nullable=False),
        sa.Column("scored_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_self_score_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_self_score_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_score")),
        sa.UniqueConstraint(
            "session_id",
            "department_id",
            "kind",
            "item",
            name=op.f("uq_self_score_session_id_department_id_kind_item"),
        ),
    )


def downgrade() -> None:
    op.drop_table("self_score")
    op.drop_table("score_total")
    with op.batch_alter_table("score_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_score_evidence_session_department")

    op.drop_table("score_evidence")
    with op.batch_alter_table("score_adjustment", schema=None) as batch_op:
        batch_op.drop_index("ix_score_adjustment_session_department")

    op.drop_table("score_adjustment")
    op.drop_table("scoring_session")
    op.drop_table("pact_signature")
    op.drop_table("pact")
    op.drop_table("cluster_emulation")
