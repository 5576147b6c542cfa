"""score checks: the checking step in progress and the checkers' acceptances

Two new tables only (storage/models_score_checks.py says what they hold), their constraints
named by the convention (storage/naming.py).

Revision ID: 1e2196d7824e
Revises: 5c0e6d1a2b3f
Create Date: 2026-12-01 19:34:44.908771
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import storage.types  # noqa: F401  (autogenerate renders storage.types.UTCDateTime)

revision: str = "1e2196d7824e"
down_revision: str | None = "5c0e6d1a2b3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("checker_department_id", sa.Integer(), nullable=True),
        sa.Column("accepted_by", sa.BigInteger(), nullable=False),
        sa.Column("accepted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checker_department_id"],
            ["department.id"],
            name=op.f("fk_score_review_checker_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_review_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_review_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_review")),
    )
    with op.batch_alter_table("score_review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_review_session_department", ["session_id", "department_id"], unique=False
        )

    op.create_table(
        "score_check_draft",
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("points_cents", sa.Integer(), nullable=True),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjustment_id"],
            ["score_adjustment.id"],
            name=op.f("fk_score_check_draft_adjustment_id_score_adjustment"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_check_draft_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_check_draft_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_score_check_draft")),
    )


def downgrade() -> None:
    op.drop_table("score_check_draft")
    with op.batch_alter_table("score_review", schema=None) as batch_op:
        batch_op.drop_index("ix_score_review_session_department")

    op.drop_table("score_review")
