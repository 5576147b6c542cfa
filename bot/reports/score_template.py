"""The Excel self-scoring template: written for one department and year, read back when filled.

The same shape as the report template (bot/reports/template_io.py), whose container checks it
reuses. Writing (:func:`build_score_template`): one visible sheet listing every criterion of
the year's scoring table in its groups, with its maximum; the points the bot computes
(``auto``, ``timeliness``) are shown in their own column and the row is locked; for each
criterion the department scores itself, the points and justification cells are the only
unlocked cells of the protected sheet, prefilled with what is recorded. A very hidden sheet
identifies the template: cluster, scoring session, year, department, and which row holds which
criterion.

Reading (:func:`read_score_template`) trusts nothing in the file: the container checks of the
report template (size, ZIP, macros, zip bombs, DOCTYPE), then the identity sheet (a workbook
without it is ``not_scoring_template``: the caller then treats the file as something else),
the sheet under its name, every criterion row still holding its criterion's id in the hidden
column B. Each filled row gives the points as Excel stored them (a number, or text read as in
the chat: "7,5") and the justification; a formula's cached value is taken, a formula without
one is refused for its cell. The scoring rules (the maximum, the justification) are the
caller's, with the year's table: this module returns, per criterion, the cells and what they
hold, and problems that name their cell. It raises :class:`UploadRejected` and nothing else.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain.summary import DepartmentInfo
from bot.reports import plain
from bot.reports.template_io import UploadRejected, check_container
from bot.reports.template_sheet import new_sheet

log = logging.getLogger(__name__)

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "FilledScores",
    "ScoreCell",
    "ScoreTemplateTarget",
    "TemplateCriterion",
    "build_score_template",
    "read_score_template",
]

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
META_SHEET = "_clusterbot_scoring"
MAGIC = "clusterbot-scoring-template"
VERSION = 1
FIRST_ROW = 7
MAX_ROWS_READ = 2000
CODE_COLUMN = 2  # B, hidden: the criterion's id, to detect moved rows
COMPUTED_COLUMN = 5  # E
POINTS_COLUMN = 6  # F
JUSTIFICATION_COLUMN = 7  # G
POINTS_LETTER, JUSTIFICATION_LETTER = "F", "G"
_TYPED = re.compile(r"\d{1,6}(?:[.,]\d{1,6})?")


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class TemplateCriterion:
    """One row of the template (plain values, so that it pickles for the worker process)."""

    id: str
    name: str
    name_en: str | None
    group: str
    group_en: str | None
    max: Decimal
    own: bool  # scored by the department ("self"); else computed by the bot
    computed: Decimal | None = None
    points: Decimal | None = None  # recorded already: prefilled
    justification: str | None = None


@dataclass(frozen=True)
class ScoreTemplateTarget:
    cluster_id: str
    session_id: int
    year: int
    deadline: date
    department: DepartmentInfo
    criteria: Sequence[TemplateCriterion]


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def build_score_template(target: ScoreTemplateTarget, lang: str) -> bytes:
    """The .xlsx bytes of the department's self-scoring template for the year."""
    sheet = new_sheet(lang, "score_template_sheet", META_SHEET, (
        (MAGIC, VERSION),
        ("cluster", target.cluster_id),
        ("session", target.session_id),
        ("year", target.year),
        ("department", target.department.id, target.department.slug),
    ))  # fmt: skip
    ws, meta, look, text = sheet.ws, sheet.meta, sheet.look, sheet.text
    border, wrap = look.border, look.wrap
    english = lang == "en"
    department = (
        target.department.name_en if english and target.department.name_en
        else target.department.name
    )  # fmt: skip
    text(1, 1, plain(lang, "score_template_title", year=target.year), font=look.title)
    text(2, 1, plain(lang, "template_department", name=department), font=look.bold)
    text(3, 1, plain(lang, "template_deadline", d=target.deadline))
    text(4, 1, plain(lang, "score_template_instructions"), font=look.italic)
    sheet.headers(6, [plain(lang, word) for word in (
        "col_no", "col_criterion_id", "col_criterion", "col_max", "col_computed",
        "col_self_points", "col_justification",
    )])  # fmt: skip

    row, group, number = FIRST_ROW, None, 0
    for criterion in target.criteria:
        if criterion.group != group:
            group = criterion.group
            label = criterion.group_en if english and criterion.group_en else criterion.group
            text(row, 3, label, font=look.bold, fill=look.group_fill, border=border)
            row += 1
        number += 1
        ws.cell(row=row, column=1, value=number).border = border
        text(row, CODE_COLUMN, criterion.id, border=border)
        name = criterion.name_en if english and criterion.name_en else criterion.name
        text(row, 3, name, alignment=wrap, border=border)
        ws.cell(row=row, column=4, value=_number(criterion.max)).border = border
        computed = ws.cell(row=row, column=COMPUTED_COLUMN)
        computed.border = border
        points = ws.cell(row=row, column=POINTS_COLUMN)
        points.border = border
        points.number_format = "0.##"
        justification = ws.cell(row=row, column=JUSTIFICATION_COLUMN)
        justification.border = border
        justification.alignment = wrap
        if criterion.own:
            if criterion.points is not None:
                points.value = _number(criterion.points)
            if criterion.justification:
                text(row, JUSTIFICATION_COLUMN, criterion.justification, alignment=wrap,
                     border=border)  # fmt: skip
            for cell in (points, ws.cell(row=row, column=JUSTIFICATION_COLUMN)):
                cell.protection = look.unlocked
                cell.fill = look.input_fill
            ws.row_dimensions[row].height = 45
            meta.append(["criterion", criterion.id, row])
        else:
            computed.value = _number(criterion.computed or Decimal(0))
            for cell in (computed, points, justification):
                cell.fill = look.computed_fill
            text(row, JUSTIFICATION_COLUMN, plain(lang, "score_template_computed"),
                 font=look.italic, fill=look.computed_fill, border=border)  # fmt: skip
        row += 1
    return sheet.finish((5, 14, 60, 10, 14, 14, 48), first_row=FIRST_ROW, header_row=6)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ScoreIdentity:
    cluster_id: str
    session_id: int
    year: int
    department_id: int
    department_slug: str
    sheet: str
    rows: dict[str, int]  # criterion id -> row


@dataclass(frozen=True)
class ScoreCell:
    """A filled row: its points (None: left empty) and justification, with their cells."""

    criterion: str
    points_cell: str
    points: Decimal | None
    justification_cell: str
    justification: str


@dataclass(frozen=True)
class CellProblem:
    """A cell that cannot be read (``code``: bad_points, formula_without_value)."""

    cell: str
    criterion: str
    code: str
    raw: str = ""


@dataclass(frozen=True)
class FilledScores:
    identity: ScoreIdentity
    filled: list[ScoreCell] = field(default_factory=list)  # rows with points or a text
    problems: list[CellProblem] = field(default_factory=list)
    formula_cells: list[str] = field(default_factory=list)  # cells whose cached value was taken


def read_score_template(data: bytes) -> FilledScores:
    """Read a filled self-scoring template. Raises :class:`UploadRejected` for a file that
    cannot be used at all (``not_scoring_template`` when it is no such template), and nothing
    else; cell problems are returned. Identity is the caller's to compare."""
    try:
        return _read(data)
    except UploadRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged entry surfaces lazily, as anything
        log.info("damaged scoring template upload: %s: %s", type(exc).__name__, exc)
        raise UploadRejected("corrupt") from None


def load_workbook_bytes(data: bytes, data_only: bool) -> Any:
    from openpyxl import load_workbook  # only when a file is read

    try:
        return load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise UploadRejected("corrupt") from None


def _identity(wb: Any) -> ScoreIdentity:
    if META_SHEET not in wb.sheetnames:
        raise UploadRejected("not_scoring_template")
    rows = [
        tuple(r)
        for r in wb[META_SHEET].iter_rows(
            min_row=1, max_row=MAX_ROWS_READ, max_col=3, values_only=True
        )  # fmt: skip
    ]
    try:
        if rows[0][0] != MAGIC or int(rows[0][1]) != VERSION:
            raise ValueError("not ours")
        head = {str(r[0]): r for r in rows[1:6] if r and r[0] is not None}
        criteria = {str(r[1]): int(r[2]) for r in rows[6:] if r and r[0] == "criterion"}
        return ScoreIdentity(
            cluster_id=str(head["cluster"][1]),
            session_id=int(head["session"][1]),
            year=int(head["year"][1]),
            department_id=int(head["department"][1]),
            department_slug=str(head["department"][2]),
            sheet=str(head["sheet"][1]),
            rows=criteria,
        )
    except (KeyError, IndexError, TypeError, ValueError):
        raise UploadRejected("damaged_identity") from None


def _cells(ws: Any, last_row: int) -> dict[int, dict[int, tuple[Any, str]]]:
    """row -> column -> (value, data type) for columns B, F and G."""
    found: dict[int, dict[int, tuple[Any, str]]] = {}
    wanted = (CODE_COLUMN, POINTS_COLUMN, JUSTIFICATION_COLUMN)
    rows = ws.iter_rows(min_row=FIRST_ROW, max_row=last_row, min_col=1,
                        max_col=JUSTIFICATION_COLUMN)  # fmt: skip
    for number, cells in enumerate(rows, start=FIRST_ROW):
        for column, cell in enumerate(cells, start=1):
            if column in wanted:
                found.setdefault(number, {})[column] = (
                    cell.value,
                    getattr(cell, "data_type", None) or "n",
                )
    return found


def _read(data: bytes) -> FilledScores:
    check_container(data)
    formulas = load_workbook_bytes(data, data_only=False)
    try:
        identity = _identity(formulas)
        if identity.sheet not in formulas.sheetnames:
            raise UploadRejected("sheet_missing", sheet=identity.sheet)
        last_row = max(identity.rows.values(), default=FIRST_ROW)
        if last_row > MAX_ROWS_READ or min(identity.rows.values(), default=FIRST_ROW) < FIRST_ROW:
            raise UploadRejected("damaged_identity")
        formula_cells = _cells(formulas[identity.sheet], last_row)
    finally:
        formulas.close()
    values = load_workbook_bytes(data, data_only=True)
    try:
        value_cells = _cells(values[identity.sheet], last_row)
    finally:
        values.close()
    moved = [
        str(row)
        for criterion, row in identity.rows.items()
        if str(formula_cells.get(row, {}).get(CODE_COLUMN, (None,))[0] or "").strip() != criterion
    ]
    if moved:
        raise UploadRejected("cells_moved", rows=", ".join(moved[:5]))
    result = FilledScores(identity)
    for criterion, row in identity.rows.items():
        points_ref, text_ref = f"{POINTS_LETTER}{row}", f"{JUSTIFICATION_LETTER}{row}"
        read: dict[int, Any] = {}
        for column, ref in ((POINTS_COLUMN, points_ref), (JUSTIFICATION_COLUMN, text_ref)):
            value = value_cells.get(row, {}).get(column, (None, "n"))[0]
            if formula_cells.get(row, {}).get(column, (None, "n"))[1] == "f":
                if value is None or (isinstance(value, str) and value.startswith("#")):
                    result.problems.append(CellProblem(ref, criterion, "formula_without_value"))
                    read[column] = None
                    continue
                result.formula_cells.append(ref)
            read[column] = value
        points, problem = _points(read.get(POINTS_COLUMN))
        justification = _text(read.get(JUSTIFICATION_COLUMN))
        if problem is not None:
            result.problems.append(CellProblem(points_ref, criterion, "bad_points", problem))
            continue
        if points is None and not justification:
            continue  # left empty: the chat asks for it
        result.filled.append(ScoreCell(criterion, points_ref, points, text_ref, justification))
    return result


def _points(value: Any) -> tuple[Decimal | None, str | None]:
    """(points, None), or (None, what the cell holds) when it is no number of points."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool) or isinstance(value, (datetime, date, time, timedelta)):
        return None, str(value)
    if isinstance(value, (int, float, Decimal)):
        try:
            # What Excel shows: 15 significant digits (0.1 + 0.2 is 0.3).
            number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            return None, str(value)
        return (number, None) if number.is_finite() else (None, str(value))
    raw = str(value).strip()
    if not _TYPED.fullmatch(raw):  # as in the chat: "7,5" or "7.5", never a percent
        return None, raw
    return Decimal(raw.replace(",", ".")), None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(format(value, ".15g")), "f")
    return str(value).strip()
