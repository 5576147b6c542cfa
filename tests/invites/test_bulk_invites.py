"""`clusterbot invite --all-departments`: one process makes a code for every department, as a
table or as CSV for a mail merge; each code works (one is redeemed through the emulator) and is
stored only as its hash. On both engines, through the command line's entry point."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import select

from bot.emulator.harness import Harness
from storage.clusters import list_departments
from storage.models import Invite
from storage.people import find_membership, hash_code
from tests.command_line import run_cli_async
from tests.conftest import CLUSTER, EXAMPLE


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`clusterbot ARGS` (tests/command_line.py); awaited, so that the emulator in this test's
    event loop can answer the command's getMe."""
    ran = await run_cli_async(*args, env=env, cwd=Path(__file__).parent)
    return ran.returncode, ran.stdout, ran.stderr


async def test_every_department_gets_one_working_code(database_url: str, tmp_path: Path) -> None:
    async with Harness(database_url) as h:
        assert h.db is not None
        await h.init_cluster(EXAMPLE)
        async with h.db.session() as s:
            departments = {d.slug: d for d in await list_departments(s, CLUSTER)}
        env = {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": h.emu.token,
            "TELEGRAM_API_BASE_URL": h.emu.base_url,
        }
        sheet = tmp_path / "moi.csv"
        code, out, err = await _cli(
            "invite", "--cluster", CLUSTER, "--all-departments", "--csv", str(sheet),
            "--expires", "48h", env=env,
        )  # fmt: skip
        assert code == 0, err
        assert out.strip() == f"Đã ghi 7 mã mời (mỗi mã dùng một lần) vào {sheet}." and not err
        raw = sheet.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Excel reads it as UTF-8
        header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert header == ["Mã đơn vị", "Đơn vị", "Vai trò", "Mã mời", "Liên kết", "Hết hạn"]
        assert sorted(r[0] for r in rows) == sorted(departments)
        assert len({r[3] for r in rows}) == 7
        for slug, name, role, invite_code, link, expires in rows:
            assert name == departments[slug].name and role == "cán bộ đầu mối"
            assert link == f"https://t.me/{h.emu.bot_username}?start={invite_code}"
            assert expires  # dd/mm/yyyy hh:mm, in the cluster's zone
        # Stored as hashes only, one per department, all made by the one command.
        async with h.db.session() as s:
            stored = list((await s.exec(select(Invite))).all())
        assert len(stored) == 7
        by_hash = {i.code_hash: i for i in stored}
        for slug, _name, _role, invite_code, _link, _expires in rows:
            row = by_hash[hash_code(invite_code)]
            assert row.department_id == departments[slug].id and row.role == "officer"
            stored_text = " ".join(str(v) for i in stored for v in i.model_dump().values())
            assert invite_code not in stored_text  # never in clear
        assert all(i.used_at is None for i in stored)

        # An officer follows the link of Hòa Bình's row: registered for that department.
        start = next(r[4] for r in rows if r[0] == "hoa-binh").split("?start=")[1]
        officer = h.user(4242, "Cán bộ Hòa Bình")
        replies = await h.say(officer, officer.id, f"/start {start}")
        assert any("Hòa Bình" in m.text for m in replies), [m.text for m in replies]
        async with h.db.session() as s:
            membership = await find_membership(s, 4242, CLUSTER)
        assert membership is not None
        assert membership.department_id == departments["hoa-binh"].id

        # The table, in English: a header and one line per department, each with its link.
        code, out, err = await _cli(
            "invite", "--cluster", CLUSTER, "--all-departments",
            env={**env, "CLUSTERBOT_LANGUAGE": "en"},
        )  # fmt: skip
        assert code == 0, err
        lines = out.strip().splitlines()
        assert lines[0].split() == ["Department", "id", "Department", "Role", "Invite", "code",
                                    "Link", "Expires"]  # fmt: skip
        assert len(lines) == 8
        for slug in departments:
            line = next(x for x in lines if x.startswith(slug + " "))
            assert "officer" in line and f"https://t.me/{h.emu.bot_username}?start=" in line
        async with h.db.session() as s:
            assert len(list((await s.exec(select(Invite))).all())) == 14


async def test_without_a_token_the_links_are_left_empty(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url}
    code, _out, err = await _cli("init", str(EXAMPLE), env=env)
    assert code == 0, err
    sheet = tmp_path / "moi.csv"
    code, _out, err = await _cli(
        "invite", "--cluster", CLUSTER, "--all-departments", "--csv", str(sheet), env=env
    )
    assert code == 0
    assert "TELEGRAM_BOT_TOKEN" in err  # the operator is told why
    _header, *rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 7 and all(r[4] == "" and r[3] for r in rows)
    code, out, err = await _cli("invite", "--cluster", "cum-khong-co", "--all-departments", env=env)
    assert code == 1 and not out and len(err.strip().splitlines()) == 1 and "cum-khong-co" in err


async def test_csv_alone_is_refused(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    sheet = tmp_path / "moi.csv"
    code, out, err = await _cli(
        "invite", "--cluster", CLUSTER, "--department", "bac-kan", "--csv", str(sheet), env=env
    )
    assert code == 2 and not out and "--all-departments" in err and not sheet.exists()
