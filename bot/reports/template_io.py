"""The Excel data entry template: written for one department and round, read back when filled.

Writing (:func:`build_template`): one visible sheet listing the indicators with their unit, the
department's values of the previous period for reference, an empty (or, when the department
already submitted, prefilled) column to fill and a hint per row; the value cells are the only
unlocked cells of a protected sheet. A very hidden sheet identifies the template: cluster,
round, period, department, and which row holds which indicator.

Reading (:func:`read_template`) trusts nothing in the file:

1. Size: over 2 MB is refused before anything is parsed.
2. Container: it must be a ZIP with an Excel workbook inside (an old .xls, an encrypted file or
   anything else is "not an .xlsx"); a VBA project or a macro-enabled content type is refused
   (macros); the uncompressed sizes listed in the ZIP are checked *before* openpyxl opens it
   (entries, total size, compression ratio: a zip bomb is refused), and XML with a DOCTYPE
   (entity expansion) is refused. Python's zipfile never inflates an entry beyond its listed
   size, so the listed sizes bound the work.
3. Identity: the hidden sheet must be there and name a cluster, round and department; the
   caller compares them with the officer's (see :func:`check_identity`).
4. Structure: the visible sheet must still exist under its name, and every indicator row must
   still hold its indicator's code in the hidden column B (rows moved or deleted are refused).
5. Values: a cell typed as text goes through :func:`bot.domain.figures.parse_answer`, exactly as
   a chat answer; a cell Excel stored as a number, a boolean or a percentage is turned into the
   canonical value and checked with :func:`bot.domain.figures.check_value` (same rules, same
   reasons). Formulas: **the cached value is taken** (what Excel shows and saved with the file)
   and the cells are reported, so the officer sees it on the review card; a formula without a
   cached value is refused for that cell.

Nothing here stores anything: the caller shows the review card and saves on confirmation.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain.aggregation import numeric_value
from bot.domain.figures import (
    Accepted,
    Ambiguous,
    IndicatorRule,
    Rejected,
    canonical_decimal,
    check_value,
    parse_answer,
)
from bot.domain.summary import DepartmentInfo, IndicatorInfo
from bot.reports import plain
from bot.reports.cell_values import excel_number_format
from bot.reports.template_sheet import new_sheet

log = logging.getLogger(__name__)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "META_SHEET",
    "CellProblem",
    "FilledTemplate",
    "TemplateIdentity",
    "TemplateTarget",
    "UploadRejected",
    "build_template",
    "check_container",
    "check_identity",
    "read_template",
    "rule_for",
]

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ENTRIES = 300
MAX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_ENTRY_RATIO = 100  # inflated size / compressed size, for entries over 1 MB
MAX_ROWS_READ = 2000

META_SHEET = "_clusterbot"
MAGIC = "clusterbot-template"
VERSION = 1
FIRST_ROW = 7
CODE_COLUMN = 2  # B, hidden: the indicator's code, to detect moved rows
VALUE_COLUMN = 6  # F
VALUE_LETTER = "F"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MACRO_TYPES = (b"macroEnabled", b"vbaProject", b"ms-office.vbaProject")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class UploadRejected(Exception):
    """The file as a whole cannot be used; ``code`` names why (``summary.upload_rejected``)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def rule_for(indicator: IndicatorInfo) -> IndicatorRule:
    """The parser's rule for an indicator (as the chat flow builds it)."""
    return IndicatorRule(
        type=indicator.type,  # type: ignore[arg-type]  # a str holding one of IndicatorRule's Literal types
        required=indicator.required,
        min=Decimal(indicator.min_value) if indicator.min_value is not None else None,
        max=Decimal(indicator.max_value) if indicator.max_value is not None else None,
        choices=indicator.choices,
    )


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class TemplateTarget:
    """Whom a template is for, and what to prefill."""

    cluster_id: str
    round_id: int
    period: str
    deadline: date | None
    department: DepartmentInfo
    indicators: Sequence[IndicatorInfo]
    previous_period: str | None = None
    previous_values: Mapping[int, str | None] = field(default_factory=dict)
    current_values: Mapping[int, str | None] = field(default_factory=dict)


def _excel_value(indicator: IndicatorInfo, raw: str | None, lang: str) -> Any:
    if raw is None or raw == "":
        return None
    number = numeric_value(indicator.type, raw)
    if indicator.numeric and number is not None:
        if indicator.type == "percent":
            return number / 100
        return int(number) if number == number.to_integral_value() else number
    if indicator.type == "boolean":
        return plain(lang, "boolean", v=raw)
    return raw


def _decimals_of(raw: str | None) -> int:
    if raw is None or "." not in raw:
        return 0
    return min(len(raw.split(".", 1)[1]), 4)


def build_template(target: TemplateTarget, lang: str) -> bytes:
    """The .xlsx bytes of the department's template for the round."""
    # openpyxl (and the numpy it loads) only here and in _load, which run in the worker process
    # (bot/reports/offload.py): the serving process imports this module for its types and
    # checks, and must not carry them (issue 9, the replica's memory).
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = new_sheet(lang, "template_sheet", META_SHEET, (
        (MAGIC, VERSION),
        ("cluster", target.cluster_id),
        ("round", target.round_id),
        ("period", target.period),
        ("department", target.department.id, target.department.slug),
        ("column", VALUE_LETTER),
    ))  # fmt: skip
    ws, meta, look, text = sheet.ws, sheet.meta, sheet.look, sheet.text
    border, wrap = look.border, look.wrap
    department = (
        target.department.name_en if lang == "en" and target.department.name_en
        else target.department.name
    )  # fmt: skip
    text(1, 1, plain(lang, "template_title", period=target.period), font=look.title)
    text(2, 1, plain(lang, "template_department", name=department), font=look.bold)
    if target.deadline is not None:
        text(3, 1, plain(lang, "template_deadline", d=target.deadline))
    text(4, 1, plain(lang, "template_instructions"), font=look.italic)
    sheet.headers(6, [
        *(plain(lang, word) for word in ("col_no", "col_indicator_id", "col_indicator", "col_unit")),
        plain(lang, "template_previous", period=target.previous_period or ""),
        plain(lang, "template_value"),
        plain(lang, "template_hint"),
    ])  # fmt: skip

    for offset, indicator in enumerate(target.indicators):
        row = FIRST_ROW + offset
        label = indicator.label_en if lang == "en" and indicator.label_en else indicator.label
        unit = indicator.unit_en if lang == "en" and indicator.unit_en else indicator.unit
        ws.cell(row=row, column=1, value=offset + 1).border = border
        text(row, CODE_COLUMN, indicator.slug, border=border)
        text(row, 3, label, alignment=wrap, border=border)
        text(row, 4, "%" if indicator.type == "percent" else unit, border=border)
        previous = target.previous_values.get(indicator.id)
        current = target.current_values.get(indicator.id)
        decimals = max(
            _decimals_of(previous), _decimals_of(current), 1 if indicator.type == "decimal" else 0
        )
        number_format = excel_number_format(indicator.type, decimals) if indicator.numeric else "@"
        for column, raw in ((5, previous), (VALUE_COLUMN, current)):
            value = _excel_value(indicator, raw, lang)
            cell = ws.cell(row=row, column=column)
            if isinstance(value, str):
                text(row, column, value)
            else:
                cell.value = value
            cell.number_format = number_format
            cell.border = border
            cell.alignment = wrap
        value_cell = ws.cell(row=row, column=VALUE_COLUMN)
        value_cell.protection = look.unlocked
        value_cell.fill = look.input_fill
        text(row, 7, plain(lang, "hint", type=indicator.type, required=indicator.required,
                           low=indicator.min_value, high=indicator.max_value,
                           choices=indicator.choices), alignment=wrap, border=border)  # fmt: skip
        if indicator.type == "text":
            ws.row_dimensions[row].height = 60
        options: tuple[str, ...] = ()
        if indicator.type == "boolean":
            options = (plain(lang, "boolean", v="true"), plain(lang, "boolean", v="false"))
        elif indicator.type == "choice":
            options = indicator.choices
        listed = ",".join(options)
        if (
            options
            and len(listed) <= 250
            and not any(c in listed for c in '"')
            and all("," not in o for o in options)
        ):
            validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
            validation.showErrorMessage = False  # a typed variant ("co", "x") is still read
            ws.add_data_validation(validation)
            validation.add(value_cell)
        meta.append(["indicator", indicator.id, indicator.slug, row, indicator.type])

    return sheet.finish((5, 14, 60, 12, 18, 22, 36), first_row=FIRST_ROW, header_row=6)


# --------------------------------------------------------------------------- reading


def check_container(data: bytes) -> None:
    """Refuse what must not reach openpyxl: too big, not a ZIP workbook, macros, zip bombs."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected("too_big", max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    if data[:8] == _OLE_MAGIC:
        raise UploadRejected("not_xlsx")  # .xls, or an encrypted (password) workbook
    if data[:4] != b"PK\x03\x04":
        raise UploadRejected("not_xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        raise UploadRejected("corrupt") from None
    if len(infos) > MAX_ENTRIES:
        raise UploadRejected("too_large_inside")
    names = {info.filename for info in infos}
    if any("vbaproject" in name.lower() for name in names):
        raise UploadRejected("macros")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRejected("not_xlsx")  # an .xlsb, an .ods, any other ZIP
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UploadRejected("corrupt")  # an encrypted entry
        total += info.file_size
        if total > MAX_UNCOMPRESSED:
            raise UploadRejected("too_large_inside")
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ENTRY_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadRejected("too_large_inside")
    try:
        content_types = archive.read("[Content_Types].xml")
        if any(marker in content_types for marker in _MACRO_TYPES):
            raise UploadRejected("macros")
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as handle:
                    if _DOCTYPE.search(handle.read(4096)):
                        raise UploadRejected("corrupt")
    except UploadRejected:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        KeyError,
        NotImplementedError,
        zlib.error,
    ):
        raise UploadRejected("corrupt") from None


@dataclass(frozen=True)
class TemplateIdentity:
    cluster_id: str
    round_id: int
    period: str
    department_id: int
    department_slug: str
    sheet: str
    rows: Mapping[str, int]  # indicator code -> row


@dataclass(frozen=True)
class CellProblem:
    """One cell that cannot be taken (``code``: a parser reason, or missing,
    formula_without_value, bad_cell)."""

    cell: str
    indicator: IndicatorInfo
    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    raw: str | None = None


@dataclass(frozen=True)
class FilledTemplate:
    """What a filled template says: values to put on the review card, or problems."""

    identity: TemplateIdentity
    values: dict[str, str | None]
    """Indicator code -> canonical value (None: left empty, optional indicator)."""
    ambiguous: dict[str, tuple[str, tuple[str, ...]]]
    """Indicator code -> (what was typed, the candidate readings), to confirm as in chat."""
    problems: list[CellProblem]
    formula_cells: list[str]
    """Cells whose formula's cached value was taken."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _load(data: bytes, data_only: bool) -> Any:
    from openpyxl import load_workbook  # in the worker process only (see build_template)

    try:
        return load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )
    except UploadRejected:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise UploadRejected("corrupt") from None


def _identity(wb: Any) -> TemplateIdentity:
    if META_SHEET not in wb.sheetnames:
        raise UploadRejected("not_template")
    rows = [
        tuple(row)
        for row in wb[META_SHEET].iter_rows(
            min_row=1, max_row=MAX_ROWS_READ, max_col=5, values_only=True
        )  # fmt: skip
    ]
    try:
        head = {str(r[0]): r for r in rows[:7] if r and r[0] is not None}
        if rows[0][0] != MAGIC or int(rows[0][1]) != VERSION:
            raise ValueError("not ours")
        indicator_rows = {str(r[2]): int(r[3]) for r in rows[7:] if r and r[0] == "indicator"}
        return TemplateIdentity(
            cluster_id=str(head["cluster"][1]),
            round_id=int(head["round"][1]),
            period=str(head["period"][1]),
            department_id=int(head["department"][1]),
            department_slug=str(head["department"][2]),
            sheet=str(head["sheet"][1]),
            rows=indicator_rows,
        )
    except (KeyError, IndexError, TypeError, ValueError):
        raise UploadRejected("not_template") from None


def check_identity(
    identity: TemplateIdentity,
    *,
    cluster_id: str,
    department: DepartmentInfo,
    round_id: int,
    period: str,
    department_names: Mapping[int, str] | None = None,
    round_open: bool = True,
) -> None:
    """Refuse a template of another cluster, department or round."""
    if identity.cluster_id != cluster_id:
        raise UploadRejected("other_cluster")
    if identity.department_id != department.id:
        name = (department_names or {}).get(identity.department_id, identity.department_slug)
        raise UploadRejected("other_department", department=name)
    if identity.round_id != round_id:
        if not round_open:
            raise UploadRejected("round_gone", period=identity.period)
        raise UploadRejected("other_round", period=identity.period, expected=period)


def _canonical_number(
    indicator: IndicatorInfo, value: float | int | Decimal, percent_cell: bool
) -> str:
    if isinstance(value, float):
        # What Excel shows: 15 significant digits (0.1 + 0.2 is 0.3, not 0.30000000000000004).
        number = Decimal(format(value, ".15g"))
    else:
        number = Decimal(value)
    if percent_cell and indicator.type == "percent":
        number = number * 100
        number = Decimal(format(number, ".15g"))
    if indicator.type == "integer" and number == number.to_integral_value():
        return str(int(number))
    return canonical_decimal(number)


def _read_value(
    indicator: IndicatorInfo, cell_ref: str, value: Any, number_format: str
) -> tuple[str | None, tuple[str, tuple[str, ...]] | None, CellProblem | None]:
    """(canonical, ambiguous, problem) for one cell's value."""
    rule = rule_for(indicator)
    if value is None or (isinstance(value, str) and not value.strip()):
        if indicator.required:
            return None, None, CellProblem(cell_ref, indicator, "missing")
        return None, None, None
    if isinstance(value, bool):
        if indicator.type == "boolean":
            return ("true" if value else "false"), None, None
        value = "true" if value else "false"  # a TRUE in a number cell: let the parser say no
    if isinstance(value, (datetime, date, time, timedelta)):
        return None, None, CellProblem(cell_ref, indicator, "bad_cell")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if indicator.numeric:
            try:
                canonical = _canonical_number(indicator, value, "%" in (number_format or ""))
            except (InvalidOperation, ValueError):
                return None, None, CellProblem(cell_ref, indicator, "not_a_number",
                                               {"value": str(value)}, str(value))  # fmt: skip
            rejection = check_value(rule, canonical)
            if rejection is not None:
                return (
                    None,
                    None,
                    CellProblem(cell_ref, indicator, rejection.reason, rejection.params, canonical),
                )
            return canonical, None, None
        # A number where text, a yes/no or a choice is expected: read it as typed.
        value = format(Decimal(format(value, ".15g")) if isinstance(value, float) else value, "f")
    raw = str(value)
    result = parse_answer(rule, raw)
    if isinstance(result, Accepted):
        return result.value, None, None
    if isinstance(result, Ambiguous):
        return None, (raw.strip(), result.candidates), None
    assert isinstance(result, Rejected)
    return None, None, CellProblem(cell_ref, indicator, result.reason, result.params, raw)


def read_template(data: bytes, indicators: Sequence[IndicatorInfo]) -> FilledTemplate:
    """Read a filled template for ``indicators`` (the round's indicators, in order).

    Raises :class:`UploadRejected` for a file that cannot be used at all, and nothing else;
    cell-level problems are returned in :attr:`FilledTemplate.problems`. Identity is *not*
    compared here: call :func:`check_identity` with the officer's cluster, department and round.
    """
    try:
        return _read_template(data, indicators)
    except UploadRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - see below
        # openpyxl reads a read-only workbook lazily, so a damaged entry surfaces while rows are
        # iterated, as whatever zipfile, zlib or the XML parser raise (zlib.error,
        # NotImplementedError for an unknown zip version or method, BadZipFile for a bad CRC,
        # IndexError, ...). None of them is ours to fix: the file is damaged.
        log.info("damaged template upload: %s: %s", type(exc).__name__, exc)
        raise UploadRejected("corrupt") from None


def _read_template(data: bytes, indicators: Sequence[IndicatorInfo]) -> FilledTemplate:
    check_container(data)
    formulas_wb = _load(data, data_only=False)
    try:
        identity = _identity(formulas_wb)
        if identity.sheet not in formulas_wb.sheetnames:
            raise UploadRejected("sheet_missing", sheet=identity.sheet)
        wanted = {i.slug for i in indicators if i.required}
        if not wanted <= set(identity.rows):
            raise UploadRejected("indicators_changed")
        last_row = max(identity.rows.values(), default=FIRST_ROW)
        if last_row > MAX_ROWS_READ:
            raise UploadRejected("not_template")
        formula_rows = _sheet_rows(formulas_wb[identity.sheet], last_row)
    finally:
        formulas_wb.close()
    values_wb = _load(data, data_only=True)
    try:
        value_rows = _sheet_rows(values_wb[identity.sheet], last_row)
    finally:
        values_wb.close()

    moved = [
        str(row)
        for slug, row in identity.rows.items()
        if str(formula_rows.get(row, {}).get(CODE_COLUMN, (None,))[0] or "").strip() != slug
    ]
    if moved:
        raise UploadRejected("cells_moved", rows=", ".join(moved[:5]))

    values: dict[str, str | None] = {}
    ambiguous: dict[str, tuple[str, tuple[str, ...]]] = {}
    problems: list[CellProblem] = []
    formula_cells: list[str] = []
    for indicator in indicators:
        row = identity.rows.get(indicator.slug)
        if row is None:
            values[indicator.slug] = None  # optional and new since the template was made
            continue
        ref = f"{VALUE_LETTER}{row}"
        formula, number_format, data_type = formula_rows.get(row, {}).get(
            VALUE_COLUMN, (None, "General", "n")
        )
        value = value_rows.get(row, {}).get(VALUE_COLUMN, (None,))[0]
        if data_type == "f":
            if value is None or (isinstance(value, str) and value.startswith("#")):
                problems.append(CellProblem(ref, indicator, "formula_without_value", raw=formula))
                continue
            formula_cells.append(ref)
        canonical, unsure, problem = _read_value(indicator, ref, value, number_format)
        if problem is not None:
            problems.append(problem)
        elif unsure is not None:
            ambiguous[indicator.slug] = unsure
        else:
            values[indicator.slug] = canonical
    return FilledTemplate(identity, values, ambiguous, problems, formula_cells)


def _sheet_rows(ws: Any, last_row: int) -> dict[int, dict[int, tuple[Any, str, str]]]:
    """row -> column -> (value, number format, data type) for columns B and F."""
    result: dict[int, dict[int, tuple[Any, str, str]]] = {}
    rows = ws.iter_rows(min_row=FIRST_ROW, max_row=last_row, min_col=1, max_col=VALUE_COLUMN)
    for row_number, cells in enumerate(rows, start=FIRST_ROW):
        for column, cell in enumerate(cells, start=1):
            if column in (CODE_COLUMN, VALUE_COLUMN):
                result.setdefault(row_number, {})[column] = (
                    cell.value,
                    getattr(cell, "number_format", None) or "General",
                    getattr(cell, "data_type", None) or "n",
                )
    return result
