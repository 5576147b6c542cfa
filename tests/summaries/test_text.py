"""The summary as Telegram messages: valid HTML, narrow tables, Vietnamese numbers, splitting."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.domain.summary import PeriodData, build_summary
from bot.emulator.telegram_html import parse_html, parse_html_entities
from bot.reports import summary_messages, summary_text
from messages.splitting import visible_length
from tests.summaries import DEPARTMENTS, INDICATORS, big_summary, full_year_reports, sample_summary

PHONE_COLUMNS = 32


def pre_lines(html: str) -> list[str]:
    """Every line shown in a <pre> block (entities decoded)."""
    text, entities = parse_html_entities(html)
    encoded = text.encode("utf-16-le")
    lines: list[str] = []
    for entity in entities:
        if entity["type"] == "pre":
            start, length = entity["offset"] * 2, entity["length"] * 2
            lines += encoded[start : start + length].decode("utf-16-le").split("\n")
    return lines


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_summary_is_valid_telegram_html(lang: str) -> None:
    for s in (sample_summary(), sample_summary(skip=(), late=()), big_summary(7, 8)):
        parse_html(summary_text(s, lang))  # raises on anything Telegram refuses


def test_vietnamese_summary_reads_as_expected() -> None:
    text = parse_html(summary_text(sample_summary(), "vi"))
    assert "BÁO CÁO TỔNG HỢP QUÝ IV/2023" in text
    assert "Tổng cụm: 1.053 người · 6/7 đơn vị" in text
    assert "So với Quý III/2023: -150 (-12,47%) (kỳ đó: 7/7 đơn vị)" in text
    assert "So với Quý IV/2022: -1.353 (-56,23%)" in text
    assert "Trung bình cụm: 90,5% · 5/7 đơn vị" in text
    assert "Số đơn vị trả lời Có: 4 (6/7 đơn vị đã báo cáo)" in text
    assert "+2,54 điểm %" in text  # a change of a percentage is in points
    assert "⏰ Nộp muộn (1): Sở Nội vụ Thái Nguyên" in text
    assert "❌ Chưa nộp (1): Sở Nội vụ Yên Bái" in text
    assert "đơn vị chưa nộp không được tính là 0" in text
    assert "Yên Bái                 chưa nộp" in pre_lines(summary_text(sample_summary(), "vi"))
    # narrative text from users is escaped, not interpreted
    assert "& các đơn vị <trực thuộc>." in text


def test_full_round_totals_1203_175_346() -> None:
    text = parse_html(summary_text(sample_summary(skip=(), late=()), "vi"))
    for total in ("Tổng cụm: 1.203 người", "Tổng cụm: 175 cơ quan", "Tổng cụm: 346 lớp"):
        assert total in text
    assert "Chưa nộp" not in text and "7/7 đơn vị đã nộp" in text


def test_english_summary() -> None:
    text = parse_html(summary_text(sample_summary(), "en"))
    assert "SUMMARY REPORT, Q4 2023" in text
    assert "Cluster total: 1,053 people · 6/7 departments" in text
    assert "Against Q3 2023: -150 (-12.47%)" in text
    assert "Bac Kan Home Affairs" in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_tables_fit_a_phone(lang: str) -> None:
    for s in (sample_summary(), big_summary(34, 10)):
        lines = pre_lines(summary_text(s, lang))
        assert lines
        assert all(len(line) <= PHONE_COLUMNS for line in lines), max(lines, key=len)


def test_long_names_are_shortened_in_tables_not_values() -> None:
    lines = pre_lines(summary_text(big_summary(34, 5), "vi"))
    # the common words are dropped, the rest shortened in the middle: rows stay distinguishable
    names = [line[:23].rstrip() for line in lines[:34]]  # values are up to 8 wide: "chưa nộp"
    assert names[2] == "Thái Nguyên…ân cận số 3" and names[5] == "Phú Thọ & v…ân cận số 6"
    assert len(set(names)) == 34
    assert any(line.endswith("33.000") for line in lines)  # 1000*33 + 0, grouped the VN way


def test_year_compiled_from_quarters_says_which() -> None:
    from bot.domain.summary import compile_year

    quarters = [PeriodData(f"2023-Q{q}", full_year_reports()) for q in (1, 2, 4)]
    year = compile_year("2023", INDICATORS, quarters, [f"2023-Q{q}" for q in range(1, 5)])
    s = build_summary(
        cluster_id="c", cluster_name="Cụm", cluster_name_en="Cluster",
        departments=DEPARTMENTS, indicators=INDICATORS, current=year,
    )  # fmt: skip
    html = summary_text(s, "vi")
    text = parse_html(html)
    assert "BÁO CÁO TỔNG HỢP NĂM 2023" in text
    assert "Tổng hợp từ: Quý I/2023, Quý II/2023, Quý IV/2023 (chưa có: Quý III/2023)" in text
    assert "Tổng cụm: 3.609 người" in text
    english = parse_html(summary_text(s, "en"))
    assert "Compiled from: Q1 2023, Q2 2023, Q4 2023 (no round: Q3 2023)" in english


def test_empty_round() -> None:
    s = build_summary(
        cluster_id="c", cluster_name="Cụm", cluster_name_en="Cluster",
        departments=DEPARTMENTS, indicators=INDICATORS, current=PeriodData("2024-Q1", {}),
    )  # fmt: skip
    text = parse_html(summary_text(s, "vi"))
    assert "0/7 đơn vị đã nộp" in text and "Chưa có số liệu (0/7 đơn vị)" in text


def _rows_of(chunks: list[str]) -> list[str]:
    return [line for chunk in chunks for line in pre_lines(chunk)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_long_summary_is_split_between_rows(lang: str) -> None:
    s = big_summary(34, 60)
    whole = summary_text(s, lang)
    result = summary_messages(s, lang, max_messages=1000)
    assert result.complete and len(result.messages) > 10
    for chunk in result.messages:
        parse_html(chunk)
        assert visible_length(chunk) <= 4096
    # every table row arrives whole, in order: no row is cut between two messages
    assert _rows_of(result.messages) == pre_lines(whole)
    assert all(len(row) <= PHONE_COLUMNS for row in _rows_of(result.messages))


def test_too_long_summary_falls_back_to_figures_and_the_workbook() -> None:
    s = big_summary(34, 60)
    result = summary_messages(s, "vi", max_messages=5)
    assert not result.complete and len(result.messages) <= 5
    text = "\n".join(parse_html(m) for m in result.messages)
    assert "Bảng số liệu chi tiết của từng đơn vị có trong tệp Excel đính kèm" in text
    assert re.search(r"Tổng cụm: [\d.]+ người · \d+/34 đơn vị", text)
    assert "Chỉ tiêu số 59" in text  # every indicator's figure is still there


def test_short_summary_is_one_complete_message() -> None:
    result = summary_messages(sample_summary(), "vi")
    assert result.complete and len(result.messages) == 1


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_command_message_is_valid_html(lang: str) -> None:
    from bot.reports.template_io import CellProblem
    from messages.render import render
    from tests.summaries import DEPARTMENTS, RATE, STAFF

    s = sample_summary()
    problems = [
        CellProblem("F7", STAFF, "not_a_number", {"value": "<b>"}, "<b>"),
        CellProblem("F8", STAFF, "not_an_integer", {"value": "1,5"}, "1,5"),
        CellProblem("F9", RATE, "formula_without_value", {}, "=A1"),
        CellProblem("F10", RATE, "missing"),
        CellProblem("F11", RATE, "bad_cell"),
        CellProblem("F12", RATE, "above_max", {"max": "100", "value": "125"}, "125"),
    ]
    messages: dict[str, dict[str, Any]] = {
        "no_summary": {"period": "2023-Q4"},
        "bad_period": {"text": "quý <9>"},
        "chart_usage": {"indicators": [STAFF, RATE]},
        "unknown_indicator": {"text": "x&y", "indicators": [STAFF]},
        "chart_caption": {"line": s.indicators[0], "period": s.period},
        "charts_caption": {"period": s.period},
        "export_caption": {"s": s},
        "template_caption": {"period": "2023", "department": DEPARTMENTS[0]},
        "template_private": {},
        "template_officers_only": {},
        "no_open_round": {},
        "upload_problems": {"problems": problems},
        "upload_formulas": {"cells": ["F7", "F9"]},
    }
    for name, params in messages.items():
        text = render(lang, f"summary.{name}", **params)
        assert text and parse_html(text), name
    problems_text = parse_html(render(lang, "summary.upload_problems", problems=problems))
    assert "«<b>»" in problems_text and ("F12" in problems_text)
    assert (
        render("vi", "summary.no_summary", period=None) == "Cụm chưa có kỳ báo cáo nào để tổng hợp."
    )
