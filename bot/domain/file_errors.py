"""A problem in a file an administrator edits, named by its place in the file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileError:
    """One problem, named by its place in the file (e.g. `indicators[2].type`)."""

    path: str
    code: str
    params: dict[str, str] = field(default_factory=dict)
