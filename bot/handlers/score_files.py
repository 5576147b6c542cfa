"""Files sent in the private chat for self-scoring: evidence while /score is in progress
(bot/services/score_evidence.py), and the filled Excel self-scoring template
(bot/services/score_template.py). Thin: the services decide.

Registered in the SCORING group, before the commands: a file it takes stops there; any other
(no scoring open, or an .xlsx that is not a self-scoring template while no draft is in
progress) passes on to the report template upload (bot/handlers/summaries.py). Downloading,
hashing and reading the file happen first, with no transaction open (on SQLite a unit of work
holds the write lock, and every other chat would wait), as for report templates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.domain.scoring import ScoreRefused
from bot.handlers import Handler
from bot.handlers.replying import context_for, db_of, gated, is_private
from bot.reports import offload
from bot.reports.score_template import MAX_TEMPLATE_BYTES, read_score_template
from bot.reports.template_io import UploadRejected
from bot.services import score_evidence as evidence
from bot.services import score_template as template
from bot.services.context import Context
from bot.services.screens import Outcome

__all__ = ["files"]


@dataclass(frozen=True)
class _Sent:
    file_id: str
    file_name: str
    size: int | None
    caption: str

    @property
    def xlsx(self) -> bool:
        return self.file_name.lower().endswith(".xlsx")


def _sent(message: Message) -> _Sent | None:
    caption = message.caption or ""
    if message.document is not None:
        document = message.document
        name = document.file_name or f"tep_{document.file_unique_id}"
        return _Sent(document.file_id, name, document.file_size, caption)
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made: what was sent
        return _Sent(photo.file_id, f"anh_{photo.file_unique_id}.jpg", photo.file_size, caption)
    return None


async def _download(context: ContextTypes.DEFAULT_TYPE, sent: _Sent, limit: int) -> bytes | None:
    """The file's bytes; None when Telegram says it is too big to download or it is over
    `limit` after all (a declared size may be missing)."""
    try:
        telegram_file = await context.bot.get_file(sent.file_id)
        if telegram_file.file_size is not None and telegram_file.file_size > limit:
            return None
        data = bytes(await telegram_file.download_as_bytearray())
    except BadRequest as exc:  # "file is too big": over the 20 MB a bot may download
        if "too big" in str(exc).lower():
            return None
        raise
    return data if len(data) <= limit else None


async def score_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or update.effective_user is None or not is_private(update):
        return
    sent = _sent(message)
    if sent is None:
        return
    async with db_of(context).session(write=False) as session:
        rules = await evidence.file_rules(session, await context_for(update, context, session))
    if rules is None or (not rules.drafting and not sent.xlsx):
        return  # not for scoring: the report template upload may take it
    taken: evidence.ReceivedFile | template.Upload | None = None
    if sent.xlsx and (sent.size or 0) <= MAX_TEMPLATE_BYTES:
        data = await _download(context, sent, MAX_TEMPLATE_BYTES)
        if data is not None:
            try:
                taken = template.Upload(filled=await offload.run(read_score_template, data))
            except UploadRejected as error:
                if error.code != "not_scoring_template":
                    taken = template.Upload(rejected=error)
                elif rules.drafting:
                    taken = _evidence(sent, data)
    if taken is None:
        if not rules.drafting:
            return  # an .xlsx that is no self-scoring template: the report template upload
        taken = await _received(context, sent, rules)
    await gated(partial(_use, taken=taken))(update, context)
    raise ApplicationHandlerStop


def _evidence(sent: _Sent, data: bytes) -> evidence.ReceivedFile:
    return evidence.ReceivedFile(
        file_name=sent.file_name,
        size=len(data),
        telegram_file_id=sent.file_id,
        caption=sent.caption,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )


async def _received(
    context: ContextTypes.DEFAULT_TYPE, sent: _Sent, rules: evidence.FileRules
) -> evidence.ReceivedFile:
    """The evidence file, downloaded and hashed; or why it is refused, not downloaded."""
    refusal = evidence.precheck(rules, sent.file_name, sent.size)
    data = await _download(context, sent, rules.max_bytes) if refusal is None else None
    if refusal is None and data is None:
        refusal = ScoreRefused("evidence_too_big", max_mb=str(rules.max_bytes // 2**20))
    if refusal is not None or data is None:
        return evidence.ReceivedFile(
            sent.file_name, sent.size or 0, sent.file_id, sent.caption, refused=refusal
        )
    return _evidence(sent, data)


async def _use(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    session: AsyncSession,
    ctx: Context,
    *,
    taken: evidence.ReceivedFile | template.Upload,
) -> Outcome | None:
    if isinstance(taken, template.Upload):
        return await template.use_upload(session, ctx, taken)
    return await evidence.receive(session, ctx, taken)


def files() -> Handler:
    """The handler of files sent for self-scoring (its group: bot/handlers/__init__.py,
    SCORING, next to the answers of bot/handlers/scoring.py)."""
    return MessageHandler(
        filters.UpdateType.MESSAGE
        & filters.ChatType.PRIVATE
        & (filters.Document.ALL | filters.PHOTO),
        score_file,
    )
