"""Files: what users and the bot upload, getFile, and the download route.

:class:`FileStore` keeps every file by ``file_id`` and ``file_path`` with Telegram-like ids,
resolves a request's InputFile (an upload, ``attach://``, a known ``file_id`` or a URL), and
serves ``/file/bot<token>/<path>`` as the Bot API's file server does.
"""

from __future__ import annotations

import mimetypes
import struct
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.emulator.model import EmuDocument, JSONDict, SentMessage, StoredFile, bad_request
from bot.emulator.params import Params
from bot.emulator.world import EmulatorWorld

__all__ = ["FileStore", "image_size"]


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG or JPEG image; a placeholder size otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 512, 512


MAX_BOT_DOWNLOAD = 20 * 1024 * 1024


class FileStore(EmulatorWorld):
    """The files known to the emulator (``files``, by file_id)."""

    def _init_files(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, kind: str
    ) -> StoredFile:
        self._file_counter += 1
        n = self._file_counter
        prefix = {"photos": "AgAC", "documents": "BQAC", "videos": "BAAC", "music": "CQAC"}
        suffix = PurePosixPath(file_name or "").suffix
        if not suffix and mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        if kind == "photos":
            suffix = ".jpg" if data[:2] == b"\xff\xd8" else (suffix or ".jpg")
        stored = StoredFile(
            file_id=f"{prefix.get(kind, 'BQAC')}{self.bot_id}-{n:06d}",
            file_unique_id=f"AQAD{n:06d}",
            file_path=f"{kind}/file_{n}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, p: Params, name: str, value: Any, kind: str | None = None) -> StoredFile:
        """Resolve an InputFile parameter: an upload, ``attach://x``, a file_id or a URL."""
        kind = kind or name
        folder = {"photo": "photos", "video": "videos", "audio": "music"}.get(kind, "documents")
        upload = p.files.get(name) if name != "media" else None
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"can't find attached file {value[len('attach://') :]!r}")
        if upload is not None:
            mime = upload.content_type or mimetypes.guess_type(upload.filename)[0]
            return self._store_file(upload.data, upload.filename, mime, folder)
        if isinstance(value, str) and value:
            known = self.files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                file_name = PurePosixPath(urlsplit(value).path).name or None
                mime = mimetypes.guess_type(file_name or "")[0]
                return self._store_file(b"", file_name, mime, folder)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {kind} in the request")

    def _attach_media(self, msg: SentMessage, stored: StoredFile) -> None:
        if msg.media_type == "photo":
            msg.photo = stored.data
        else:
            msg.document = EmuDocument(
                filename=stored.file_name or PurePosixPath(stored.file_path).name,
                data=stored.data,
                mime_type=stored.mime_type or "application/octet-stream",
            )

    @staticmethod
    def _document_dict(stored: StoredFile) -> JSONDict:
        data: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[JSONDict]:
        width, height = image_size(stored.data)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    async def _api_get_file(self, p: Params) -> JSONDict:
        file_id = p.req_str("file_id")
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_BOT_DOWNLOAD:  # what Telegram lets a bot download
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
