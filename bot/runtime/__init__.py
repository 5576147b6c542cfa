"""Running a replica of the bot: who is active, and the HTTP face (webhook, health).

- :mod:`bot.runtime.leadership`: which process may send. PostgreSQL: a session-level advisory
  lock on a dedicated connection (several replicas, one active, the others stand by).
  SQLite: an OS file lock beside the database file (one process, a second one is refused).
- :mod:`bot.runtime.replica`: the life of one ``clusterbot run`` process: stand by until the
  lock is ours, then run the Application (polling or webhook, the jobs, the effects worker)
  until the lock is lost or the process is told to stop; then stand by again.
- :mod:`bot.runtime.webhook`: updates received over HTTP (the secret, redeliveries).
- :mod:`bot.runtime.http`: the one HTTP server: the webhook, ``/healthz``, ``/readyz`` and,
  with ``CLUSTERBOT_METRICS=1``, ``/metrics``.
- :mod:`bot.runtime.role`: this replica's role, for whoever reports it (the metrics).

Nothing below ``bot/app.py`` imports this package: it sits at the top, beside the command line.
"""
