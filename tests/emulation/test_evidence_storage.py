"""Evidence files on both engines: kept with their bytes in the same transaction, counted per
criterion without reading them, refused once self-scoring closed, carried by a cluster's backup
into a new database (the other engine for a PostgreSQL source), and written out by
`clusterbot evidence export` with their list, each checked against its hash."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli_evidence import evidence_export_command, safe_name
from bot.domain.scoring import ScoreRefused
from bot.services import emulation
from bot.services.admin import init_cluster
from storage import backup, clusters, migrate, scoring
from storage.database import Database
from storage.models_evidence import ScoreEvidenceFile
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
PLAN = b"%PDF-1.4 ke hoach " * 1000
PHOTO = bytes(range(256)) * 40


@pytest.fixture
async def db(database_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    await init_cluster(database, EXAMPLE)
    yield database
    await database.dispose()


async def _attach(db: Database) -> dict[str, int]:
    async with db.session() as s:
        ids = {d.slug: d.id or 0 for d in await clusters.list_departments(s, CLUSTER)}
        row = await emulation.open_scoring(
            s, CLUSTER, 2023, date(2024, 2, 15), by=1001, now=NOW, today=NOW.date()
        )
        for slug, item, name, data in (
            ("bac-kan", "ke-hoach-cong-tac", "Kế hoạch 12.pdf", PLAN),
            ("bac-kan", "ke-hoach-cong-tac", "../../etc/passwd.pdf", b"%PDF x"),
            ("bac-kan", "tinh-gian-bien-che", "anh.jpg", PHOTO),
            ("yen-bai", "hoat-dong-cum", "=HYPERLINK.pdf", b"%PDF y"),
        ):
            await emulation.attach_evidence(
                s, row, ids[slug], "criterion", item, file_name=name, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), telegram_file_id=f"BQAC-{name}",
                by=1001, now=NOW, content=data,
            )  # fmt: skip
        await s.commit()
    return ids


async def test_kept_counted_and_refused_once_closed(db: Database) -> None:
    ids = await _attach(db)
    async with db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        assert row.id is not None
        assert await scoring.count_evidence(s, row.id, ids["bac-kan"]) == {
            ("criterion", "ke-hoach-cong-tac"): 2,
            ("criterion", "tinh-gian-bien-che"): 1,
        }
        assert await scoring.count_evidence(s, row.id, ids["phu-tho"]) == {}
        kept = await scoring.list_evidence(s, row, ids["bac-kan"])
        assert [k.file_name for k in kept] == ["Kế hoạch 12.pdf", "../../etc/passwd.pdf", "anh.jpg"]
        assert kept[0].id is not None and kept[2].id is not None
        assert await scoring.get_evidence_content(s, kept[0].id) == PLAN
        assert await scoring.get_evidence_content(s, kept[2].id) == PHOTO
        await emulation.start_checking(s, row, now=NOW)
        with pytest.raises(ScoreRefused) as refused:
            await emulation.attach_evidence(
                s, row, ids["bac-kan"], "criterion", "hoat-dong-cum", file_name="muon.pdf",
                size=3, sha256="0" * 64, telegram_file_id="x", by=1001, now=NOW, content=b"abc",
            )  # fmt: skip
        assert refused.value.code == "not_open"
        await s.commit()
    async with db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        assert len(await scoring.list_evidence(s, row)) == 4


async def test_a_cluster_backup_carries_the_files(db: Database, tmp_path: Path) -> None:
    await _attach(db)
    archive = tmp_path / "cum.zip"
    await backup.backup(db, archive, [CLUSTER])
    target_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    await asyncio.to_thread(migrate.upgrade, target_url)
    target = Database(target_url)
    try:
        await backup.restore(target, archive)
        async with target.session() as s:
            row = await emulation.get_scoring(s, CLUSTER, 2023)
            kept = await scoring.list_evidence(s, row)
            contents = [await scoring.get_evidence_content(s, k.id or 0) for k in kept]
            assert len((await s.exec(_files())).all()) == 4
        assert contents == [PLAN, b"%PDF x", PHOTO, b"%PDF y"]
        assert [k.sha256 for k in kept] == [hashlib.sha256(c or b"").hexdigest() for c in contents]
    finally:
        await target.dispose()


def _files():  # noqa: ANN202
    from sqlmodel import select

    return select(ScoreEvidenceFile.evidence_id)


async def test_the_export_writes_every_file_and_its_list(db: Database, tmp_path: Path) -> None:
    await _attach(db)
    out, err = io.StringIO(), io.StringIO()
    folder = tmp_path / "minh-chung"
    code = await evidence_export_command(db, CLUSTER, "2023", folder, out=out, err=err)
    assert code == 0, err.getvalue()
    assert "Đã ghi 4 tệp minh chứng (28 KB) vào" in out.getvalue()
    assert (folder / "bac-kan/ke-hoach-cong-tac/001_Kế_hoạch_12.pdf").read_bytes() == PLAN
    # A name sent as a path stays one file name inside its folder.
    assert (folder / "bac-kan/ke-hoach-cong-tac/002_etc_passwd.pdf").read_bytes() == b"%PDF x"
    assert (folder / "bac-kan/tinh-gian-bien-che/003_anh.jpg").read_bytes() == PHOTO
    listing = (folder / f"minh-chung_{CLUSTER}_2023.csv").read_bytes()
    assert listing.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(listing.decode("utf-8-sig"))))
    assert rows[0] == [
        "Đơn vị", "Mã tiêu chí", "Tệp", "Tên tệp khi gửi", "Dung lượng (byte)", "Mã băm SHA-256",
        "Người gửi (mã Telegram)", "Thời điểm gửi",
    ]  # fmt: skip
    assert rows[1][:5] == [
        "Sở Nội vụ tỉnh Bắc Kạn", "ke-hoach-cong-tac", "bac-kan/ke-hoach-cong-tac/001_Kế_hoạch_12.pdf",
        "Kế hoạch 12.pdf", str(len(PLAN)),
    ]  # fmt: skip
    assert rows[1][5] == hashlib.sha256(PLAN).hexdigest() and rows[1][7] == "05/01/2024 08:00"
    assert rows[4][3] == "'=HYPERLINK.pdf"  # never a formula in Excel

    # A file whose bytes changed is listed, not written, and the command says so.
    async with db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        first = (await scoring.list_evidence(s, row))[0]
        stored = await s.get(ScoreEvidenceFile, first.id)
        assert stored is not None
        stored.content = b"tampered"
        s.add(stored)
        await s.commit()
    again = tmp_path / "lan-2"
    err = io.StringIO()
    assert await evidence_export_command(db, CLUSTER, "2023", again, out=out, err=err) == 1
    assert "«Kế hoạch 12.pdf»: nội dung không còn khớp mã SHA-256" in err.getvalue()
    assert not (again / "bac-kan/ke-hoach-cong-tac/001_Kế_hoạch_12.pdf").exists()
    assert (again / "bac-kan/tinh-gian-bien-che/003_anh.jpg").exists()


async def test_the_export_refuses_what_it_cannot_do(db: Database, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    tmp_path = tmp_path / "out"
    assert await evidence_export_command(db, CLUSTER, "2023", tmp_path, out=out, err=err) == 1
    assert "Năm 2023 chưa có tệp minh chứng nào" in err.getvalue()
    assert await evidence_export_command(db, "khong-co", "2023", tmp_path, out=out, err=err) == 1
    assert "khong-co" in err.getvalue()
    assert await evidence_export_command(db, CLUSTER, "năm-ngoái", tmp_path, out=out, err=err) == 2
    assert not tmp_path.exists()


def test_safe_names() -> None:
    assert safe_name("Kế hoạch 12.pdf") == "Kế_hoạch_12.pdf"
    assert safe_name("..") == "tep" and safe_name("a/b\\c.pdf") == "a_b_c.pdf"
    assert len(safe_name("x" * 500 + ".pdf")) == 120


async def test_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    """`clusterbot evidence export YEAR DIR --cluster ID`, a real process."""
    import os
    import subprocess
    import sys

    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    database = Database(sqlite_url)
    try:
        await init_cluster(database, EXAMPLE)
        await _attach(database)
    finally:
        await database.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CLUSTERBOT_"))}
    folder = tmp_path / "xuat"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "evidence", "export", "2023", str(folder), "--cluster", CLUSTER],
        capture_output=True, text=True, env={**env, "DATABASE_URL": sqlite_url}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Đã ghi 4 tệp minh chứng" in done.stdout
    assert (folder / "yen-bai/hoat-dong-cum/004_HYPERLINK.pdf").read_bytes() == b"%PDF y"
