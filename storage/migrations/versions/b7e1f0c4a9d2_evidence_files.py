"""evidence files: the bytes of each evidence file, kept in the database

A new table only (storage/models_evidence.py says what it holds and why the bytes are in the
database), its constraints named by the convention (storage/naming.py).

Revision ID: b7e1f0c4a9d2
Revises: 1e2196d7824e
Create Date: 2026-12-01 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e1f0c4a9d2"
down_revision: str | None = "1e2196d7824e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_evidence_file",
        sa.Column("evidence_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["score_evidence.id"],
            name=op.f("fk_score_evidence_file_evidence_id_score_evidence"),
        ),
        sa.PrimaryKeyConstraint("evidence_id", name=op.f("pk_score_evidence_file")),
    )


def downgrade() -> None:
    op.drop_table("score_evidence_file")
