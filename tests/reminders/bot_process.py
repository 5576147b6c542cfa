"""The real bot in its own process, for the kill -9 test: `python -m tests.reminders.bot_process`.

Settings come from the environment as for `clusterbot run`; CLUSTERBOT_TEST_NOW (ISO, aware)
fixes the clock, CLUSTERBOT_TEST_CONCURRENCY the number of sends in flight.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from bot.app import build_application
from bot.settings import load_settings
from storage.database import Database


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    now = datetime.fromisoformat(os.environ["CLUSTERBOT_TEST_NOW"])
    db = Database(settings.database_url)
    app = build_application(settings, db, clock=lambda: now)
    app.bot_data["delivery_concurrency"] = int(os.environ.get("CLUSTERBOT_TEST_CONCURRENCY", "1"))
    app.run_polling(poll_interval=0, timeout=1, close_loop=True)


if __name__ == "__main__":
    main()
