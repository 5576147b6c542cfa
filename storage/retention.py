"""What the retention job (bot/jobs/retention.py) may delete, one bounded batch at a time.

Kept for ever: the year's record itself (clusters, rounds, submissions and their values,
announcements that were sent and who acknowledged them, elections that opened, offices). Pruned
once older than the cutoff (the setting CLUSTERBOT_RETENTION_DAYS before now):

1. Delivery-log rows in a final state (``sent``, ``failed_permanent``, ``uncertain``) last
   updated before the cutoff. Never a row that can still be sent or claimed (``queued``,
   ``claimed``, ``retry``).
2. Report drafts last touched before the cutoff whose round is closed and whose department has
   no unused reopening of it: nothing can submit them any more.
3. Announcements cancelled before they were sent (created before the cutoff).
4. Elections cancelled before they ever opened (discarded drafts, scheduled ones called off),
   with their offices and candidates.

The rule that keeps "exactly once" (storage/models_delivery.py): a delivery row's unique key is
what stops a second send, so deleting a row lets its key be claimed anew. A row may therefore go
only when nothing will ever claim its key again:

- a round's keys (``r<round id>:...``, ``summary:<round id>:...``, or ``round_id`` set) are
  claimed while the round is open, by every tick (reminders, digests, escalations, failure
  notices, the catch-up after a restart): kept as long as the round is open, however old;
- a pact's keys (``pact<pact id>:...``: its copies to sign, its live count, its reminders) are
  claimed while the pact is open (its reminders by every tick that finds a step due, until the
  chase ends): kept as long as the pact is open;
- an announcement's nudge keys (``ann:<id>:...``) are claimed again while its nudge is still
  pending (``nudged_at`` unset): kept until it is nudged. Its fan-out is re-run only within an
  hour of sending, far inside any cutoff;
- election posts and the summary's once-key are queued only in the transaction of a state
  change that happens once (an opening, a close, a handover), so their keys are never claimed
  again once that change has committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, delete, exists, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Draft, Round, RoundReopening
from storage.models_announcements import Announcement, AnnouncementAck, AnnouncementCopy
from storage.models_delivery import Delivery
from storage.models_elections import (
    Election,
    ElectionCandidate,
    ElectionOffice,
    ElectionRollEntry,
    ElectionRound,
)
from storage.models_emulation import Pact

FINAL_STATES = ("sent", "failed_permanent", "uncertain")


def _key_of(prefix: str, id_column: ColumnElement[int] | int | None) -> ColumnElement[str]:
    """A LIKE pattern: ``prefix`` + the id + ``:`` and anything (ids are digits: no wildcard)."""
    return literal(prefix) + cast(id_column, String) + literal(":%")


async def prune_deliveries(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` delivery rows that no feature can claim again (see above)."""
    key = col(Delivery.key)
    of_open_round = select(Round.id).where(
        Round.state == "open",
        or_(
            col(Delivery.round_id) == Round.id,
            key.like(_key_of("r", Round.id)),
            key.like(_key_of("summary:", Round.id)),
        ),
    )
    of_open_pact = select(Pact.id).where(Pact.state == "open", key.like(_key_of("pact", Pact.id)))
    nudge_pending = select(Announcement.id).where(
        Announcement.state == "sent",
        col(Announcement.nudge_at).is_not(None),
        col(Announcement.nudged_at).is_(None),
        key.like(_key_of("ann:", Announcement.id)),
    )
    query = (
        select(Delivery.id)
        .where(
            col(Delivery.state).in_(FINAL_STATES),
            col(Delivery.updated_at) < cutoff,
            ~exists(of_open_round),
            ~exists(of_open_pact),
            ~exists(nudge_pending),
        )
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    ids = [i for i in (await session.exec(query)).all() if i is not None]
    if ids:
        await session.exec(delete(Delivery).where(col(Delivery.id).in_(ids)))
    return len(ids)


async def prune_report_drafts(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` report drafts that can no longer be submitted."""
    reopened = select(RoundReopening.id).where(
        RoundReopening.round_id == Draft.round_id,
        RoundReopening.department_id == Draft.department_id,
        col(RoundReopening.used).is_(False),
    )
    query = (
        select(Draft.person_id)
        .join(Round, col(Round.id) == col(Draft.round_id))
        .where(col(Draft.updated_at) < cutoff, Round.state != "open", ~exists(reopened))
        .order_by(col(Draft.person_id))
        .limit(limit)
    )
    ids = list((await session.exec(query)).all())
    if ids:
        await session.exec(delete(Draft).where(col(Draft.person_id).in_(ids)))
    return len(ids)


async def prune_cancelled_announcements(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` announcements cancelled before they were sent."""
    query = (
        select(Announcement.id)
        .where(
            Announcement.state == "cancelled",
            col(Announcement.sent_at).is_(None),
            col(Announcement.created_at) < cutoff,
            ~exists(
                select(AnnouncementCopy.id).where(
                    AnnouncementCopy.announcement_id == Announcement.id
                )
            ),
            ~exists(
                select(AnnouncementAck.id).where(AnnouncementAck.announcement_id == Announcement.id)
            ),
        )
        .order_by(col(Announcement.id))
        .limit(limit)
    )
    ids = [i for i in (await session.exec(query)).all() if i is not None]
    if ids:
        await session.exec(delete(Announcement).where(col(Announcement.id).in_(ids)))
    return len(ids)


async def prune_discarded_elections(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` elections cancelled before they opened, with their offices and
    candidates (they have no roll, round or ballot: those exist only from the opening)."""
    query = (
        select(Election.id)
        .where(
            Election.state == "cancelled",
            col(Election.opened_at).is_(None),
            func.coalesce(col(Election.closed_at), col(Election.created_at)) < cutoff,
            ~exists(select(ElectionRound.id).where(ElectionRound.election_id == Election.id)),
            ~exists(
                select(ElectionRollEntry.election_id).where(
                    ElectionRollEntry.election_id == Election.id
                )
            ),
        )
        .order_by(col(Election.id))
        .limit(limit)
    )
    ids = [i for i in (await session.exec(query)).all() if i is not None]
    if ids:
        await session.exec(delete(ElectionOffice).where(col(ElectionOffice.election_id).in_(ids)))
        await session.exec(
            delete(ElectionCandidate).where(col(ElectionCandidate.election_id).in_(ids))
        )
        await session.exec(delete(Election).where(col(Election.id).in_(ids)))
    return len(ids)
