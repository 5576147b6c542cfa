"""What a process imports, checked in fresh interpreters (issue 9: CLI start and replica memory).

Each `clusterbot` command is a new process that an operator may script hundreds of times, and
the serving process should hold only what serving needs: the libraries that write files
(openpyxl and the numpy it loads, python-docx, matplotlib) belong in the worker process that
builds them (bot/reports/offload.py), python-telegram-bot in `run` (and an invite with a token),
Alembic in `migrate` or a database that is not at the head. These tests read ``sys.modules`` at
the end of a real command, so a module-level import that brings one of them back fails here,
without timing anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE

# Runs the command line in this interpreter, then writes the names of the loaded modules.
_PROBE = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

FILE_WRITERS = ("openpyxl", "numpy", "docx", "matplotlib", "PIL", "lxml")


def _env(database: Path) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_URL", "CLUSTERBOT_"))
    }
    return {**base, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}


def _loaded(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *args],
        env=_env(tmp_path / "cli.db"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    found = json.loads(out.read_text())
    return found["code"], set(found["modules"])


def _roots(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_help_loads_no_library(tmp_path: Path) -> None:
    code, modules = _loaded(tmp_path, "--help")
    assert code == 0
    roots = _roots(modules)
    for name in (*FILE_WRITERS, "telegram", "sqlalchemy", "sqlmodel", "pydantic", "jinja2"):
        assert name not in roots, name


def test_admin_commands_load_neither_file_writers_nor_telegram(tmp_path: Path) -> None:
    code, modules = _loaded(tmp_path, "init", str(EXAMPLE))
    assert code == 0
    assert "alembic" in _roots(modules)  # a new database: migrated by Alembic, as before
    assert "holidays.countries.vietnam" in modules  # the file's deadlines are checked...
    assert "holidays.countries.albania" not in modules  # ...with Vietnam's calendar alone
    cluster = "cum-noi-vu-tdmnpb"
    commands = (
        ("invite", "--cluster", cluster, "--department", "tuyen-quang"),
        ("invite", "--cluster", cluster, "--all-departments"),
        ("round", "open", "2026-01", "--cluster", cluster, "--deadline", "2099-01-10"),
        ("export", "2026-01", "--cluster", cluster, "--format", "csv",
         "--output", str(tmp_path / "x.csv")),
    )  # fmt: skip
    for args in commands:
        code, modules = _loaded(tmp_path, *args)
        assert code == 0, args
        roots = _roots(modules)
        for name in (*FILE_WRITERS, "telegram", "alembic"):
            assert name not in roots, (args, name)
        if args[0] == "invite":  # the foundation's tables only (storage/tables.py has them all)
            assert [m for m in modules if m.startswith("storage.models_")] == [], args
    xlsx = tmp_path / "x.xlsx"
    code, modules = _loaded(
        tmp_path, "export", "2026-01", "--cluster", cluster, "--output", str(xlsx)
    )
    assert code == 0 and xlsx.stat().st_size > 0
    roots = _roots(modules)
    assert "openpyxl" in roots  # the workbook, written without numpy (bot/cli_export.py)
    for name in ("numpy", "matplotlib", "docx", "telegram", "alembic"):
        assert name not in roots, name


def test_the_serving_process_leaves_file_writers_to_the_worker() -> None:
    probe = (
        "import json, sys\n"
        "import bot.runtime.replica, bot.app, bot.publishing.worker, bot.services.compositions\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    roots = _roots(set(json.loads(done.stdout)))
    assert "telegram" in roots  # the probe did import the serving code
    for name in FILE_WRITERS:
        assert name not in roots, name


_HOLIDAYS = """
import json, sys
from datetime import date, timedelta
if sys.argv[1] == "package":
    import holidays
    import holidays.countries  # the package's own way: every country imported
    days = {lang: holidays.country_holidays("VN", language=lang) for lang in ("vi", "en_US")}
    working = None
else:
    from bot.domain import calendar
    days = {lang: calendar._vietnam(lang) for lang in ("vi", "en_US")}
    start = date(2000, 1, 1)
    working = [calendar.WorkingCalendar().is_working_day(start + timedelta(n)) for n in range(15000)]
for lang, table in days.items():
    for year in range(2000, 2041):
        date(year, 1, 1) in table
out = {lang: sorted((d.isoformat(), n) for d, n in table.items()) for lang, table in days.items()}
print(json.dumps({"days": out, "working": working, "albania": "holidays.countries.albania" in sys.modules}))
"""


def test_vietnams_holidays_alone_are_the_packages_holidays() -> None:
    def run(way: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", _HOLIDAYS, way],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        found: dict[str, object] = json.loads(done.stdout)
        return found

    ours, package = run("ours"), run("package")
    assert ours["albania"] is False and package["albania"] is True
    assert ours["days"] == package["days"]
    working = ours["working"]
    assert isinstance(working, list) and 0 < working.count(False) < len(working)
