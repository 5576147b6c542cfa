"""The one place that talks to Telegram after a commit.

Handlers and jobs never send: they queue effects in their transaction (:mod:`.outbox`), and the
worker (:mod:`.worker`) carries them out, paced, retried and debounced; :mod:`.live` renders the
group's live messages (progress, turnout) at the moment they are sent, so the newest state wins.
"""
