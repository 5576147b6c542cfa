"""The body of `clusterbot export`: files written atomically, clear errors, exit codes."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli_export import export_command
from bot.domain.cluster_file import load_cluster_file
from storage import clusters, migrate
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE
from tests.summaries.test_storage import FULL, _round


@pytest.fixture
async def db(sqlite_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    database = Database(sqlite_url)
    async with database.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
    yield database
    await database.dispose()


async def test_writes_the_workbook(db: Database, tmp_path: Path) -> None:
    await _round(db, CLUSTER, "2023", FULL)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "bao-cao.xlsx"
    code = await export_command(db, CLUSTER, "Năm 2023", "xlsx", target, out=out, err=err)
    assert code == 0 and err.getvalue() == ""
    assert f"Đã ghi báo cáo tổng hợp Năm 2023 (7/7 đơn vị đã nộp) vào {target}." in out.getvalue()
    book = load_workbook(target)
    assert book["Số liệu"]["D12"].value == 1203
    assert [n for n in os.listdir(tmp_path) if "bao-cao" in n] == ["bao-cao.xlsx"]  # no temporary


async def test_writes_csv_in_english(db: Database, tmp_path: Path) -> None:
    await _round(db, CLUSTER, "2023-Q4", FULL)
    target = tmp_path / "report.csv"
    out = io.StringIO()
    assert await export_command(db, CLUSTER, "2023-Q4", "CSV", target, lang="en", out=out) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Bac Kan Department" in data.decode("utf-8-sig")
    assert "Wrote the summary report Q4 2023" in out.getvalue()


@pytest.mark.parametrize(
    ("cluster", "period", "fmt", "code", "message"),
    [
        (CLUSTER, "2023", "pdf", 2, "Định dạng «pdf» không được hỗ trợ"),
        (CLUSTER, "quý 7", "xlsx", 2, "Không hiểu kỳ báo cáo «quý 7»"),
        ("khong-co", "2023", "xlsx", 1, "Không có cụm thi đua «khong-co»"),
        (CLUSTER, "2021", "xlsx", 1, "Chưa có số liệu để tổng hợp cho Năm 2021"),
    ],
)
async def test_errors(
    db: Database, tmp_path: Path, cluster: str, period: str, fmt: str, code: int, message: str
) -> None:
    err = io.StringIO()
    target = tmp_path / "x.xlsx"
    assert await export_command(db, cluster, period, fmt, target, err=err) == code
    assert message in err.getvalue()
    assert not target.exists()


async def test_unwritable_output(db: Database, tmp_path: Path) -> None:
    await _round(db, CLUSTER, "2023", FULL)
    err = io.StringIO()
    target = tmp_path / "khong-co-thu-muc" / "x.xlsx"
    assert await export_command(db, CLUSTER, "2023", "xlsx", target, err=err) == 2
    assert "Không ghi được tệp" in err.getvalue()
