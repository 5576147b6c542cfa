"""Builds the Application: settings and database in bot_data, handlers in their groups, the
jobs, error handler."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from datetime import datetime
from functools import cache

import httpx
from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot import log_context, metrics
from bot.clock import system_clock
from bot.delivery import Pacer
from bot.handlers import (
    CHECKING,
    COMMANDS,
    COMPOSER,
    GATE,
    GUARDS,
    MIGRATION,
    NOMINATING,
    SCORING,
    announcements,
    awards,
    calendar,
    documents,
    elections,
    gate,
    guards,
    onboarding,
    pact,
    reporting,
    rounds,
    score_checking,
    score_files,
    scoring,
    summaries,
)
from bot.jobs.wiring import register_jobs
from bot.log_format import JsonFormatter, TextFormatter
from bot.processing import ChatOrderedProcessor
from bot.publishing.after_commit import after_commit
from bot.publishing.menus import set_default_menu
from bot.publishing.worker import EffectWorker
from bot.settings import Settings
from messages.render import render, use_zone
from storage import people
from storage.database import Database

log = logging.getLogger(__name__)


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx loads the CA bundle anew for every client (~20 ms of CPU); the process's clients
    (two per application) share one context instead."""
    return httpx.create_ssl_context()


def build_application(
    settings: Settings,
    db: Database,
    *,
    clock: Callable[[], datetime] | None = None,
    rate_limit: bool = True,
    processor: ChatOrderedProcessor | None = None,
    request_timeout: float | None = None,
) -> Application:
    """``rate_limit=False`` paces nothing (the demo and most tests, against the emulator);
    otherwise one Pacer keeps every request of this process under Telegram's limits. It
    replaces python-telegram-bot's AIORateLimiter, which waits inside the caller (a handler
    would wait on a rate limit) and retries 429s on its own (widening the delivery window)."""
    token = settings.require_token()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .concurrent_updates(processor or ChatOrderedProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    # How long one Bot API request may take before the worker counts it as timed out and
    # retries it (python-telegram-bot's default read timeout is 5 s).
    timeout = 5.0 if request_timeout is None else request_timeout
    # The pool sizes are python-telegram-bot's own defaults; the TLS context is shared.
    bot_request = HTTPXRequest(
        connection_pool_size=256,
        read_timeout=timeout,
        write_timeout=timeout,
        httpx_kwargs={"verify": _tls_context()},
    )
    updates_request = HTTPXRequest(
        connection_pool_size=1, httpx_kwargs={"verify": _tls_context()}
    )
    builder = builder.request(bot_request).get_updates_request(updates_request)
    app = builder.build()
    pacer = Pacer() if rate_limit else Pacer(rate=100_000, per_chat_interval=0, group_max=0)
    app.bot_data["settings"] = settings
    app.bot_data["db"] = db
    app.bot_data["pacer"] = pacer
    app.bot_data["effects"] = EffectWorker(app, db, pacer, language=settings.language)
    app.bot_data["clock"] = clock or system_clock  # the one clock (bot/clock.py)
    use_zone(settings.tz)  # every rendered date in the cluster's time zone
    register_handlers(app)
    log_context.name_handlers(app)  # a log line names the handler it was written in
    register_jobs(app)
    app.add_error_handler(on_error)
    return app


def register_handlers(app: Application) -> None:
    """Every handler, in its group (bot/handlers/__init__.py says what each group is for)."""
    # Before anything reads a group's chat id: the cluster follows its group to the supergroup.
    app.add_handler(gate.migration(), MIGRATION)
    # Then a group that is no cluster's stops here, whatever the command (only /link passes).
    app.add_handler(gate.gate(), GATE)
    # Edits and message-less presses stop before any flow could take them as input.
    for handler in guards.handlers():
        app.add_handler(handler, GUARDS)
    # The announcement being composed: in its own group so that the author's next message
    # reaches it even though the report flow's text handler (group 0) matches it too; it lets
    # every other private message pass on to the commands' group.
    app.add_handler(announcements.composer(), COMPOSER)
    app.add_handler(awards.nomination(), NOMINATING)  # the nomination being entered
    app.add_handler(scoring.answers(), SCORING)  # the self-score being entered
    app.add_handler(score_checking.answers(), CHECKING)  # an adjustment or answer being entered
    app.add_handler(score_files.files(), SCORING)  # its evidence, its filled Excel template
    for module in (
        onboarding, rounds, reporting, summaries, calendar, elections, announcements, documents,
        awards, pact, scoring, score_checking,
    ):
        for handler in module.handlers():
            app.add_handler(handler, COMMANDS)
    # Last in the same group, not a later one: a group runs at most its first matching handler,
    # so these answer only what no capability took. In a group of their own they would also
    # answer every update a command had just handled.
    for handler in onboarding.fallbacks():
        app.add_handler(handler, COMMANDS)


async def _post_init(app: Application) -> None:
    # A crash between a secret vote's commit and the erasure of the ballot tables' history
    # leaves that vote's traces on disk: erase them before anything else runs.
    db: Database = app.bot_data["db"]
    await db.erase_ballot_history()
    await set_default_menu(app)
    worker: EffectWorker = app.bot_data["effects"]
    worker.start()
    metrics.started(app.bot_data)  # active, unless the leadership said otherwise


async def _post_shutdown(app: Application) -> None:
    await after_commit(app).stop()
    worker: EffectWorker = app.bot_data["effects"]
    await worker.stop()
    db: Database = app.bot_data["db"]
    await db.dispose()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure for us; tell the user, politely and in their language, nothing technical.

    Handlers queue what they show in their own transaction, so an exception that reaches here
    rolled that transaction back: "nothing was changed" is the truth."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    metrics.error_handled()
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    settings: Settings = context.application.bot_data["settings"]
    lang: str = settings.language
    user = update.effective_user
    try:
        if user is not None:
            db: Database = context.application.bot_data["db"]
            async with db.session() as session:
                person = await people.get_person(session, user.id)
                if person is not None and person.language:
                    lang = person.language
        if update.callback_query is not None:
            await update.callback_query.answer()
        if update.effective_chat.type == ChatType.PRIVATE or update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, render(lang, "common.error"))
    except Exception:  # noqa: BLE001 - the error handler must never raise
        log.exception("could not tell the user about the failure")


class RedactToken(logging.Filter):
    """The token is a password: it never reaches a log, whoever logs the URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = ()
        return True


_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(token: str, level: int = logging.INFO, log_format: str = "text") -> None:
    """``log_format`` "json": one JSON object a line (bot/log_format.py), the same filters.
    Either way the token is taken out of every line, tracebacks included."""
    logging.basicConfig(level=level, format=_TEXT_FORMAT)
    # httpx logs every request URL, and the URL holds the token. The database drivers and
    # python-telegram-bot log statements, parameters and raw updates at DEBUG: in a secret
    # ballot those would link a department to its vote, so they stay at WARNING whatever the level.
    for name in ("httpx", "sqlalchemy", "aiosqlite", "asyncpg", "telegram", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        if log_format == "json":
            handler.setFormatter(JsonFormatter(secrets=[token]))
        else:
            handler.setFormatter(TextFormatter(_TEXT_FORMAT, secrets=[token]))
