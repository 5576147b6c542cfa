"""The Bot API requests' networking pays no failed import per request."""

from __future__ import annotations

import sys

import httpcore._synchronization as synchronization


async def test_httpcore_finds_its_async_library_without_searching_the_path() -> None:
    """httpcore asks sniffio which async library runs at every lock it makes (four per
    request); without sniffio installed (anyio >= 4.11 no longer brings it) every ask was a
    failed import that searched sys.path again (encode/httpcore#1103), about a fifth of a
    request's CPU. Installed, the import is found in sys.modules."""
    assert synchronization.current_async_library() == "asyncio"
    assert sys.modules.get("sniffio") is not None
