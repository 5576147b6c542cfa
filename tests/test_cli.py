"""The command line as an administrator uses it: real processes, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx

from tests.conftest import EXAMPLE


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_URL", "CLUSTERBOT_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_a_bad_setting_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    for name, value in (
        ("DATABASE_URL", "mysql://x"),
        ("CLUSTERBOT_LANGUAGE", "fr"),
        ("CLUSTERBOT_TIMEZONE", "Mars/Base"),
    ):
        result = _run("migrate", env={name: value}, cwd=tmp_path)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0] and "Traceback" not in result.stderr


def test_run_without_a_token_says_so(tmp_path: Path) -> None:
    result = _run(
        "run", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_init_invite_and_round_from_the_command_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    first = _run("init", str(EXAMPLE), env=env, cwd=tmp_path)
    assert first.returncode == 0 and "tạo mới 15" in first.stdout
    again = _run("init", str(EXAMPLE), env=env, cwd=tmp_path)
    assert "không có gì thay đổi" in again.stdout
    invite = _run(
        "invite", "--cluster", "cum-noi-vu-tdmnpb", "--department", "bac-kan", env=env, cwd=tmp_path
    )
    assert invite.returncode == 0 and "?start=" in invite.stdout
    wrong = _run(
        "invite", "--cluster", "cum-noi-vu-tdmnpb", "--department", "ha-noi", env=env, cwd=tmp_path
    )
    assert wrong.returncode == 1 and "ha-noi" in wrong.stderr
    opened = _run(
        "round",
        "open",
        "2030",
        "--cluster",
        "cum-noi-vu-tdmnpb",
        "--deadline",
        "2031-01-15",
        env=env,
        cwd=tmp_path,
    )
    assert opened.returncode == 0 and "Năm 2030" in opened.stdout
    listed = _run("round", "list", "--cluster", "cum-noi-vu-tdmnpb", env=env, cwd=tmp_path)
    assert "2030" in listed.stdout and "đang mở" in listed.stdout


def test_a_broken_cluster_file_writes_nothing(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", "CLUSTERBOT_LANGUAGE": "en"}
    broken = tmp_path / "broken.toml"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('type = "percent"', 'type = "ratio"'),
        encoding="utf-8",
    )
    result = _run("init", str(broken), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "indicators[3].type" in result.stderr and "allowed: integer, decimal" in result.stderr
    assert "nothing was written" in result.stderr
    listed = _run("round", "list", "--cluster", "cum-noi-vu-tdmnpb", env=env, cwd=tmp_path)
    assert "There is no cluster" in listed.stderr


def test_demo_runs_a_whole_round(tmp_path: Path) -> None:
    result = _run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Đã nộp: 7/7 đơn vị" in result.stdout
    assert "không phải là số" in result.stdout  # the officer's typo and its correction
    assert "16\n  → 61" in result.stdout
    # The new head's documents of the year, in the Decree 30 layout, are written beside.
    output = tmp_path / "demo-output"
    texts = {}
    for name in ("bao-cao-tong-ket", "bien-ban-hoi-nghi"):
        document = docx.Document(str(output / f"{name}_cum-noi-vu-tdmnpb_2023.docx"))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        texts[name] = "\n".join([*(p.text for p in document.paragraphs), *cells])
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[name]
    assert "1.203" in texts["bao-cao-tong-ket"]
    assert "Tuyên Quang" in texts["bien-ban-hoi-nghi"] and "5/7" in texts["bien-ban-hoi-nghi"]
    _check_the_year_end(result.stdout, output)


NOMINEES = [
    "Nông Văn Thắng",
    "Ngô Thị Thu",
    "Dương Văn Long",
    "Quách Thị Nga",
    "Hà Văn Quân",
    "Vũ Thị Lan",
    "Ma Văn Định",
]


def _tables(path: Path) -> list[list[list[str]]]:
    """Every table of a .docx, as rows of cell texts."""
    document = docx.Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def _table(tables: list[list[list[str]]], first_header: str) -> list[list[str]]:
    """The rows (header left out) of the table whose first header cell is this."""
    found = [t for t in tables if t[0][0] == first_header]
    assert found, [t[0] for t in tables]
    return found[0][1:]


def _check_the_year_end(stdout: str, output: Path) -> None:
    """The demo's scoring and award part: what it says, and the three Decree 30 documents."""
    assert "Cụm trưởng điều chỉnh một tiêu chí của Thái Nguyên, Thái Nguyên phản hồi" in stdout
    assert "1. Sở Nội vụ tỉnh Bắc Kạn: 103" in stdout
    assert "Đề nghị tặng Cờ thi đua: Sở Nội vụ tỉnh Bắc Kạn." in stdout
    assert (
        "Đề nghị tặng Bằng khen tập thể: Sở Nội vụ tỉnh Thái Nguyên, Sở Nội vụ tỉnh Tuyên Quang."
        in stdout
    )
    assert f"Đề nghị tặng Bằng khen cá nhân: {NOMINEES[0]}" in stdout

    # The review report ranks the locked totals: Bắc Kạn first, seven departments in order.
    report = _tables(output / "bao-cao-tong-ket_cum-noi-vu-tdmnpb_2023.docx")
    ranking = _table(report, "Xếp hạng")
    assert [row[0] for row in ranking] == ["1", "2", "3", "4", "5", "6", "7"]
    assert ranking[0][1:] == ["Sở Nội vụ tỉnh Bắc Kạn", "103"]
    assert ranking[1][1] == "Sở Nội vụ tỉnh Thái Nguyên"  # 98, less the adjustment kept: 97
    assert ranking[1][2] == "97"

    # The minutes record every award vote with its count on the roll.
    minutes = _tables(output / "bien-ban-hoi-nghi_cum-noi-vu-tdmnpb_2023.docx")
    votes = _table(minutes, "STT")
    proposed = [(row[1], row[2], row[3]) for row in votes if row[4] == "Đề nghị"]
    assert proposed[:3] == [
        ("Cờ thi đua", "Sở Nội vụ tỉnh Bắc Kạn", "7/7"),
        ("Bằng khen (tập thể)", "Sở Nội vụ tỉnh Thái Nguyên", "6/7"),
        ("Bằng khen (tập thể)", "Sở Nội vụ tỉnh Tuyên Quang", "5/7"),
    ]
    individuals = [name for kind, name, _count in proposed if kind == "Bằng khen (cá nhân)"]
    assert [name.split(" (")[0] for name in individuals] == NOMINEES

    # The proposal for awards: the Flag, 2 collectives and the nominee list of 7 individuals.
    proposal = _tables(output / "to-trinh-khen-thuong_cum-noi-vu-tdmnpb_2023.docx")
    units = [t[1:] for t in proposal if t[0][:2] == ["STT", "Đơn vị"]]
    assert [[row[1] for row in rows] for rows in units] == [
        ["Sở Nội vụ tỉnh Bắc Kạn"],
        ["Sở Nội vụ tỉnh Thái Nguyên", "Sở Nội vụ tỉnh Tuyên Quang"],
    ]
    people = next(t[1:] for t in proposal if t[0][:2] == ["STT", "Họ và tên"])
    assert [row[1] for row in people] == NOMINEES
    assert people[0][2] == "Phó Giám đốc Sở, Sở Nội vụ tỉnh Bắc Kạn"
    text = "\n".join(
        p.text
        for p in docx.Document(
            str(output / "to-trinh-khen-thuong_cum-noi-vu-tdmnpb_2023.docx")
        ).paragraphs
    )
    assert "TỜ TRÌNH" in text and "7 cá nhân" in text
