"""The year-end documents as .docx files (python-docx), in the administrative layout of Decree
30/2020/NĐ-CP: one module per document (:mod:`.report`, :mod:`.minutes`, :mod:`.proposal`) over
the shared blocks of :mod:`.layout` (whose docstring lists the points of the decree followed).

Each builder takes the plain data of :mod:`bot.domain.documents` and a language and returns the
file's bytes; nothing here reads the database or talks to Telegram, so the builders run in the
worker process (bot/reports/offload.py) like the workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.documents import DocumentSet
from bot.reports.documents.minutes import build_minutes
from bot.reports.documents.proposal import build_proposal
from bot.reports.documents.report import build_report

__all__ = ["BuiltDocument", "build_documents", "document_file_name"]

_STEMS = {
    "report": "bao-cao-tong-ket",
    "minutes": "bien-ban-hoi-nghi",
    "proposal": "to-trinh-khen-thuong",
}


def document_file_name(kind: str, cluster_id: str, year: int) -> str:
    """ASCII file names ("bao-cao-tong-ket_cum_2023.docx"): they survive every mail system."""
    slug = re.sub(r"[^a-z0-9-]+", "-", cluster_id.lower()).strip("-")
    return f"{_STEMS[kind]}_{slug}_{year}.docx"


@dataclass(frozen=True)
class BuiltDocument:
    kind: str  # report | minutes | proposal
    filename: str
    data: bytes


def build_documents(found: DocumentSet, lang: str) -> list[BuiltDocument]:
    """Every document ``found`` holds, in the order of the conference's file."""
    out: list[BuiltDocument] = []
    name = lambda kind: document_file_name(kind, found.cluster_id, found.year)  # noqa: E731
    if found.report is not None:
        out.append(BuiltDocument("report", name("report"), build_report(found.report, lang)))
    if found.minutes is not None:
        out.append(BuiltDocument("minutes", name("minutes"), build_minutes(found.minutes, lang)))
    if found.proposal is not None and not found.proposal.empty:
        data = build_proposal(found.proposal, lang)
        out.append(BuiltDocument("proposal", name("proposal"), data))
    return out
