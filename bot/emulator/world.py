"""Who exists in the emulated Telegram: the bot, its users and chats, and what they said.

:class:`EmulatorWorld` is the base of :class:`~bot.emulator.BotApiEmulator`: the bot's
identity (token, id, username, privacy mode), the users and chats created by the test, and
the transcript every other part writes to.
"""

from __future__ import annotations

from bot.emulator.model import EmuChat, EmuUser, JSONDict, TranscriptEntry

__all__ = ["EmulatorWorld"]


class EmulatorWorld:
    """The bot, the users and chats it may meet, and the transcript of the conversation.

    Like every part of the emulator it makes its state in an ``_init_<part>`` method, which
    :class:`~bot.emulator.BotApiEmulator`'s constructor calls once.
    """

    def _init_world(
        self,
        token: str,
        bot_username: str,
        bot_first_name: str,
        *,
        privacy_mode: bool,
        strict_html: bool,
    ) -> None:
        bot_id_part = token.split(":", 1)[0]
        if not bot_id_part.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id_part)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.transcript: list[TranscriptEntry] = []

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> EmuUser:
        """Create (or update) a user and their private chat with the bot."""
        if user_id <= 0:
            raise ValueError("user ids must be positive")
        if user_id == self.bot_id:
            raise ValueError("user id collides with the bot id")
        user = EmuUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = EmuChat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        return user

    def group(self, chat_id: int, title: str) -> EmuChat:
        """Create a group (supergroup if ``chat_id < -1000000000000``).

        The bot is not a member until :meth:`add_bot_to_group` is called.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids must be negative")
        chat_type = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            chat = EmuChat(id=chat_id, type=chat_type, title=title)
            self.chats[chat_id] = chat
        else:
            chat.title = title
        return chat

    def format_transcript(self, chat_id: int | EmuChat | EmuUser | None = None) -> str:
        """The transcript as readable lines (optionally of one chat), e.g. for the demo."""
        cid = None if chat_id is None else self._chat_id_of(chat_id)
        lines: list[str] = []
        for entry in self.transcript:
            if cid is not None and entry.chat_id != cid:
                continue
            chat = self.chats.get(entry.chat_id)
            where = chat.display_name if chat is not None else str(entry.chat_id)
            if entry.kind == "user":
                who = entry.user.full_name if entry.user else "?"
                lines.append(f"[{where}] {who}: {entry.text}")
                continue
            prefix = "bot (edited)" if entry.edited else "bot"
            body = entry.text
            if entry.message_kind != "message":
                label = " ".join(x for x in (entry.message_kind, entry.file_name) if x)
                body = f"[{label}] {body}".rstrip()
            line = f"[{where}] {prefix}: {body}"
            if entry.buttons:
                line += "  " + " ".join(f"[{b}]" for b in entry.buttons)
            lines.append(line)
        return "\n".join(lines)

    def _chat_id_of(self, chat: int | EmuChat | EmuUser) -> int:
        return chat.id if isinstance(chat, EmuChat | EmuUser) else int(chat)

    def _bot_user_dict(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _known_user(self, user: EmuUser) -> None:
        if user.id not in self.users:
            self.user(
                user.id,
                user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )
        else:
            self.users[user.id] = user

    def _add_transcript_user(
        self, user: EmuUser, chat_id: int, text: str, message_id: int | None = None
    ) -> None:
        self.transcript.append(
            TranscriptEntry(
                kind="user", chat_id=chat_id, text=text, user=user, message_id=message_id
            )
        )
