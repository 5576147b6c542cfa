"""`clusterbot invite --cluster ID --all-departments [--csv FILE]`: the body of the command.

One officer invite per department, made in one transaction (`admin.make_department_invites`),
printed as an aligned table or written as CSV for a mail merge: UTF-8 with a BOM (Excel then
reads the diacritics), CRLF line ends, the headings in the operator's language. The link column
is empty when the bot's username is unknown (no TELEGRAM_BOT_TOKEN): a mail merge must not send
a link that does not work.
"""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

from bot.atomic_file import write_atomically
from bot.services.admin import DepartmentInvite, make_department_invites
from messages.render import render
from storage.database import Database

__all__ = ["bulk_invite_command"]

COLUMNS = ("col_slug", "col_name", "col_role", "col_code", "col_link", "col_expires")


def _rows(invites: list[DepartmentInvite], username: str | None, lang: str) -> list[list[str]]:
    rows = []
    for item in invites:
        link = f"https://t.me/{username}?start={item.invite.code}" if username else ""
        rows.append(
            [
                item.slug,
                item.name_en if lang == "en" and item.name_en else item.name,
                render(lang, "invites.role", value=item.role),
                item.invite.code,
                link,
                render(lang, "invites.expires", value=item.invite.expires_at),
            ]
        )
    return rows


def _width(text: str) -> int:
    # Combining marks (a Vietnamese tone written as its own code point) take no column.
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def table_text(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


async def bulk_invite_command(
    db: Database,
    cluster_id: str,
    valid_for: timedelta,
    username: str | None,
    csv_path: Path | None,
    *,
    now: datetime,
    lang: str,
) -> int:
    invites = await make_department_invites(db, cluster_id, valid_for, now=now)
    if not invites:
        print(render(lang, "invites.no_department"), file=sys.stderr)
        return 1
    header = [render(lang, f"invites.{name}") for name in COLUMNS]
    rows = _rows(invites, username, lang)
    if csv_path is None:
        print(table_text(header, rows))
    else:
        try:
            write_atomically(csv_path, csv_bytes(header, rows))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(
                render(lang, "backup.cannot_write", path=str(csv_path), reason=reason),
                file=sys.stderr,
            )
            return 2
        print(render(lang, "invites.written", count=len(rows), path=str(csv_path)))
    if username is None:
        print(render(lang, "invites.no_username"), file=sys.stderr)
    return 0
