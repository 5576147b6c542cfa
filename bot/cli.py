"""The `clusterbot` command: init, invite, round, export, documents, backup, restore, year,
migrate, run, demo, evidence.

Imports are made inside the commands that need them, not here. Every call of the command is a
new process, and operators script hundreds of them (an invite per department): importing the
whole bot up front (python-telegram-bot, SQLAlchemy and the models, Jinja2, Babel, Alembic) cost
about 0,8 s of CPU before argparse could even print --help. Each command now loads what it uses;
only `run` and an invite with a token import python-telegram-bot.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.database import Database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clusterbot", description="Emulation cluster bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (applies migrations first)")
    sub.add_parser("demo", help="a whole reporting round against a local emulator")
    sub.add_parser("migrate", help="bring the database schema up to date")
    init = sub.add_parser("init", help="load or update a cluster from its TOML file")
    init.add_argument("file", type=Path)
    invite = sub.add_parser("invite", help="print a one-time invite code and link")
    invite.add_argument("--cluster", required=True)
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--department")
    who.add_argument("--observer", action="store_true")
    who.add_argument("--admin", action="store_true")
    who.add_argument("--all-departments", action="store_true", help="one code per department")
    invite.add_argument("--expires", default="7d", help="e.g. 7d, 48h (default 7d)")
    invite.add_argument("--csv", type=Path, help="with --all-departments: write CSV here")
    round_ = sub.add_parser("round", help="open, close or list reporting rounds")
    round_.add_argument("action", choices=("open", "close", "list"))
    round_.add_argument("period", nargs="?")
    round_.add_argument("--cluster", required=True)
    round_.add_argument("--deadline", help="YYYY-MM-DD (for open)")
    export = sub.add_parser("export", help="write a round's summary as a workbook or CSV")
    export.add_argument("period")
    export.add_argument("--cluster", required=True)
    export.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    export.add_argument("--output", required=True, type=Path)
    documents = sub.add_parser("documents", help="write the year's documents (.docx)")
    documents.add_argument("--cluster", required=True)
    documents.add_argument("--year", required=True)
    documents.add_argument("--out", default=".", type=Path, help="folder (default: here)")
    documents.add_argument("--date", help="the signing date, YYYY-MM-DD (default: left blank)")
    documents.add_argument("--signer", default="", help="the head's name under the signature")
    backup = sub.add_parser("backup", help="write every cluster (or one) to an archive")
    backup.add_argument("file", type=Path)
    backup.add_argument("--cluster")
    restore = sub.add_parser("restore", help="restore an archive written by backup")
    restore.add_argument("file", type=Path)
    restore.add_argument("--cluster", help="restore only this cluster of the archive")
    restore.add_argument("--replace", action="store_true", help="overwrite what is there")
    evidence = sub.add_parser("evidence", help="write a year's evidence files to a folder")
    evidence.add_argument("action", choices=("export",))
    evidence.add_argument("year")
    evidence.add_argument("dir", type=Path)
    evidence.add_argument("--cluster", required=True)
    year = sub.add_parser("year", help="start a cluster's emulation year")
    year.add_argument("action", choices=("start",))
    year.add_argument("year", type=int)
    year.add_argument("--cluster", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import asyncio  # ~0,04 s of CPU (it loads ssl and concurrent.futures): not for --help

    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo())
    # Settings and texts are needed by every other command, and only by them (not by --help).
    from bot.settings import SettingsError, load_settings
    from messages.render import render, use_zone

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(
            render("vi", "cli.bad_setting", setting=exc.setting, problem=exc.problem),
            file=sys.stderr,
        )
        return 2
    lang = settings.language
    use_zone(settings.tz)  # what the command prints is in the cluster's time zone
    try:
        if args.command == "run":
            return _run(settings)
        if args.command == "migrate":
            from storage import migrate

            # Always Alembic itself (the explicit deploy step), one process at a time: the
            # revisions before are read under the migration lock (storage/migrations/env.py).
            before = migrate.upgrade_from(settings.database_url)
            after = sorted(migrate.script_heads() or ())
            print(render(lang, "cli.migrated", before=", ".join(before), after=", ".join(after)))
            return 0
        return asyncio.run(_admin_command(args, settings))
    except SettingsError as exc:
        print(
            render(lang, "cli.bad_setting", setting=exc.setting, problem=exc.problem),
            file=sys.stderr,
        )
        return 2


def _run(settings: Settings) -> int:
    """One replica (bot/runtime/replica.py): active, or standing by for the one that is."""
    import asyncio

    from bot.runtime.allocator import limit_arenas
    from bot.runtime.leadership import AlreadyRunning, FileLeadership, leadership_for
    from messages.render import render

    limit_arenas()  # before any thread starts (bot/runtime/allocator.py)
    token = settings.require_token()
    leadership = leadership_for(settings.database_url)
    try:
        if isinstance(leadership, FileLeadership):
            # SQLite: a second process stops here, before it migrates or loads the bot.
            leadership.hold()
        from bot.app import configure_logging
        from bot.runtime.replica import serve

        configure_logging(token, log_format=settings.log_format)
        # A database at the head costs one query, not an Alembic run whose modules would stay
        # in this long-lived process (several MiB of the replica's memory, issue 9); any other
        # database is upgraded by Alembic under its lock, as `clusterbot migrate` does.
        asyncio.run(_upgrade_if_needed(settings.database_url))
        asyncio.run(serve(settings, leadership=leadership))
    except AlreadyRunning as exc:
        print(render(settings.language, "cli.already_running", path=exc.path), file=sys.stderr)
        return 3
    return 0


async def _upgrade_if_needed(url: str) -> None:
    from storage import migrate
    from storage.database import Database

    db = Database(url)
    try:
        await migrate.upgrade_if_needed(db)
    finally:
        await db.dispose()


async def _admin_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import admin
    from messages.render import render
    from storage import migrate
    from storage.database import Database

    lang = settings.language
    db = Database(settings.database_url)
    try:
        # A database already at the head costs one query, not an Alembic run (storage/migrate.py).
        await migrate.upgrade_if_needed(db)
        if args.command == "init":
            from bot.domain.cluster_file import ClusterFileInvalid

            try:
                report = await admin.init_cluster(db, args.file)
            except ClusterFileInvalid as exc:
                for error in exc.errors:
                    print(render(lang, "cli.file_error", error=error), file=sys.stderr)
                print(render(lang, "cli.nothing_written", count=len(exc.errors)), file=sys.stderr)
                return 1
            print(render(lang, "cli.init_done", report=report))
            return 0
        if args.command == "invite":
            return await _invite(db, args, settings)
        if args.command == "export":
            from bot.cli_export import export_command

            return await export_command(
                db, args.cluster, args.period, args.format, args.output, lang=lang
            )
        if args.command == "documents":
            from bot.cli_documents import documents_command
            from bot.clock import system_clock

            return await documents_command(
                db, args.cluster, args.year, args.out, now=system_clock(), tz=settings.tz,
                signed_on=args.date, signer=args.signer, lang=lang,
            )  # fmt: skip
        if args.command in ("backup", "restore"):
            from bot.cli_backup import backup_command, restore_command

            if args.command == "backup":
                return await backup_command(db, args.file, args.cluster, lang=lang)
            return await restore_command(db, args.file, args.cluster, args.replace, lang=lang)
        if args.command == "evidence":
            from bot.cli_evidence import evidence_export_command

            return await evidence_export_command(db, args.cluster, args.year, args.dir, lang=lang)
        if args.command == "year":
            from bot.cli_years import year_command

            return await year_command(db, args.cluster, args.year, lang=lang)
        return await _round(db, args, settings)
    except admin.AdminError as exc:
        print(render(lang, f"cli.{exc.code}", **exc.params), file=sys.stderr)
        return 1
    finally:
        await db.dispose()


def _duration(text: str) -> timedelta | None:
    match = re.fullmatch(r"(\d{1,4})\s*([dh])", text.strip().lower(), re.ASCII)
    if not match:
        return None
    amount = int(match.group(1))
    return timedelta(days=amount) if match.group(2) == "d" else timedelta(hours=amount)


async def _invite(db: Database, args: argparse.Namespace, settings: Settings) -> int:
    from bot.clock import system_clock
    from bot.services import admin
    from messages.render import render

    lang = settings.language
    valid_for = _duration(args.expires)
    if valid_for is None or valid_for <= timedelta(0):
        print(render(lang, "cli.bad_expires", value=args.expires), file=sys.stderr)
        return 1
    if args.csv is not None and not args.all_departments:
        print(render(lang, "invites.csv_needs_all"), file=sys.stderr)
        return 2
    if args.all_departments:
        from bot.cli_invites import bulk_invite_command

        return await bulk_invite_command(
            db,
            args.cluster,
            valid_for,
            await _bot_username(settings),
            args.csv,
            now=system_clock(),
            lang=lang,
        )
    role = "admin" if args.admin else "observer" if args.observer else "officer"
    invite = await admin.make_invite(
        db, args.cluster, args.department, role, valid_for, now=system_clock()
    )
    username = await _bot_username(settings)
    print(
        render(lang, "cli.invite", code=invite.code, username=username, expires=invite.expires_at)
    )
    return 0


async def _bot_username(settings: Settings) -> str | None:
    if not settings.telegram_bot_token:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.require_token(), base_url=settings.telegram_api_base_url) as bot:
            return bot.username
    except (TelegramError, OSError):
        return None


async def _round(db: Database, args: argparse.Namespace, settings: Settings) -> int:
    from bot.clock import system_clock
    from bot.services import admin
    from messages.render import render
    from storage import clusters
    from storage import rounds as round_store

    lang = settings.language
    async with db.session() as session:
        cluster = await clusters.get_cluster(session, args.cluster)
        if cluster is None:
            raise admin.AdminError("unknown_cluster", value=args.cluster)
        if args.action == "list":
            rows = await round_store.list_rounds(session, cluster.id)
            print(render(lang, "cli.round_list", rounds=rows))
            return 0
        if args.period is None:
            print(render(lang, "cli.period_needed"), file=sys.stderr)
            return 1
        if args.action == "open":
            try:
                deadline = date.fromisoformat(args.deadline or "")
            except ValueError:
                print(render(lang, "cli.bad_deadline", value=args.deadline or ""), file=sys.stderr)
                return 1
            from bot.services import rounds as round_service

            today = system_clock().astimezone(settings.tz).date()
            result = await round_service.open_round(
                session, cluster.id, args.period, deadline, today, None, system_clock()
            )
            if result.round is None:
                print(
                    render(lang, f"rounds.{result.problem}", **(result.params or {})),
                    file=sys.stderr,
                )
                return 1
            print(render(lang, "cli.round_opened", round=result.round, group=cluster.group_chat_id))
            opened = result.round
        else:
            from bot.domain.periods import PeriodError, parse_period

            try:  # "2026-2" is the round opened as "2026-2", stored as 2026-02
                period = parse_period(args.period).code
            except PeriodError:
                period = args.period
            row = await round_store.find_round_by_period(session, cluster.id, period)
            if row is None or row.state != "open":
                print(render(lang, "cli.no_open_round", value=args.period), file=sys.stderr)
                return 1
            if not await round_store.close_round(session, row, system_clock()):
                print(render(lang, "cli.no_open_round", value=args.period), file=sys.stderr)
                return 1
            print(render(lang, "cli.round_closed", round=row))
            opened = row
        # The group hears of it as from the chat: queued with the change, sent by the running
        # bot's effects worker (now, or when it next runs).
        group = cluster.group_chat_id
        if group is not None and opened.id is not None:
            from bot.publishing.outbox import queue_group_screens, queue_live, queue_summary_post
            from bot.services.screens import Screen

            at = system_clock()
            if opened.state == "open":
                screen = Screen(
                    "rounds.opened", {"period": opened.period, "deadline": opened.deadline}
                )
                await queue_group_screens(session, group, lang, [screen], now=at)
            else:
                await queue_summary_post(session, opened.id, "closed", group, lang, now=at)
            await queue_live(session, "progress", opened.id, group, lang, now=at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
