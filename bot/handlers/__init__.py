"""Thin adapters, one module per capability: parse the update, call a service, return an Outcome.

Each module lists its handlers (``handlers()``); bot/app.py registers them all in one place,
in the handler groups below. python-telegram-bot runs the groups in ascending order and, within
a group, at most the first handler that matches; a handler stops the later groups by raising
``ApplicationHandlerStop``.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes

Handler = BaseHandler[Update, ContextTypes.DEFAULT_TYPE, Any]

MIGRATION = -20
"""A group upgraded to a supergroup: the cluster follows it before anything reads the chat id."""
GATE = -10
"""A group that is no cluster's: one explanation, then silence, whatever the command."""
CHECKING = -5
"""The answers of a checker adjusting a score, or of an officer answering an adjustment
(bot/handlers/score_checking.py): like SCORING, in a group of its own (a group runs at most its
first matching handler)."""
SCORING = -4
"""The answers of a self-score being entered (bot/handlers/scoring.py): like NOMINATING."""
NOMINATING = -3
"""The answers of a nomination being entered (bot/handlers/awards.py): the officer's next
private text, before any other flow could read it. It takes new messages only, so it does not
need the guards before it."""
GUARDS = -2
"""Edited messages and presses without a message: never input to any flow."""
COMPOSER = -1
"""The announcement being composed: the author's next private message, before any command or
the report flow's text handler could read it as theirs."""
COMMANDS = 0
"""Every capability's commands, buttons and messages; the fallback is registered last here."""
