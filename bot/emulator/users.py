"""Acting as users: they write, upload documents and press buttons; the bot gets the updates.

:class:`UserActions` builds the ``message`` and ``callback_query`` updates Telegram would send,
and applies group privacy mode: in a group the bot only sees commands, replies to itself and,
as an administrator or with privacy mode off, everything.
"""

from __future__ import annotations

import mimetypes
import re
import time

from bot.emulator.chats import PRESENT_STATUSES, Chats
from bot.emulator.model import CallbackQuery, EmuChat, EmuUser, JSONDict, SentMessage
from bot.emulator.telegram_html import utf16_len

__all__ = ["UserActions"]

_COMMAND_RE = re.compile(r"/([A-Za-z0-9_]{1,64})(@([A-Za-z0-9_]{1,32}))?(?![A-Za-z0-9_@])")


class UserActions(Chats):
    """``send_text``, ``send_document``, ``press`` and ``press_button``, as a user."""

    async def send_text(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        text: str,
        reply_to: int | SentMessage | None = None,
    ) -> int | None:
        """The user sends ``text`` in a chat; returns the update id.

        Returns None when group privacy mode hides the message from the bot (it is still
        recorded in the transcript).
        """
        if not text:
            raise ValueError("text must not be empty")
        chat = self._chat_for_user_action(user, chat_id)
        self._touch_user_in_chat(user, chat)
        reply_msg = self._resolve_reply(chat, reply_to)
        message = self._new_user_message(user, chat)
        message["text"] = text
        command = self._command_entity(text)
        if command is not None:
            message["entities"] = [command]
        if reply_msg is not None:
            message["reply_to_message"] = reply_msg
        self._add_transcript_user(user, chat.id, text, message_id=message["message_id"])
        if not self._visible_to_bot(chat, text, reply_msg):
            return None
        return self._enqueue({"message": message})

    async def send_document(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        filename: str,
        data: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | SentMessage | None = None,
    ) -> int | None:
        """The user uploads a document (optionally with a caption); returns the update id.

        In groups with privacy mode the bot only sees it when the caption is a command or
        it replies to the bot; otherwise None is returned.
        """
        chat = self._chat_for_user_action(user, chat_id)
        self._touch_user_in_chat(user, chat)
        reply_msg = self._resolve_reply(chat, reply_to)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file(data, filename, mime, "documents")
        message = self._new_user_message(user, chat)
        message["document"] = self._document_dict(stored)
        if caption:
            message["caption"] = caption
            command = self._command_entity(caption)
            if command is not None:
                message["caption_entities"] = [command]
        if reply_msg is not None:
            message["reply_to_message"] = reply_msg
        label = f"[document {filename}]" + (f" {caption}" if caption else "")
        self._add_transcript_user(user, chat.id, label, message_id=message["message_id"])
        if not self._visible_to_bot(chat, caption or "", reply_msg):
            return None
        return self._enqueue({"message": message})

    async def send_photo(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        data: bytes,
        caption: str | None = None,
    ) -> int | None:
        """The user sends a photo (optionally with a caption); returns the update id. Telegram
        keeps it as a JPEG and sends its sizes; here the one size is the bytes as sent."""
        chat = self._chat_for_user_action(user, chat_id)
        self._touch_user_in_chat(user, chat)
        stored = self._store_file(data, None, "image/jpeg", "photos")
        message = self._new_user_message(user, chat)
        message["photo"] = self._photo_sizes(stored)
        if caption:
            message["caption"] = caption
        label = "[photo]" + (f" {caption}" if caption else "")
        self._add_transcript_user(user, chat.id, label, message_id=message["message_id"])
        if not self._visible_to_bot(chat, caption or "", None):
            return None
        return self._enqueue({"message": message})

    async def press(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        message_id: int,
        data: str,
    ) -> int:
        """The user presses an inline button with ``data`` (forged data allowed).

        The message must be one the bot sent (and not deleted). Returns the update id.
        """
        chat = self._chat_for_user_action(user, chat_id)
        msg = self._sent_index.get((chat.id, message_id))
        if msg is None or msg.deleted:
            raise ValueError(f"no message {message_id} from the bot in chat {chat.id}")
        self._touch_user_in_chat(user, chat, unblock=False)
        self._callback_counter += 1
        query_id = str(4_000_000_000_000_000_000 + self.bot_id * 1000 + self._callback_counter)
        self._callback_queries[query_id] = CallbackQuery(
            id=query_id, user_id=user.id, chat_id=chat.id, message_id=message_id, data=data
        )
        label = next(
            (
                str(button.get("text", ""))
                for row in (msg.reply_markup or [])
                for button in row
                if button.get("callback_data") == data
            ),
            data,
        )
        self._add_transcript_user(user, chat.id, f"[button: {label}]", message_id=message_id)
        return self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": self._sent_dict(msg),
                    "chat_instance": self._chat_instance(chat.id),
                    "data": data,
                }
            }
        )

    async def press_button(self, user: EmuUser, msg: SentMessage, text: str) -> int | None:
        """Press the button whose label contains ``text`` on ``msg`` (its current markup).

        Inline callback buttons produce a callback query; reply-keyboard buttons make the
        user send the label as a text message. Raises ValueError if there is no such button.
        """
        candidates = [b for row in (msg.reply_markup or []) for b in row]
        button = next((b for b in candidates if b.get("text") == text), None)
        if button is None:
            button = next((b for b in candidates if text in str(b.get("text", ""))), None)
        if button is None:
            raise ValueError(
                f"no button containing {text!r} in message {msg.message_id} "
                f"(buttons: {msg.button_texts})"
            )
        if msg.reply_markup_type == "keyboard":
            return await self.send_text(user, msg.chat_id, str(button["text"]))
        data = button.get("callback_data")
        if data is None:
            raise ValueError(f"button {button.get('text')!r} has no callback_data: {button}")
        return await self.press(user, msg.chat_id, msg.message_id, str(data))

    def _new_user_message(self, user: EmuUser, chat: EmuChat) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.to_dict(),
            "from": user.to_dict(),
        }
        self._user_messages[(chat.id, message["message_id"])] = message
        return message

    @staticmethod
    def _command_entity(text: str) -> JSONDict | None:
        match = _COMMAND_RE.match(text)
        if match is None:
            return None
        return {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}

    def _resolve_reply(self, chat: EmuChat, reply_to: int | SentMessage | None) -> JSONDict | None:
        if reply_to is None:
            return None
        message_id = reply_to.message_id if isinstance(reply_to, SentMessage) else reply_to
        found = self._any_message_dict(chat.id, message_id)
        if found is None:
            raise ValueError(f"no message {message_id} in chat {chat.id} to reply to")
        return found

    def _visible_to_bot(self, chat: EmuChat, text: str, reply_msg: JSONDict | None) -> bool:
        if chat.type == "private":
            return True
        bot_status = self._member_status(chat.id, self.bot_id)
        if bot_status not in PRESENT_STATUSES:
            return False
        if not self.privacy_mode or bot_status in ("administrator", "creator"):
            return True  # the bot sees every message
        match = _COMMAND_RE.match(text)
        if match is not None:
            # /cmd@somebot only reaches the addressed bot; a bare /cmd reaches every bot.
            addressee = match.group(3)
            return addressee is None or addressee.lower() == self.bot_username.lower()
        if reply_msg is not None and reply_msg.get("from", {}).get("id") == self.bot_id:
            return True
        return False

    def _chat_instance(self, chat_id: int) -> str:
        return str((abs(chat_id) * 1_000_003 + self.bot_id) % (2**63))
