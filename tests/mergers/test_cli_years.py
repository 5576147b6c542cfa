"""`clusterbot init` of the 2025 file over the 2023 one and `clusterbot year start`, through the
command line's entry point with real exit codes (tests/command_line.py)."""

from __future__ import annotations

from pathlib import Path

from tests.command_line import run_cli as _run
from tests.conftest import CLUSTER, EXAMPLE
from tests.mergers.world import EXAMPLE_2025


def test_the_2025_file_then_the_year_from_the_command_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    assert _run("init", str(EXAMPLE), env=env, cwd=tmp_path).returncode == 0
    opened = _run(
        "round", "open", "2024", "--cluster", CLUSTER, "--deadline", "2099-01-15",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    merged = _run("init", str(EXAMPLE_2025), env=env, cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert "+ department bac-ninh" in merged.stdout and "~ department bac-kan" in merged.stdout
    refused = _run("invite", "--cluster", CLUSTER, "--department", "bac-kan", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "bac-kan" in refused.stderr  # merged: no new officers

    started = _run("year", "start", "2025", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines() == [
        f"Đã bắt đầu năm thi đua 2025 của cụm {CLUSTER}.",
        "Đã sao chép sang năm 2025: 5 chỉ tiêu, lịch báo cáo, quy tắc bầu cử theo tệp cấu hình"
        " của cụm, giao ước thi đua, bảng chấm điểm.",
        "Số đơn vị thành viên trong năm: 5.",
        "Số liệu các năm trước được giữ nguyên (số kỳ báo cáo không thay đổi: 1).",
    ]
    again = _run("year", "start", "2025", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert again.returncode == 1 and again.stdout == ""
    assert "Năm thi đua 2025 của cụm" in again.stderr and "đã được bắt đầu" in again.stderr

    english = _run(
        "year", "start", "2026", "--cluster", CLUSTER,
        env={**env, "CLUSTERBOT_LANGUAGE": "en"}, cwd=tmp_path,
    )  # fmt: skip
    assert english.returncode == 0, english.stderr
    assert english.stdout.startswith(f"Started the emulation year 2026 of the cluster {CLUSTER}.")
    assert (
        "The years before were not touched (reporting rounds kept as they were: 1)."
        in english.stdout
    )

    listed = _run("round", "list", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert "2024" in listed.stdout and "đang mở" in listed.stdout  # last year's round as it was


def test_year_start_refuses_an_unknown_cluster_and_a_year_out_of_range(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    # The 2023 file without its [pact] and [scoring] (what clusters had before them).
    text = EXAMPLE.read_text(encoding="utf-8")
    plain = tmp_path / "no-emulation.toml"
    plain.write_text(text[: text.index("# The year's emulation pact")], encoding="utf-8")
    assert _run("init", str(plain), env=env, cwd=tmp_path).returncode == 0
    unknown = _run("year", "start", "2025", "--cluster", "ha-noi", env=env, cwd=tmp_path)
    assert unknown.returncode == 1 and 'Không có cụm "ha-noi"' in unknown.stderr
    early = _run("year", "start", "1999", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert early.returncode == 1 and "Năm phải từ 2000 đến 2100" in early.stderr
    word = _run("year", "start", "next", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert word.returncode == 2 and "Traceback" not in word.stderr
    started = _run("year", "start", "2024", "--cluster", CLUSTER, env=env, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    assert ", quy tắc bầu cử theo tệp cấu hình của cụm.\n" in started.stdout  # no pact, no table
    assert "Cụm chưa có bảng chấm điểm: không có gì để sao chép." in started.stdout
    assert "(số kỳ báo cáo không thay đổi: 0)" in started.stdout
