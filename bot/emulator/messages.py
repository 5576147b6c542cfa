"""The message store: what the bot sent, what users wrote, what is pinned, as the bot sees it.

:class:`MessageStore` numbers messages per chat as Telegram does, records the bot's messages
(``sent``, each a :class:`~bot.emulator.model.SentMessage`) and the users', and renders
them as Bot API ``Message`` objects. The methods that send, edit, delete and pin are
:mod:`bot.emulator.message_methods`'s.
"""

from __future__ import annotations

from bot.emulator.files import FileStore, image_size
from bot.emulator.model import (
    CallbackQuery,
    EmuChat,
    EmuUser,
    JSONDict,
    SentMessage,
    TranscriptEntry,
)

__all__ = ["MessageStore"]


class MessageStore(FileStore):
    """The messages of every chat, the pins, and the button presses waiting for an answer."""

    def _init_messages(self) -> None:
        self.sent: list[SentMessage] = []
        self.answered_callbacks: list[JSONDict] = []
        self._sent_index: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._pinned: dict[int, list[int]] = {}
        self._next_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, CallbackQuery] = {}
        self._media_group_counter = 0
        self._callback_counter = 0

    def messages(self, chat_id: int | EmuChat | EmuUser) -> list[SentMessage]:
        """Messages the bot sent to a chat, in order (deleted ones included, flagged)."""
        cid = self._chat_id_of(chat_id)
        return [m for m in self.sent if m.chat_id == cid]

    def last(self, chat_id: int | EmuChat | EmuUser) -> SentMessage:
        """The last message the bot sent to a chat; IndexError if none."""
        msgs = self.messages(chat_id)
        if not msgs:
            raise IndexError(f"the bot sent nothing to chat {self._chat_id_of(chat_id)}")
        return msgs[-1]

    def pinned_message_ids(self, chat_id: int | EmuChat | EmuUser) -> list[int]:
        return list(self._pinned.get(self._chat_id_of(chat_id), []))

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _record_sent(self, msg: SentMessage) -> None:
        self.sent.append(msg)
        self._sent_index[(msg.chat_id, msg.message_id)] = msg
        self.transcript.append(
            TranscriptEntry(
                kind="bot",
                chat_id=msg.chat_id,
                text=msg.text,
                buttons=msg.button_texts,
                message_kind=msg.media_type or "message",
                message_id=msg.message_id,
                file_name=msg.document.filename if msg.document else None,
            )
        )

    def _unpin(self, chat_id: int, message_id: int) -> None:
        pinned = self._pinned.get(chat_id, [])
        if message_id in pinned:
            pinned.remove(message_id)
        msg = self._sent_index.get((chat_id, message_id))
        if msg is not None:
            msg.pinned = False

    def _any_message_dict(self, chat_id: int, message_id: int) -> JSONDict | None:
        msg = self._sent_index.get((chat_id, message_id))
        if msg is not None:
            return None if msg.deleted else self._sent_dict(msg, with_reply=False)
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            message = dict(self._user_messages[key])
            message.pop("reply_to_message", None)
            return message
        return None

    def _sent_dict(self, msg: SentMessage, *, with_reply: bool = True) -> JSONDict:
        data: JSONDict = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self.chats[msg.chat_id].to_dict(),
            "from": self._bot_user_dict(),
        }
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.kind == "message":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        else:
            stored = self.files.get(msg.file_id or "")
            if stored is not None:
                if msg.media_type == "photo":
                    data["photo"] = self._photo_sizes(stored)
                elif msg.media_type == "video":
                    width, height = image_size(stored.data)
                    data["video"] = {
                        **self._document_dict(stored),
                        "width": width,
                        "height": height,
                        "duration": 0,
                    }
                elif msg.media_type == "audio":
                    data["audio"] = {**self._document_dict(stored), "duration": 0}
                else:
                    data["document"] = self._document_dict(stored)
            if msg.text:
                data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = msg.entities
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if with_reply and msg.reply_to_message_id is not None:
            reply = self._any_message_dict(msg.chat_id, msg.reply_to_message_id)
            if reply is not None:
                data["reply_to_message"] = reply
        if msg.is_inline_keyboard and msg.reply_markup:
            data["reply_markup"] = {"inline_keyboard": msg.reply_markup}
        return data
