"""indexes for the ticks' queries; one open election per cluster

The first revision written under the naming convention (storage/naming.py): the constraints of
the two revisions before stay unnamed, and what is new here is named explicitly.

- ``ix_round_state_id``: the rounds' tick reads the open rounds every minute
  (``WHERE state = 'open' ORDER BY id``), among every round of every cluster's history.
- ``ix_announcement_state_sent_at``: the announcements' tick, "sent in the last hour"
  (``WHERE state = 'sent' AND sent_at >= ...``), and the latest sent announcements.
- ``ix_announcement_nudge_due``: the same tick's due nudges (``state = 'sent' AND nudge_at <= now
  AND nudged_at IS NULL``); partial, so it holds only the announcements still waiting for their
  nudge.
- ``uq_election_cluster_id_open``: a partial unique index, one election open at a time per
  cluster. `claim_opening` checked it in code only; two openings racing could both commit.

Revision ID: 9b9ae66083f2
Revises: 96ebbbcd5059
Create Date: 2026-12-01 16:17:00.935438
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b9ae66083f2"
down_revision: str | None = "96ebbbcd5059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state = 'open'")
NOT_NUDGED = sa.text("nudged_at IS NULL")


def _refuse_two_open_elections() -> None:
    """The unique index cannot be built over a cluster with two open elections; say which,
    rather than fail on the index. The operator cancels one (it cannot be chosen for them)."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT cluster_id, COUNT(*) FROM election WHERE state = 'open' "
            "GROUP BY cluster_id HAVING COUNT(*) > 1 ORDER BY cluster_id"
        )
    )
    found = [f"{cluster_id} ({count})" for cluster_id, count in rows]
    if found:
        raise RuntimeError(
            "more than one open election in cluster(s) "
            + ", ".join(found)
            + ": cancel all but one (UPDATE election SET state = 'cancelled' WHERE id = ...) "
            "and migrate again"
        )


def upgrade() -> None:
    op.create_index("ix_round_state_id", "round", ["state", "id"], unique=False)
    op.create_index(
        "ix_announcement_state_sent_at", "announcement", ["state", "sent_at"], unique=False
    )
    op.create_index(
        "ix_announcement_nudge_due",
        "announcement",
        ["state", "nudge_at"],
        unique=False,
        sqlite_where=NOT_NUDGED,
        postgresql_where=NOT_NUDGED,
    )
    _refuse_two_open_elections()
    op.create_index(
        "uq_election_cluster_id_open",
        "election",
        ["cluster_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_election_cluster_id_open", table_name="election")
    op.drop_index("ix_announcement_nudge_due", table_name="announcement")
    op.drop_index("ix_announcement_state_sent_at", table_name="announcement")
    op.drop_index("ix_round_state_id", table_name="round")
