"""nomination edits: a change to a submitted nominee being entered in the chat

One nullable column on ``award_nominee``: a row in state edit_name / edit_title /
edit_achievements is an officer's change in progress and names the nominee it changes
(storage/models_awards.py). Existing rows are nominees, not changes: NULL.

Revision ID: a7e4c2d91f60
Revises: b7e1f0c4a9d2
Create Date: 2026-12-01 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7e4c2d91f60"
down_revision: str | None = "b7e1f0c4a9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("award_nominee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edits_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_award_nominee_edits_id_award_nominee"),
            "award_nominee",
            ["edits_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("award_nominee", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_award_nominee_edits_id_award_nominee"), type_="foreignkey"
        )
        batch_op.drop_column("edits_id")
