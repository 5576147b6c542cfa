"""The year's evidence files, for `clusterbot evidence export YEAR DIR --cluster ID`
(bot/cli_evidence.py): what was attached, by whom and when, and the bytes kept with it.

Listing reads no bytes; each file's bytes are read on their own (:func:`content`), so an export
holds one file in memory at a time however many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import clusters, scoring


@dataclass(frozen=True)
class EvidenceEntry:
    id: int
    department_slug: str
    department_name: str
    kind: str  # criterion | bonus | deduction
    item: str
    file_name: str
    size: int
    sha256: str
    telegram_file_id: str
    uploaded_by: int
    uploaded_at: datetime


async def year_evidence(
    session: AsyncSession, cluster_id: str, year: int
) -> list[EvidenceEntry] | None:
    """The year's evidence of every department (merged ones too), in the order received;
    None when the year has no scoring."""
    row = await scoring.get_scoring_session(session, cluster_id, year)
    if row is None:
        return None
    departments = {
        d.id: d for d in await clusters.list_departments(session, cluster_id, include_merged=True)
    }
    found = []
    for kept in await scoring.list_evidence(session, row):
        assert kept.id is not None
        department = departments.get(kept.department_id)
        found.append(
            EvidenceEntry(
                id=kept.id,
                department_slug=department.slug if department else str(kept.department_id),
                department_name=department.name if department else "",
                kind=kept.kind,
                item=kept.item,
                file_name=kept.file_name,
                size=kept.size,
                sha256=kept.sha256,
                telegram_file_id=kept.telegram_file_id,
                uploaded_by=kept.uploaded_by,
                uploaded_at=kept.uploaded_at,
            )
        )
    return found


async def content(session: AsyncSession, entry: EvidenceEntry) -> bytes | None:
    """The file's bytes as kept (None: only Telegram has them, by `telegram_file_id`)."""
    return await scoring.get_evidence_content(session, entry.id)
