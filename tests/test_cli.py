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
