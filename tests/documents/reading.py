"""Reading a generated .docx back with python-docx, as a test checks it."""

from __future__ import annotations

import io
from collections.abc import Iterator

from docx import Document as open_docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


def load(data: bytes) -> Document:
    return open_docx(io.BytesIO(data))


def paragraphs(doc: Document) -> Iterator[Paragraph]:
    """Every paragraph of the body in order, those inside tables included."""
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    yield from cell.paragraphs
        else:
            yield block


def lines(doc: Document) -> list[str]:
    return [p.text for p in paragraphs(doc) if p.text.strip()]


def find(doc: Document, text: str) -> Paragraph:
    """The first paragraph that contains ``text``."""
    for p in paragraphs(doc):
        if text in p.text:
            return p
    raise AssertionError(f"{text!r} not in {lines(doc)}")


def table_rows(doc: Document) -> list[list[str]]:
    """Every row of every table, as the cells' texts."""
    return [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]
