"""Answers that cost CPU (charts, workbooks, the summary post): prepared from the database,
built in the worker process.

A handler never draws: it answers with a :class:`~bot.services.screens.Composition`, which is
queued with its transaction; the effects worker then reads what it needs (:func:`prepare`, a
short read), builds it in the worker process (:func:`build`, via :mod:`bot.reports.offload`, with
no database session open and outside the interpreter that serves updates) and queues the
resulting messages. Jobs are plain dataclasses so that they pickle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.documents import DocumentSet
from bot.domain.summary import HistoryEntry, IndicatorSummary, Summary
from bot.reports import summary_messages
from bot.reports.charts import chartable, indicator_chart, summary_charts
from bot.reports.csv_export import build_csv
from bot.reports.score_template import ScoreTemplateTarget, build_score_template
from bot.reports.scoring_sheets import ScoringSheets
from bot.reports.template_io import TemplateTarget, build_template
from bot.services import score_template
from bot.services.documents import documents_for
from bot.services.scoring_sheets import scoring_sheets_for
from bot.services.screens import Attachment, Outcome
from bot.services.summaries import history_for, previous_report, summary_for
from messages.render import render
from storage import clusters, people, rounds, submissions
from storage.models import Department
from storage.summaries import department_info, indicator_info
from storage.types import utcnow

HEADLINE_CHARTS = 4
"""Charts attached to the automatic summary when the cluster file marks no `headline = true`."""


def file_name(kind: str, cluster_id: str, period: str, extension: str) -> str:
    """ASCII file names ("bao-cao-tong-hop_cum_2023-Q4.xlsx"): they survive every mail system."""
    slug = re.sub(r"[^a-z0-9-]+", "-", cluster_id.lower()).strip("-")
    return f"{kind}_{slug}_{period}.{extension}"


@dataclass(frozen=True)
class SummaryPost:
    summary: Summary
    lang: str
    charts: tuple[str, ...]  # the indicators charted (slugs)
    history: tuple[HistoryEntry, ...] | None  # set when the text leaves tables out


@dataclass(frozen=True)
class Chart:
    line: IndicatorSummary
    period: str
    lang: str


@dataclass(frozen=True)
class Export:
    summary: Summary
    lang: str
    fmt: str  # xlsx | csv
    history: tuple[HistoryEntry, ...]
    scoring: ScoringSheets | None = None  # a year's workbook: its scoring sheet


@dataclass(frozen=True)
class Template:
    target: TemplateTarget
    lang: str
    department: Department


@dataclass(frozen=True)
class Documents:
    found: DocumentSet
    lang: str


@dataclass(frozen=True)
class ScoreTemplate:
    target: ScoreTemplateTarget
    lang: str
    department: Department


Job = SummaryPost | Chart | Export | Template | Documents | ScoreTemplate


async def prepare(
    session: AsyncSession, what: str, params: dict[str, Any], lang: str
) -> tuple[int | None, Job] | None:
    """(the chat it goes to, when not the asker's: the cluster's group; the job), or None when
    there is nothing to make any more."""
    if what == "summary-post":
        return await _prepare_post(session, int(params["round_id"]), lang)
    if what == "template":
        return await _prepare_template(
            session, int(params["round_id"]), int(params["department_id"]), lang
        )
    if what == "score-template":
        made = await score_template.template_target(
            session,
            int(params["session_id"]),
            int(params["department_id"]),
            date.fromisoformat(params["today"]),
        )
        return None if made is None else (None, ScoreTemplate(made[0], lang, made[1]))
    now = datetime.fromisoformat(params["now"]) if params.get("now") else None
    if what == "documents":
        found = await documents_for(
            session, params["cluster"], int(params["year"]), lang, now=now or utcnow()
        )
        return None if found is None or found.empty else (None, Documents(found, lang))
    summary = await summary_for(session, params["cluster"], params["period"], now=now)
    if summary is None:
        return None
    if what == "chart":
        for line in summary.indicators:
            if line.indicator.slug == params["indicator"] and chartable(line):
                return None, Chart(line, summary.period, lang)
        return None
    if what == "export":
        history = await history_for(
            session, summary.cluster_id, summary.compiled_from or [summary.period]
        )
        sheets = None
        if params["fmt"] == "xlsx" and summary.period.isdigit():  # a year: its scoring too
            sheets = await scoring_sheets_for(
                session, summary.cluster_id, int(summary.period), today=(now or utcnow()).date()
            )
        return None, Export(summary, lang, str(params["fmt"]), tuple(history), sheets)
    raise ValueError(f"unknown composition {what!r}")


async def _prepare_post(
    session: AsyncSession, round_id: int, lang: str
) -> tuple[int | None, Job] | None:
    found = await rounds.get_round_with_group(session, round_id)
    if found is None:
        return None
    row, group = found
    summary = await summary_for(session, row.cluster_id, row.period)
    if summary is None:
        return None
    history = None
    if not summary_messages(summary, lang).complete:
        history = tuple(
            await history_for(
                session, summary.cluster_id, summary.compiled_from or [summary.period]
            )
        )
    chartable_slugs = [line.indicator.slug for line in summary.indicators if chartable(line)]
    marked = [line.indicator.slug for line in summary.indicators if line.indicator.headline]
    chosen = [s for s in marked if s in chartable_slugs] or chartable_slugs[:HEADLINE_CHARTS]
    return group, SummaryPost(summary, lang, tuple(chosen), history)


async def _prepare_template(
    session: AsyncSession, round_id: int, department_id: int, lang: str
) -> tuple[int | None, Job] | None:
    """The department's Excel template for the round, prefilled with its latest figures."""
    row = await rounds.get_round(session, round_id)
    department = await people.get_department(session, department_id)
    if row is None or row.id is None or department is None:
        return None
    info = department_info(department)
    indicators = [
        indicator_info(i) for i in await clusters.list_indicators(session, row.cluster_id)
    ]
    previous = await previous_report(session, row, info.id)
    latest = await submissions.get_latest_revision(session, row.id, info.id)
    target = TemplateTarget(
        cluster_id=row.cluster_id,
        round_id=row.id,
        period=row.period,
        deadline=row.deadline,
        department=info,
        indicators=indicators,
        previous_period=previous[0] if previous else None,
        previous_values=previous[1] if previous else {},
        current_values=latest.values if latest else {},
    )
    return None, Template(target, lang, department)


def build(job: Job) -> Outcome:
    """CPU only, no I/O: runs in the worker process."""
    # python-docx and openpyxl are imported here, in the worker process, not with this module:
    # the serving process imports it to prepare jobs and must not carry them (issue 9, memory;
    # tests/test_lean_imports.py).
    from bot.reports.documents import build_documents
    from bot.reports.workbook import build_workbook

    if isinstance(job, SummaryPost):
        return _build_post(job)
    if isinstance(job, Template):
        t = job.target
        data = build_template(t, job.lang)
        name = file_name(f"mau-nhap-so-lieu_{t.department.slug}", t.cluster_id, t.period, "xlsx")
        caption = render(
            job.lang, "summary.template_caption", period=t.period, department=job.department
        )
        return Outcome(attachments=[Attachment("document", data, caption, name)])
    if isinstance(job, ScoreTemplate):
        st = job.target
        data = build_score_template(st, job.lang)
        name = file_name(f"mau-tu-cham-diem_{st.department.slug}", st.cluster_id, str(st.year), "xlsx")
        caption = render(
            job.lang, "score.template_caption", year=st.year, department=job.department
        )
        return Outcome(attachments=[Attachment("document", data, caption, name)])
    if isinstance(job, Documents):
        return Outcome(
            attachments=[
                Attachment(
                    "document",
                    built.data,
                    render(job.lang, "documents_chat.caption", kind=built.kind, year=job.found.year),
                    built.filename,
                )
                for built in build_documents(job.found, job.lang)
            ]
        )
    if isinstance(job, Chart):
        png = indicator_chart(job.line, job.period, job.lang)
        caption = render(job.lang, "summary.chart_caption", line=job.line, period=job.period)
        return Outcome(attachments=[Attachment("photo", png, caption)])
    s, lang = job.summary, job.lang
    caption = render(lang, "summary.export_caption", s=s)
    name = file_name("bao-cao-tong-hop", s.cluster_id, s.period, job.fmt)
    if job.fmt == "csv":
        data = build_csv(s, lang)
    else:
        data = build_workbook(s, lang, list(job.history), s.generated_at, job.scoring)
    return Outcome(attachments=[Attachment("document", data, caption, name)])


def _build_post(job: SummaryPost) -> Outcome:
    """The text, the headline indicators' charts as one media group, and the workbook when
    the text had to leave tables out."""
    summary, lang = job.summary, job.lang
    text = summary_messages(summary, lang)
    out = Outcome(texts=list(text.messages))
    charts = summary_charts(summary, lang, list(job.charts))
    caption = render(lang, "summary.charts_caption", period=summary.period)
    out.attachments = [
        Attachment("photo", png, caption if n == 0 else "") for n, (_, png) in enumerate(charts)
    ]
    if job.history is not None:
        from bot.reports.workbook import build_workbook  # in the worker process (see build)

        book = build_workbook(summary, lang, list(job.history), summary.generated_at)
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        caption = render(lang, "summary.export_caption", s=summary)
        out.attachments.append(Attachment("document", book, caption, name))
    return out
