"""Charts: valid PNGs in the reader's language, the cluster figure marked, no fake zeros."""

from __future__ import annotations

import struct
import zlib

import pytest

from bot.domain.summary import PeriodData, build_summary
from bot.reports import plain
from bot.reports.charts import chartable, indicator_chart, summary_charts
from tests.summaries import DEPARTMENTS, INDICATORS, STAFF, big_summary, report, sample_summary

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature and the CRC."""
    assert data[:8] == PNG_MAGIC
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    assert data.endswith(b"IEND\xaeB`\x82")
    width, height = struct.unpack(">II", body[:8])
    return width, height


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_chart_is_a_valid_png(lang: str) -> None:
    s = sample_summary()
    data = indicator_chart(s.indicators[0], s.period, lang)
    width, height = png_size(data)
    assert width >= 600 and height >= 300


def test_every_numeric_indicator_gets_a_chart_and_only_those() -> None:
    s = sample_summary()
    charts = summary_charts(s, "vi")
    assert [line.indicator.slug for line, _ in charts] == [
        "tinh-gian", "kiem-tra", "lop-dao-tao", "ty-le-so-hoa"
    ]  # fmt: skip
    assert all(png_size(png) for _, png in charts)
    assert not chartable(s.indicators[3])  # the yes/no one


def test_chosen_headline_indicators_in_their_order_and_at_most_ten() -> None:
    s = sample_summary()
    charts = summary_charts(s, "vi", slugs=["lop-dao-tao", "tinh-gian", "unknown"])
    assert [line.indicator.slug for line, _ in charts] == ["lop-dao-tao", "tinh-gian"]
    assert len(summary_charts(big_summary(8, 40, narrative=False), "vi")) == 10


def test_chart_of_an_indicator_nobody_reported() -> None:
    s = build_summary(
        cluster_id="c", cluster_name="c", cluster_name_en="c", departments=DEPARTMENTS,
        indicators=INDICATORS, current=PeriodData("2024-Q1", {}),
    )  # fmt: skip
    png_size(indicator_chart(s.indicators[0], s.period, "vi"))


def test_chart_with_negative_and_decimal_values() -> None:
    reports = {1: report(1, {STAFF.id: "-12"}), 2: report(2, {STAFF.id: "30"})}
    s = build_summary(
        cluster_id="c", cluster_name="c", cluster_name_en="c", departments=DEPARTMENTS[:3],
        indicators=[STAFF], current=PeriodData("2024-Q1", reports),
    )  # fmt: skip
    png_size(indicator_chart(s.indicators[0], s.period, "vi"))


def test_chart_words_come_from_the_templates() -> None:
    assert plain("vi", "chart_footer", rule="sum", figure="1.203", coverage="6/7") == (
        "Tổng cụm: 1.203 · số liệu của 6/7 đơn vị"
    )
    assert plain("en", "chart_mark", rule="average", value="12.5%") == "Cluster average: 12.5%"
    assert plain("vi", "chart_axis", unit="người") == "Giá trị (người)"
