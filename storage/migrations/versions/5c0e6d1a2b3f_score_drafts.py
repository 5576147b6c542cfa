"""score drafts: a self-score being entered in the chat (/score)

A new table only (storage/models_score_drafts.py says what it holds), its constraints named by
the convention (storage/naming.py).

Revision ID: 5c0e6d1a2b3f
Revises: d3b92c739228
Create Date: 2026-12-01 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types  # noqa: F401  (autogenerate renders storage.types.UTCDateTime)

revision: str = "5c0e6d1a2b3f"
down_revision: str | None = "d3b92c739228"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_draft",
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_score_draft_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scoring_session.id"],
            name=op.f("fk_score_draft_session_id_scoring_session"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_score_draft")),
    )


def downgrade() -> None:
    op.drop_table("score_draft")
