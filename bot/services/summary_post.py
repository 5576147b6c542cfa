"""The compiled report posted to the cluster's group when a round closes or completes.

What goes out is decided from the database (the summary, the headline indicators); the charts
and the workbook are drawn in the worker process (:mod:`bot.reports.offload`), outside the
interpreter that serves updates.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports import offload, summary_messages
from bot.reports.charts import chartable, summary_charts
from bot.reports.workbook import build_workbook
from bot.services.screens import Attachment, Outcome
from messages.render import render
from storage import clusters, rounds
from storage.summaries import load_history, load_summary

HEADLINE_CHARTS = 4
"""Charts attached to the automatic summary when the cluster file marks no `headline = true`."""


def file_name(kind: str, cluster_id: str, period: str, extension: str) -> str:
    """ASCII file names ("bao-cao-tong-hop_cum_2023-Q4.xlsx"): they survive every mail system."""
    import re

    slug = re.sub(r"[^a-z0-9-]+", "-", cluster_id.lower()).strip("-")
    return f"{kind}_{slug}_{period}.{extension}"


async def round_summary(
    session: AsyncSession, round_id: int, lang: str, headline: list[str] | None = None
) -> tuple[int, Outcome] | None:
    """(the group, what to post there): the text, the headline indicators' charts as one
    media group, and the workbook when the text had to leave tables out. None when the round's
    cluster has no group or nothing to summarise."""
    row = await rounds.get_round(session, round_id)
    if row is None:
        return None
    cluster = await clusters.get_cluster(session, row.cluster_id)
    if cluster is None or cluster.group_chat_id is None:
        return None
    summary = await load_summary(session, row.cluster_id, row.period)
    if summary is None:
        return None
    text = summary_messages(summary, lang)
    book = None
    if not text.complete:
        history = await load_history(
            session, summary.cluster_id, summary.compiled_from or [summary.period]
        )
        book = await offload.run(build_workbook, summary, lang, history, summary.generated_at)
    chartable_slugs = [line.indicator.slug for line in summary.indicators if chartable(line)]
    marked = [line.indicator.slug for line in summary.indicators if line.indicator.headline]
    chosen = (
        headline or [s for s in marked if s in chartable_slugs] or chartable_slugs[:HEADLINE_CHARTS]
    )
    charts = await offload.run(summary_charts, summary, lang, chosen)
    out = Outcome(texts=list(text.messages))
    caption = render(lang, "summary.charts_caption", period=summary.period)
    out.attachments = [
        Attachment("photo", png, caption if n == 0 else "") for n, (_, png) in enumerate(charts)
    ]
    if book is not None:
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        caption = render(lang, "summary.export_caption", s=summary)
        out.attachments.append(Attachment("document", book, caption, name))
    return cluster.group_chat_id, out
