"""``clusterbot run`` itself in a process of its own, with the clock pinned:
``python -m tests.runtime.replica_process``.

Settings come from the environment as for the command; CLUSTERBOT_TEST_NOW (ISO, aware) is the
time the bot's clock says (the reminders due then are sent). Nothing else differs from
``clusterbot run``: the same ``bot.cli.main``, the same replica, lock and HTTP server.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

import bot.app
from bot.cli import main

if __name__ == "__main__":
    now = datetime.fromisoformat(os.environ["CLUSTERBOT_TEST_NOW"])
    bot.app.system_clock = lambda: now  # build_application's default clock
    sys.exit(main(["run"]))
