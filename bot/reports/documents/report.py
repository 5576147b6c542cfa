"""The cluster's annual review report (báo cáo tổng kết) as a .docx, from a
:class:`~bot.domain.documents.ReviewReport`.

Its parts: the members and the year's head and deputy; I. the indicators' cluster figures for
the year (against the pact's target where one exists, and against the year before where both
years hold the same periods); II. who reported, round by round; III. the departments' own
account of their main results (the narrative answers), when any; IV. the scores and ranking,
only once the cluster scores in the bot. Numbers are written the reader's way (1.203; 12,5%),
dates dd/mm/yyyy. The layout is :mod:`bot.reports.documents.layout`'s (Decree 30/2020/NĐ-CP).
"""

from __future__ import annotations

from decimal import Decimal

from docx.document import Document

from bot.domain.documents import DOCUMENT_CODES, ISSUER_CODE, FigureLine, ReviewReport
from bot.reports.documents import layout
from bot.reports.documents.layout import Words
from messages.formatting import format_date, format_number, format_percent, period_label

__all__ = ["build_report", "figure_text"]


def figure_text(line: FigureLine, value: Decimal | None, lang: str, words: Words) -> str:
    """A figure as the reader writes it: "1.203", "87,5%", "5/7 đơn vị"; "—" for none."""
    if value is None:
        return "—"
    if line.rule == "count":
        return words("count_figure", n=format_number(value, lang), total=line.expected)
    if line.type == "percent":
        return format_percent(value, lang)
    return format_number(value, lang)


def _achieved(line: FigureLine, lang: str) -> str:
    if line.target is None or line.value is None or line.target == 0:
        return "—"
    return format_percent(line.value * 100 / line.target, lang, 1)


def build_report(report: ReviewReport, lang: str) -> bytes:
    words = Words(lang)
    doc = layout.new_document()
    layout.heading(doc, words, report.heading, f"{DOCUMENT_CODES['report']}-{ISSUER_CODE}")
    layout.title(doc, words("report_kind"), words("report_subject", year=report.year))

    layout.paragraph(
        doc,
        words("report_intro", cluster=report.cluster, year=report.year, count=len(report.members))
        + " "
        + "; ".join(report.members)
        + ".",
    )
    if report.head:
        layout.paragraph(doc, words("report_head", head=report.head))
    if report.deputy:
        layout.paragraph(doc, words("report_deputy", deputy=report.deputy))
    layout.paragraph(doc, words("report_lead", year=report.year))

    part = 1
    layout.section(doc, part, words("section_figures"))
    if report.compiled_from:
        layout.paragraph(doc, words("figures_from_parts", parts=list(report.compiled_from)))
    else:
        layout.paragraph(doc, words("figures_from_round", period=str(report.year)))
    _figures(doc, report, lang, words)

    part += 1
    layout.section(doc, part, words("section_reporting"))
    _reporting(doc, report, lang, words)

    if report.highlights:
        part += 1
        layout.section(doc, part, words("section_highlights"))
        for department, text in report.highlights:
            layout.paragraph(doc, department, bold=True)
            for block in text.splitlines():
                if block.strip():
                    layout.paragraph(doc, block.strip())

    if report.scores:
        part += 1
        layout.section(doc, part, words("section_scores"))
        if report.scale is not None:
            layout.paragraph(doc, words("scores_scale", scale=format_number(report.scale, lang)))
        layout.data_table(
            doc,
            [words("col_rank"), words("col_department"), words("col_points")],
            [[str(s.rank), s.department, format_number(s.points, lang)] for s in report.scores],
            (20, 105, 40),
            right_aligned=(2,),
        )

    recipients = [words("recipient_members"), words("recipient_archive")]
    layout.closing(doc, words, recipients, [report.signature])
    return layout.to_bytes(doc)


def _figures(doc: Document, report: ReviewReport, lang: str, words: Words) -> None:
    lines = report.figures
    if not lines:
        layout.paragraph(doc, words("no_figures_line"))
        return
    with_target = any(line.target is not None for line in lines)
    with_previous = any(line.previous is not None for line in lines)
    headers = [words("col_no"), words("col_indicator"), words("col_unit")]
    if with_target:
        headers.append(words("col_target"))
    headers.append(words("col_result", year=report.year))
    if with_previous:
        headers.append(period_label(str(report.year - 1), lang))
    if with_target:
        headers.append(words("col_achieved"))
    headers.append(words("col_coverage"))
    rows = []
    for n, line in enumerate(lines, start=1):
        row = [str(n), line.label, line.unit]
        if with_target:
            row.append(figure_text(line, line.target, lang, words))
        row.append(figure_text(line, line.value, lang, words))
        if with_previous:
            row.append(figure_text(line, line.previous, lang, words))
        if with_target:
            row.append(_achieved(line, lang))
        row.append(f"{line.reported}/{line.expected}")
        rows.append(row)
    fixed = 12 + 25 + 25  # number, unit, coverage
    numbers = len(headers) - 4
    label = 165 - fixed - 25 * numbers
    widths = [12, label, 25, *([25] * numbers), 25]
    layout.data_table(
        doc,
        headers,
        rows,
        widths,
        right_aligned=tuple(range(3, len(headers))),
    )
    layout.paragraph(doc, words("figures_note"), italic=True)


def _reporting(doc: Document, report: ReviewReport, lang: str, words: Words) -> None:
    if report.rounds:
        layout.data_table(
            doc,
            [
                words("col_no"),
                words("col_period"),
                words("col_deadline"),
                words("col_submitted"),
                words("col_late"),
            ],
            [
                [
                    str(n),
                    period_label(r.period, lang),
                    format_date(r.deadline) if r.deadline else "—",
                    f"{r.submitted}/{r.expected}",
                    str(r.late),
                ]
                for n, r in enumerate(report.rounds, start=1)
            ],
            (12, 58, 35, 30, 30),
            right_aligned=(3, 4),
        )
    total = words("reporting_total", submitted=report.submitted, expected=report.expected)
    layout.paragraph(doc, total)
    if report.missing:
        layout.paragraph(doc, words("reporting_missing", names=list(report.missing)))
    if report.partial:
        layout.paragraph(doc, words("reporting_partial", names=list(report.partial)))
    if report.late:
        layout.paragraph(doc, words("reporting_late", names=list(report.late)))
    elif not report.missing and not report.partial:
        layout.paragraph(doc, words("reporting_on_time"))
