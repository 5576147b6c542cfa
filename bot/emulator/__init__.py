"""An in-process emulator of the Telegram Bot API, for the demo, the tests and the benches.

Its public face is imported from the package: ``from bot.emulator import BotApiEmulator,
EmuUser, SentMessage`` (:mod:`bot.emulator.server` describes it). The harness that runs the
real bot against it is ``bot.emulator.harness.Harness``, not imported here: it loads the bot.
"""

from bot.emulator.faults import FAULT_KINDS, Faults
from bot.emulator.server import (
    GROUP_ANONYMOUS_BOT_ID,
    ApiCall,
    ApiError,
    BotApiEmulator,
    EmuChat,
    EmuDocument,
    EmuUser,
    SentMessage,
    StoredFile,
    TranscriptEntry,
)

__all__ = [
    "FAULT_KINDS",
    "GROUP_ANONYMOUS_BOT_ID",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EmuChat",
    "EmuDocument",
    "EmuUser",
    "Faults",
    "SentMessage",
    "StoredFile",
    "TranscriptEntry",
]
