"""mergers and the emulation year

- ``department.merged_on``, ``department.merged_from_outside``: on a successor department, the
  day its merger took effect and the departments from outside the cluster it absorbed
  (bot/domain/mergers.py); the predecessor's ``merged_into`` was in the initial schema.
- ``cluster_year``: one row per emulation year a cluster started (`clusterbot year start`), with
  the configuration it started with (storage/models_years.py says what a year is).

Both are additions (nullable columns, a new table): existing rows need nothing.

Revision ID: 07a5050a09e7
Revises: 87bdc7b733fa
Create Date: 2026-12-01 17:04:24.500218
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import storage.types  # noqa: F401  (autogenerate renders storage.types.UTCDateTime)

revision: str = "07a5050a09e7"
down_revision: str | None = "87bdc7b733fa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cluster_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_year_cluster_id_cluster")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_year")),
        sa.UniqueConstraint("cluster_id", "year", name=op.f("uq_cluster_year_cluster_id_year")),
    )
    with op.batch_alter_table("cluster_year", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cluster_year_cluster_id"), ["cluster_id"], unique=False
        )

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("merged_from_outside", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_column("merged_from_outside")
        batch_op.drop_column("merged_on")

    with op.batch_alter_table("cluster_year", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_year_cluster_id"))

    op.drop_table("cluster_year")
