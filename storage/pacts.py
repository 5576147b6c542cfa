"""The cluster file's [pact] and [scoring] as loaded, and each year's pact and its signatures.

A pact is opened once per cluster and year (`claim_pact_opening`), with a snapshot of the
[pact] table; each department signs it once (`record_signature`): as written (``signed``), or
with targets of its own (``proposed``), which the head accepts (``accepted``) or sends back
with a note (``returned``: the department signs again). Nothing is signed on a closed pact.
The functions flush, never commit: the caller's unit of work decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.pact_file import PactTable
from bot.domain.scoring_file import ScoringTable
from storage.models import Department
from storage.models_emulation import ClusterEmulation, Pact, PactSignature
from storage.types import utcnow

SIGNED = "signed"
PROPOSED = "proposed"
ACCEPTED = "accepted"
RETURNED = "returned"
# A signature that counts as signed ("Đã ký giao ước: 5/7"): all but a returned one or one
# still waiting for the head.
COUNTED = (SIGNED, ACCEPTED)


def _plain(value: object) -> str:
    """A TOML date (e.g. [pact].sign_by) kept as the ISO text the file tables read back."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _json(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=_plain)


# --- the cluster file's tables ----------------------------------------------------------------


async def record_emulation_tables(
    session: AsyncSession, cluster_id: str, tables: Mapping[str, Any]
) -> bool:
    """Store the validated [pact] and [scoring] tables as written ({} removes them); True when
    that changed anything. Called by `clusterbot init`."""
    row = await session.get(ClusterEmulation, cluster_id)
    if not tables:
        if row is None:
            return False
        await session.delete(row)
        await session.flush()
        return True
    data = _json(dict(tables))
    if row is None:
        session.add(ClusterEmulation(cluster_id=cluster_id, data=data))
    elif row.data == data:
        return False
    else:
        row.data = data
        row.updated_at = utcnow()
        session.add(row)
    await session.flush()
    return True


async def get_emulation_tables(session: AsyncSession, cluster_id: str) -> dict[str, Any]:
    """The [pact] and [scoring] tables as written at `init` ({} when the file had neither)."""
    row = await session.get(ClusterEmulation, cluster_id)
    return json.loads(row.data) if row is not None else {}


async def get_pact_table(session: AsyncSession, cluster_id: str) -> PactTable | None:
    """The cluster file's [pact], read by the same rules as at `init`; None without one."""
    table = (await get_emulation_tables(session, cluster_id)).get("pact")
    return None if table is None else PactTable.model_validate(table)


async def get_scoring_table(session: AsyncSession, cluster_id: str) -> ScoringTable | None:
    """The cluster file's [scoring], read by the same rules as at `init`; None without one."""
    table = (await get_emulation_tables(session, cluster_id)).get("scoring")
    return None if table is None else ScoringTable.model_validate(table)


# --- a year's pact ----------------------------------------------------------------------------


def pact_snapshot(pact: Pact) -> PactTable:
    """The pact as it was opened (what every department signs)."""
    return PactTable.model_validate(json.loads(pact.text))


async def claim_pact_opening(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    table: Mapping[str, Any],
    *,
    by: int,
    now: datetime,
) -> Pact | None:
    """Open the year's pact with a snapshot of the [pact] table as written; None when the year
    already has one (two heads racing: the unique key lets one in)."""
    if await get_pact(session, cluster_id, year) is not None:
        return None
    pact = Pact(
        cluster_id=cluster_id, year=year, text=_json(dict(table)), opened_by=by, opened_at=now
    )
    try:
        async with session.begin_nested():
            session.add(pact)
            await session.flush()
    except IntegrityError:
        return None
    return pact


async def get_pact(session: AsyncSession, cluster_id: str, year: int) -> Pact | None:
    query = select(Pact).where(Pact.cluster_id == cluster_id, Pact.year == year)
    return (await session.exec(query)).first()


async def close_pact(session: AsyncSession, pact: Pact, *, now: datetime) -> bool:
    """Close the pact: no signature after this. False when it was closed already."""
    if pact.state != "open":
        return False
    pact.state = "closed"
    pact.closed_at = now
    session.add(pact)
    await session.flush()
    return True


def _targets_data(targets: Mapping[str, Decimal] | None) -> str | None:
    if not targets:
        return None
    return _json({indicator: str(value) for indicator, value in targets.items()})


def proposed_targets(signature: PactSignature) -> dict[str, Decimal]:
    """indicator -> the department's own target, as it proposed them ({} when none)."""
    if not signature.proposed_targets:
        return {}
    return {k: Decimal(v) for k, v in json.loads(signature.proposed_targets).items()}


async def record_signature(
    session: AsyncSession,
    pact: Pact,
    department_id: int,
    *,
    by: int,
    now: datetime,
    targets: Mapping[str, Decimal] | None = None,
) -> PactSignature | None:
    """The department signs (as written, or proposing `targets` of its own for the head). A
    department signs once: again only after the head returned its proposal. None when refused
    (the pact is closed, or the department has signed already)."""
    if pact.state != "open":
        return None
    signature = await get_signature(session, pact, department_id)
    if signature is not None and signature.state != RETURNED:
        return None
    if signature is None:
        assert pact.id is not None
        signature = PactSignature(
            pact_id=pact.id, department_id=department_id, state=SIGNED, signed_by=by, signed_at=now
        )
    signature.state = PROPOSED if targets else SIGNED
    signature.proposed_targets = _targets_data(targets)
    signature.signed_by = by
    signature.signed_at = now
    signature.decided_by = signature.decided_at = None
    session.add(signature)
    await session.flush()
    return signature


async def record_signature_decision(
    session: AsyncSession,
    signature: PactSignature,
    *,
    accepted: bool,
    by: int,
    now: datetime,
    note: str | None = None,
) -> bool:
    """The head accepts the department's proposed targets, or returns them with a note. False
    when the signature is not waiting for a decision."""
    if signature.state != PROPOSED:
        return False
    signature.state = ACCEPTED if accepted else RETURNED
    signature.decided_by = by
    signature.decided_at = now
    signature.note = note
    session.add(signature)
    await session.flush()
    return True


async def get_signature(
    session: AsyncSession, pact: Pact, department_id: int
) -> PactSignature | None:
    query = select(PactSignature).where(
        PactSignature.pact_id == pact.id, PactSignature.department_id == department_id
    )
    return (await session.exec(query)).first()


async def list_signatures(session: AsyncSession, pact: Pact) -> list[PactSignature]:
    """Every signature of the pact, in the order signed."""
    query = (
        select(PactSignature)
        .where(PactSignature.pact_id == pact.id)
        .order_by(col(PactSignature.signed_at), col(PactSignature.id))
    )
    return list((await session.exec(query)).all())


async def count_signed(session: AsyncSession, pact: Pact) -> int:
    """Departments whose signature counts ("Đã ký giao ước: 5/7")."""
    return sum(1 for s in await list_signatures(session, pact) if s.state in COUNTED)


# --- chasing the signatures -------------------------------------------------------------------

# A department that signed, or proposed targets of its own and waits for the head, is not
# chased; one whose proposal was sent back is (it must sign again).
ANSWERED = (SIGNED, ACCEPTED, PROPOSED)


async def list_open_pacts(session: AsyncSession) -> list[Pact]:
    """Every cluster's open pacts (the tick's reminders chase their signatures)."""
    query = select(Pact).where(Pact.state == "open").order_by(col(Pact.id))
    return list((await session.exec(query)).all())


async def list_unsigned_departments(session: AsyncSession, pact: Pact) -> list[Department]:
    """The pact's roll (the cluster's departments not merged into another) that has not
    answered it, in the cluster's order."""
    answered = {s.department_id for s in await list_signatures(session, pact) if s.state in ANSWERED}
    query = (
        select(Department)
        .where(Department.cluster_id == pact.cluster_id, col(Department.merged_into).is_(None))
        .order_by(col(Department.position))
    )
    return [d for d in (await session.exec(query)).all() if d.id not in answered]


async def has_answered(session: AsyncSession, pact_id: int, department_id: int) -> bool:
    query = select(PactSignature.state).where(
        PactSignature.pact_id == pact_id, PactSignature.department_id == department_id
    )
    return (await session.exec(query)).first() in ANSWERED
