"""Evidence (minh chứng) sent in the private chat while self-scoring (/score).

A document or a photo the officer sends while a /score draft is in progress is kept at once
(bot/services/emulation.py: attach_evidence, its bytes in the database: storage/models_evidence.py
says why) for the criterion being asked; a caption that names a criterion (its number in the
/score questions, "2", or its id, "ke-hoach-cong-tac") sends it to that one instead, any
criterion of the table, the computed ones too. Once every criterion is answered (the review card
is out) the caption must name one. Evidence is kept whether the draft is then confirmed or
cancelled: it describes the department's work, not one draft's points.

Refused, politely and with what is allowed: a file over the table's `evidence_max_mb` (at most
the 20 MB a bot may download from Telegram), of a kind not in its `evidence_types`, an empty
one, and anything once self-scoring has closed (checking, locked, past the deadline). The file
is downloaded and hashed before the unit of work begins (bot/handlers/score_files.py); a file
refused by its declared size or kind is not downloaded at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import may_self_score
from bot.domain.scoring import MB, ScoreRefused
from bot.domain.scoring_file import CriterionSpec, ScoringTable
from bot.services import emulation
from bot.services import score_conversation as conversation
from bot.services.context import Context
from bot.services.scorechat import default_year, refused
from bot.services.screens import Outcome
from storage import scoring
from storage.score_drafts import delete_score_draft, draft_session, get_score_draft

_NUMBER = re.compile(r"^(?:tiêu chí|tieu chi|criterion|tc)?\s*#?\s*(\d{1,3})\b", re.IGNORECASE)


@dataclass(frozen=True)
class FileRules:
    """What a file sent in the private chat is checked against before it is downloaded."""

    drafting: bool  # a /score draft is in progress: a file is evidence (or a filled template)
    max_bytes: int
    types: tuple[str, ...]


@dataclass(frozen=True)
class ReceivedFile:
    """An evidence file as the handler took it from Telegram, before the unit of work."""

    file_name: str
    size: int
    telegram_file_id: str
    caption: str = ""
    sha256: str = ""
    content: bytes | None = None  # None: refused before the download (`refused` says why)
    refused: ScoreRefused | None = None


async def file_rules(session: AsyncSession, ctx: Context) -> FileRules | None:
    """None when a file from this user is not for self-scoring: not an officer, or no year's
    scoring open or being checked (a report template upload then takes it,
    bot/handlers/summaries.py)."""
    if not may_self_score(ctx.actor) or ctx.cluster is None:
        return None
    draft = await get_score_draft(session, ctx.user_id)
    row = await draft_session(session, draft) if draft is not None else None
    if row is None:
        row = await scoring.get_scoring_session(
            session, ctx.cluster.id, await default_year(session, ctx)
        )
        # Open, or being checked: a self-scoring template sent late is told so. Once locked,
        # every .xlsx is the report flow's (no download here).
        if row is None or row.state == scoring.LOCKED:
            return None
    table = scoring.scoring_snapshot(row)
    return FileRules(
        drafting=draft is not None,
        max_bytes=table.evidence_max_mb * MB,
        types=tuple(table.evidence_types),
    )


def precheck(table_rules: FileRules, file_name: str, size: int | None) -> ScoreRefused | None:
    """The refusal a file meets before it is downloaded (its declared size and its name's
    kind), as the table's rules say; None when it may be downloaded."""
    limit_mb = table_rules.max_bytes // MB
    if size is not None and size > table_rules.max_bytes:
        return ScoreRefused("evidence_too_big", max_mb=str(limit_mb))
    stem, dot, extension = file_name.rpartition(".")
    if not (dot and stem) or extension.lower() not in table_rules.types:
        return ScoreRefused("evidence_type", allowed=", ".join(table_rules.types))
    return None


def _named(table: ScoringTable, caption: str) -> CriterionSpec | None:
    """The criterion a caption names: its id, or its number among the self-scored ones."""
    words = caption.strip().split()
    if not words:
        return None
    for criterion in table.criteria():
        if criterion.id.lower() == words[0].lower():
            return criterion
    found = _NUMBER.match(caption.strip())
    own = conversation.own_criteria(table)
    if found and 1 <= int(found.group(1)) <= len(own):
        return own[int(found.group(1)) - 1]
    return None


async def receive(session: AsyncSession, ctx: Context, received: ReceivedFile) -> Outcome:
    """Keep an evidence file for the draft's department, or say why not (nothing kept)."""
    draft = await get_score_draft(session, ctx.user_id)
    if draft is None or not may_self_score(ctx.actor) or ctx.actor is None:
        return Outcome().add("score.evidence_no_draft")
    row = await draft_session(session, draft)
    if row is None or draft.department_id != ctx.actor.department_id:
        await delete_score_draft(session, ctx.user_id)
        return Outcome().add("score.evidence_no_draft")
    try:
        await conversation.check_open(session, ctx, row)
    except ScoreRefused as exc:
        await delete_score_draft(session, ctx.user_id)
        return conversation.refusal(exc)
    if received.refused is not None:
        return Outcome([refused(received.refused)])
    table = scoring.scoring_snapshot(row)
    state = conversation.DraftState.from_json(draft.state)
    current = conversation.next_criterion(table, state)
    criterion = _named(table, received.caption) or current
    if criterion is None:
        own = conversation.own_criteria(table)
        return Outcome().add("score.evidence_which", criteria=list(enumerate(own, start=1)))
    assert received.content is not None
    try:  # the table's rules again, on the bytes themselves (a declared size may be missing)
        kept = await emulation.attach_evidence(
            session,
            row,
            draft.department_id,
            "criterion",
            criterion.id,
            file_name=received.file_name,
            size=len(received.content),
            sha256=received.sha256,
            telegram_file_id=received.telegram_file_id,
            by=ctx.user_id,
            now=ctx.now,
            content=received.content,
        )
    except ScoreRefused as exc:
        return Outcome([refused(exc)])
    counts = await scoring.count_evidence(session, draft.session_id, draft.department_id)
    out = Outcome().add(
        "score.evidence_kept",
        file_name=kept.file_name,
        size=kept.size,
        criterion=criterion,
        count=counts.get(("criterion", criterion.id), 0),
    )
    if current is None:  # the review card is out: show it again, with the new count
        return await conversation.review(session, out, table, state, draft)
    return out
