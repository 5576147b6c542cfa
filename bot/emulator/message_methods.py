"""The Bot API's message methods: send, edit, delete, pin, answer a button press.

:class:`MessageMethods` checks each request as Telegram does (who the bot may write to, HTML,
lengths, reply targets, "message is not modified") before it touches the message store.
"""

from __future__ import annotations

import time
from typing import Any

from bot.emulator.chats import Chats
from bot.emulator.markup import format_text, parse_markup
from bot.emulator.model import (
    EmuChat,
    JSONDict,
    SentMessage,
    StoredFile,
    TranscriptEntry,
    bad_request,
)
from bot.emulator.params import Params
from bot.emulator.telegram_html import utf16_len

__all__ = [
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "MessageMethods",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class MessageMethods(Chats):
    """sendMessage, sendDocument, sendPhoto, sendMediaGroup, edit*, deleteMessage, pins."""

    def _format(self, raw: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
        return format_text(raw, parse_mode, entities, strict_html=self.strict_html)

    def _message_text(
        self, p: Params, *, too_long: str
    ) -> tuple[str, str | None, str, list[JSONDict]]:
        """A message's text as sent (raw), its parse mode, and as shown with its entities;
        refused as Telegram does when empty or longer than 4096 characters (Telegram words the
        second refusal differently for a new message and an edit: ``too_long``)."""
        raw = p.opt_str("text") or ""
        parse_mode = p.opt_str("parse_mode")
        text, entities = self._format(raw, parse_mode, p.opt_json("entities"))
        if not text:
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request(too_long)
        return raw, parse_mode, text, entities

    async def _api_send_message(self, p: Params) -> JSONDict:
        chat = self._target_chat(p)
        raw, parse_mode, text, entities = self._message_text(p, too_long="message is too long")
        markup_type, rows = parse_markup(p.opt_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        msg = SentMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat.id),
            kind="message",
            text=text,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=rows,
            date=int(time.time()),
            entities=entities,
            reply_markup_type=markup_type,
            reply_to_message_id=reply_to,
        )
        self._record_sent(msg)
        return self._sent_dict(msg)

    async def _api_send_document(self, p: Params) -> JSONDict:
        return await self._send_media(p, "document")

    async def _api_send_photo(self, p: Params) -> JSONDict:
        return await self._send_media(p, "photo")

    async def _send_media(self, p: Params, media_type: str) -> JSONDict:
        chat = self._target_chat(p)
        stored = self._input_file(p, media_type, p.values.get(media_type))
        raw = p.opt_str("caption") or ""
        parse_mode = p.opt_str("parse_mode")
        caption, entities = self._format(raw, parse_mode, p.opt_json("caption_entities"))
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup_type, rows = parse_markup(p.opt_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        msg = SentMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat.id),
            kind=media_type,
            text=caption,
            html=raw if raw else None,
            parse_mode=parse_mode,
            reply_markup=rows,
            date=int(time.time()),
            entities=entities,
            reply_markup_type=markup_type,
            reply_to_message_id=reply_to,
            media_type=media_type,
            file_id=stored.file_id,
        )
        self._attach_media(msg, stored)
        self._record_sent(msg)
        return self._sent_dict(msg)

    async def _api_send_media_group(self, p: Params) -> list[JSONDict]:
        chat = self._target_chat(p)
        media = p.opt_json("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media: must include 2-10 items")
        types = {str(m.get("type")) for m in media}
        if not types <= {"photo", "video", "document", "audio"}:
            raise bad_request(f"unsupported media type in {sorted(types)}")
        if len(types) > 1 and types & {"document", "audio"}:
            mixed = sorted(types & {"document", "audio"})[0]
            raise bad_request(f"{mixed} can't be mixed with other media types")
        reply_to = self._reply_target(chat, p)
        prepared: list[tuple[JSONDict, StoredFile, str, str, list[JSONDict]]] = []
        for item in media:
            stored = self._input_file(p, "media", item.get("media"), kind=str(item["type"]))
            raw = str(item.get("caption") or "")
            caption, entities = self._format(
                raw, item.get("parse_mode"), item.get("caption_entities")
            )
            if utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
            prepared.append((item, stored, raw, caption, entities))
        self._media_group_counter += 1
        group_id = str(13_000_000_000_000_000 + self._media_group_counter)
        result: list[JSONDict] = []
        for item, stored, raw, caption, entities in prepared:
            msg = SentMessage(
                chat_id=chat.id,
                message_id=self._new_message_id(chat.id),
                kind="media_group_item",
                text=caption,
                html=raw if raw else None,
                parse_mode=item.get("parse_mode"),
                reply_markup=None,
                date=int(time.time()),
                entities=entities,
                reply_to_message_id=reply_to,
                media_group_id=group_id,
                media_type=str(item["type"]),
                file_id=stored.file_id,
            )
            self._attach_media(msg, stored)
            self._record_sent(msg)
            result.append(self._sent_dict(msg))
        return result

    def _reply_target(self, chat: EmuChat, p: Params) -> int | None:
        parameters = p.opt_json("reply_parameters")
        allow_missing = p.opt_bool("allow_sending_without_reply")
        message_id: int | None
        if isinstance(parameters, dict) and parameters.get("message_id") is not None:
            message_id = int(parameters["message_id"])
            allow_missing = bool(parameters.get("allow_sending_without_reply", allow_missing))
            if parameters.get("chat_id") not in (None, chat.id):
                raise bad_request("replying to messages in other chats is not emulated")
        else:
            message_id = p.opt_int("reply_to_message_id")
        if message_id is None:
            return None
        if self._any_message_dict(chat.id, message_id) is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    async def _api_edit_message_text(self, p: Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        if msg.kind != "message":
            raise bad_request("there is no text in the message to edit")
        raw, parse_mode, text, entities = self._message_text(p, too_long="MESSAGE_TOO_LONG")
        markup_type, rows = parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, text, raw, parse_mode, entities, markup_type, rows)
        return self._sent_dict(msg)

    async def _api_edit_message_caption(self, p: Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        if msg.kind == "message":
            raise bad_request("there is no caption in the message to edit")
        raw = p.opt_str("caption") or ""
        parse_mode = p.opt_str("parse_mode")
        caption, entities = self._format(raw, parse_mode, p.opt_json("caption_entities"))
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup_type, rows = parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, caption, raw or None, parse_mode, entities, markup_type, rows)
        return self._sent_dict(msg)

    async def _api_edit_message_reply_markup(self, p: Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        markup_type, rows = parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, msg.text, msg.html, msg.parse_mode, msg.entities, markup_type, rows)
        return self._sent_dict(msg)

    def _message_to_edit(self, p: Params) -> tuple[EmuChat, SentMessage]:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID (inline messages are not emulated)")
        chat = self._target_chat(p)
        message_id = p.req_int("message_id")
        msg = self._sent_index.get((chat.id, message_id))
        if msg is None or msg.deleted:
            if (chat.id, message_id) in self._user_messages and (
                (chat.id, message_id) not in self._deleted_user_messages
            ):
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, msg

    def _apply_edit(
        self,
        msg: SentMessage,
        text: str,
        raw: str | None,
        parse_mode: str | None,
        entities: list[JSONDict],
        markup_type: str | None,
        rows: list[list[JSONDict]] | None,
    ) -> None:
        current_rows = msg.reply_markup if msg.is_inline_keyboard else None
        if text == msg.text and entities == msg.entities and rows == current_rows:
            raise bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.edits.append(msg.text)
        msg.text = text
        msg.html = raw
        msg.parse_mode = parse_mode
        msg.entities = entities
        if msg.is_inline_keyboard or rows is not None or markup_type is not None:
            msg.reply_markup = rows
            msg.reply_markup_type = markup_type
        msg.edit_date = int(time.time())
        self.transcript.append(
            TranscriptEntry(
                kind="bot",
                chat_id=msg.chat_id,
                text=msg.text,
                buttons=msg.button_texts,
                edited=True,
                message_kind=msg.media_type or "message",
                message_id=msg.message_id,
                file_name=msg.document.filename if msg.document else None,
            )
        )

    async def _api_delete_message(self, p: Params) -> bool:
        chat = self._existing_chat(p)
        message_id = p.req_int("message_id")
        key = (chat.id, message_id)
        msg = self._sent_index.get(key)
        if msg is not None and not msg.deleted:
            msg.deleted = True
            msg.pinned = False
            self._unpin(chat.id, message_id)
            return True
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
            self._unpin(chat.id, message_id)
            return True
        raise bad_request("message to delete not found")

    async def _api_answer_callback_query(self, p: Params) -> bool:
        query_id = p.req_str("callback_query_id")
        query = self._callback_queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(_QUERY_INVALID.removeprefix("Bad Request: "))
        text = p.opt_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.answered_callbacks.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": p.opt_bool("show_alert"),
                "url": p.opt_str("url"),
                "cache_time": p.opt_int("cache_time"),
                "data": query.data,
                "user_id": query.user_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
            }
        )
        return True

    async def _api_pin_chat_message(self, p: Params) -> bool:
        chat = self._target_chat(p)
        message_id = p.req_int("message_id")
        key = (chat.id, message_id)
        msg = self._sent_index.get(key)
        exists = (msg is not None and not msg.deleted) or (
            key in self._user_messages and key not in self._deleted_user_messages
        )
        if not exists:
            raise bad_request("message to pin not found")
        if msg is not None:
            msg.pinned = True
        pinned = self._pinned.setdefault(chat.id, [])
        if message_id in pinned:
            pinned.remove(message_id)
        pinned.append(message_id)
        return True

    async def _api_unpin_chat_message(self, p: Params) -> bool:
        chat = self._target_chat(p)
        message_id = p.opt_int("message_id")
        pinned = self._pinned.get(chat.id, [])
        if message_id is None:
            if not pinned:
                return True
            message_id = pinned[-1]
        self._unpin(chat.id, message_id)
        return True

    async def _api_unpin_all_chat_messages(self, p: Params) -> bool:
        chat = self._target_chat(p)
        for message_id in list(self._pinned.get(chat.id, [])):
            self._unpin(chat.id, message_id)
        return True

    async def _api_send_chat_action(self, p: Params) -> bool:
        self._target_chat(p)
        p.req_str("action")
        return True
