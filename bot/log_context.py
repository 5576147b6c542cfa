"""Which update a log record was written for: its id, its chat and the handler running.

python-telegram-bot runs each update in a task of its own (the processor awaits the whole of
it, every handler group and the error handler, in that task), so context variables set there
are seen by every line logged while it runs, and by nothing else. Tasks started from a handler
(fan-outs after the commit) copy them: their lines name the update that caused them.

The processor (bot/processing.py) opens :func:`update_scope`; :func:`name_handlers` makes every
registered handler set its name when it runs. The JSON log format (bot/log_format.py) reads
:func:`current`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import Application

__all__ = ["current", "name_handlers", "update_scope"]

_UPDATE_ID: ContextVar[int | None] = ContextVar("clusterbot_update_id", default=None)
_CHAT_ID: ContextVar[int | None] = ContextVar("clusterbot_chat_id", default=None)
_HANDLER: ContextVar[str | None] = ContextVar("clusterbot_handler", default=None)


@contextmanager
def update_scope(update: object) -> Iterator[None]:
    """While ``update`` is handled; what is set inside is undone at its end."""
    chat_id: int | None = None
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    tokens = (
        _UPDATE_ID.set(getattr(update, "update_id", None)),
        _CHAT_ID.set(chat_id),
        _HANDLER.set(None),
    )
    try:
        yield
    finally:
        _HANDLER.reset(tokens[2])
        _CHAT_ID.reset(tokens[1])
        _UPDATE_ID.reset(tokens[0])


def current() -> dict[str, Any]:
    """The update's fields that are known here (none outside an update)."""
    fields: dict[str, Any] = {}
    update_id, chat_id, handler = _UPDATE_ID.get(), _CHAT_ID.get(), _HANDLER.get()
    if update_id is not None:
        fields["update_id"] = update_id
    if chat_id is not None:
        fields["chat_id"] = chat_id
    if handler is not None:
        fields["handler"] = handler
    return fields


Callback = Callable[[Any, Any], Coroutine[Any, Any, Any]]


def _named(callback: Callback) -> Callback:
    # The adapter (bot/handlers/replying.py) keeps its body's name (functools.wraps).
    module = getattr(callback, "__module__", "") or ""
    name = f"{module.rsplit('.', 1)[-1]}.{getattr(callback, '__qualname__', repr(callback))}"

    async def named(update: Any, context: Any) -> Any:
        # Not reset on the way out: the error handler, which runs after a handler raised, names
        # the handler that failed; the update's scope ends it.
        _HANDLER.set(name)
        return await callback(update, context)

    named.__wrapped__ = callback  # type: ignore[attr-defined]  # as functools.wraps would
    return named


def name_handlers(app: Application) -> None:
    """Every handler registered so far sets its name (``module.function``) while it runs."""
    for handlers in app.handlers.values():
        for handler in handlers:
            callback = getattr(handler, "callback", None)
            if callback is not None:
                handler.callback = _named(callback)
