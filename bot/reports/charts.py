"""One PNG chart per numeric indicator: the departments' values, the cluster figure marked.

Drawn with matplotlib's Agg backend (no display) through the object API, so charts can be drawn
from several threads without touching pyplot's global state. Horizontal bars, one per
department in the cluster's order, so that long Vietnamese names stay readable; departments that
have not submitted are listed with "chưa nộp" and no bar (never a zero bar). The title, axis and
numbers follow the reader's language (Vietnamese: 1.203; 12,5).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from bot.domain.aggregation import numeric_value
from bot.domain.summary import IndicatorSummary, Summary
from bot.reports import plain
from messages.formatting import format_number, format_percent

__all__ = ["chartable", "indicator_chart", "summary_charts"]

_BAR = "#2f6db5"
_BAR_HOLDER = "#c0392b"
_MARK = "#e67e22"


def chartable(line: IndicatorSummary) -> bool:
    """Numeric indicators get a chart (a yes/no tally is read better as text)."""
    return line.indicator.numeric


def _label(lang: str, obj: Any, attr: str = "name") -> str:
    if lang == "en":
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, attr))


def _fmt(line: IndicatorSummary, value: Decimal, lang: str) -> str:
    if line.indicator.type == "percent":
        return format_percent(value, lang)
    return format_number(value, lang)


def _wrap(text: str, width: int) -> str:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return "\n".join(lines)


def indicator_chart(line: IndicatorSummary, period: str, lang: str, dpi: int = 110) -> bytes:
    """The PNG bytes of one indicator's chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import FuncFormatter

    indicator = line.indicator
    unit = _label(lang, indicator, "unit") if indicator.type != "percent" else "%"
    names: list[str] = []
    values: list[float] = []
    present: list[bool] = []
    holders = {d.id for d in line.holders}
    colors: list[str] = []
    for dept, raw, submitted in line.rows:
        name = _label(lang, dept)
        names.append(name if len(name) <= 34 else name[:33] + "…")
        number = numeric_value(indicator.type, raw) if submitted else None
        present.append(number is not None)
        values.append(float(number) if number is not None else 0.0)
        colors.append(_BAR_HOLDER if dept.id in holders else _BAR)

    height = max(3.2, 0.9 + 0.32 * len(names))
    fig = MplFigure(figsize=(8.0, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(len(names)))
    ax.barh(
        [p for p, ok in zip(positions, present, strict=True) if ok],
        [v for v, ok in zip(values, present, strict=True) if ok],
        color=[c for c, ok in zip(colors, present, strict=True) if ok],
        height=0.65,
    )
    ax.set_yticks(positions, labels=names, fontsize=8)
    ax.invert_yaxis()  # the cluster's order, top to bottom
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: format_number(Decimal(repr(float(x))), lang, 2))
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(plain(lang, "chart_axis", unit=unit), fontsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    largest = max((abs(v) for v, ok in zip(values, present, strict=True) if ok), default=0.0)
    offset = largest * 0.01 or 0.01
    missing_word = plain(lang, "chart_missing")
    skipped_word = plain(lang, "chart_skipped")
    sent_flags = [sent for _, _, sent in line.rows]
    for position, value, ok, sent in zip(positions, values, present, sent_flags, strict=True):
        if ok:
            text = _fmt(line, Decimal(repr(value)), lang)
            ax.text(value + (offset if value >= 0 else -offset), position, text,
                    va="center", ha="left" if value >= 0 else "right", fontsize=7)  # fmt: skip
        else:
            ax.text(offset, position, missing_word if not sent else skipped_word, va="center", ha="left", fontsize=7,
                    color="#888888", style="italic")  # fmt: skip

    figure = line.figure
    reported = [v for v, ok in zip(values, present, strict=True) if ok]
    if figure.value is not None and reported:
        if figure.rule == "sum":
            mark = figure.value / Decimal(figure.reported)  # the mean bar, for the eye
        else:
            mark = figure.value
        if figure.rule in ("sum", "average", "min", "max"):
            ax.axvline(float(mark), color=_MARK, linestyle="--", linewidth=1.4,
                       label=plain(lang, "chart_mark", rule=figure.rule, value=_fmt(line, mark, lang)))  # fmt: skip
            fig.legend(loc="lower right", fontsize=8, frameon=False)
        footer = plain(lang, "chart_footer", rule=figure.rule,
                       figure=_fmt(line, figure.value, lang), coverage=figure.coverage)  # fmt: skip
    else:
        footer = plain(lang, "chart_no_data")
    if largest:
        ax.set_xlim(min(0.0, min(reported, default=0.0) * 1.15), largest * 1.15)

    title = plain(lang, "chart_title", label=_label(lang, indicator, "label"), period=period)
    ax.set_title(_wrap(title, 70), fontsize=10, loc="left")
    fig.text(0.01, 0.005, footer, fontsize=8, ha="left", va="bottom", color="#444444")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.set_layout_engine("none")  # laid out once: no second draw when saving
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def summary_charts(
    summary: Summary, lang: str, slugs: list[str] | None = None, limit: int = 10
) -> list[tuple[IndicatorSummary, bytes]]:
    """Charts of the chosen indicators (by slug; default: every numeric one), at most ``limit``
    (a Telegram media group holds 10)."""
    lines = [line for line in summary.indicators if chartable(line)]
    if slugs is not None:
        order = {slug: i for i, slug in enumerate(slugs)}
        lines = sorted((ln for ln in lines if ln.indicator.slug in order),
                       key=lambda ln: order[ln.indicator.slug])  # fmt: skip
    return [(line, indicator_chart(line, summary.period, lang)) for line in lines[:limit]]
