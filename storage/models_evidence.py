"""The bytes of an evidence file (minh chứng), apart from its description (`score_evidence`,
storage/models_emulation.py: name, size, SHA-256, who, when).

Where the files live, and why in the database: a file is kept in the same transaction as the
row that describes it (no file without its row, no row whose file was never written, whatever
fails); `clusterbot backup` already carries every table to an archive that restores on either
engine (bytes as base64, storage/backup_archive.py), so the evidence survives a backup and
restore, and a cluster's archive holds its own files (the row's foreign key leads to the
cluster); and every replica sees the same files, where a files directory would be one
machine's. A separate table so that listing and counting evidence (the review card, the
export's list) never reads the bytes. The cost: the database and the archives grow by the
files (a cluster of 7 departments with a few dozen files of a few MB each: a few hundred MB,
and the backup holds one table's rows in memory while it writes them).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

import storage.naming  # noqa: F401  (the naming convention, before any table is declared)


class ScoreEvidenceFile(SQLModel, table=True):
    __tablename__ = "score_evidence_file"

    evidence_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("score_evidence.id"), primary_key=True, autoincrement=False
        )
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
