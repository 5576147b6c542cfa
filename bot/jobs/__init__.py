"""The timed steps. The database is the source of truth; the job queue only wakes the bot up to
look (bot/jobs/wiring.py). Each step asks "what is due now?" and sends through the delivery log
(bot/delivery.py), claimed under a unique key, so a step that runs twice never sends twice.

- scheduler.py        the rounds' tick: the order of the steps below, and what it sends
- round_opening.py    rounds the cluster's `[schedule]` opens by itself
- round_closing.py    rounds closed at their deadline, with the final status
- reminders.py        reminders to the officers who have not submitted, and the escalation
- failure_notices.py  the head and deputy told about a reminder refused for good
- announcements.py    the fan-out of an announcement, finished if interrupted, and its nudge
- elections.py        openings and closings by time, and the handover of the offices
- retention.py        once a day, the old delivery log and finished drafts pruned
- wiring.py           the job queue's repeating jobs and the after-commit steps
"""
