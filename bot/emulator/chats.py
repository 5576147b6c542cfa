"""Chats and members: who is in which chat, what the bot may do there, groups upgraded.

:class:`Chats` keeps the members' statuses (the bot's too), who started or blocked the bot,
and the groups migrated to supergroups; it answers the chat methods (getChat,
getChatMember, ...) and makes the permission checks every sending method starts with
(:meth:`Chats._target_chat`). Adding, removing and blocking the bot and upgrading a group
send the bot the updates Telegram sends.
"""

from __future__ import annotations

import time

from bot.emulator.messages import MessageStore
from bot.emulator.model import EmuChat, EmuUser, JSONDict, bad_request, forbidden
from bot.emulator.params import Params
from bot.emulator.webhook import WebhookPoster

__all__ = ["GROUP_ANONYMOUS_BOT_ID", "MEMBER_STATUSES", "PRESENT_STATUSES", "Chats"]

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
PRESENT_STATUSES = frozenset({"creator", "administrator", "member"})
# The user Telegram shows as the sender of a supergroup's own service messages.
GROUP_ANONYMOUS_BOT_ID = 1087968824


class Chats(MessageStore, WebhookPoster):
    """Memberships, blocks, migrations, and the chat methods of the Bot API."""

    def _init_chats(self) -> None:
        self._started_users: set[int] = set()
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}  # (chat_id, user_or_bot_id) -> status
        self._migrated_to: dict[int, int] = {}  # old group id -> its supergroup id

    # -----------------------------------------------------------------------------------
    # World setup
    # -----------------------------------------------------------------------------------

    async def migrate_to_supergroup(
        self,
        chat: EmuChat | int,
        *,
        by: EmuUser | None = None,
        new_chat_id: int | None = None,
        bot_member_update: bool = True,
    ) -> EmuChat:
        """Upgrade a group to a supergroup as Telegram does; returns the new supergroup.

        The supergroup gets a new id (``-100...``; ``new_chat_id`` to choose it) with the
        group's title, username and members (statuses included, the bot's too). Its message
        ids start again at 1; the group's messages and pins stay with the old id, as in the
        Bot API. When the bot is in the group it receives, in this order: the service message
        ``migrate_to_chat_id`` in the old group (from ``by``, by default the group's creator or
        an administrator or member), ``migrate_from_chat_id`` as message 1 of the supergroup
        (from GroupAnonymousBot with ``sender_chat`` the supergroup), and, unless
        ``bot_member_update`` is False, a ``my_chat_member`` for the supergroup (left -> the
        bot's status; Telegram sends none for the old group). From then on every Bot API
        call with the old chat id answers ``400 Bad Request: group chat was upgraded to a
        supergroup chat`` with ``parameters.migrate_to_chat_id`` (PTB's ``ChatMigrated``), and
        users can no longer act in the old group.
        """
        old = self._group_chat(chat)
        if old.type != "group":
            raise ValueError(f"chat {old.id} is a {old.type}, only groups can be upgraded")
        if old.id in self._migrated_to:
            raise ValueError(f"group {old.id} was already upgraded to {self._migrated_to[old.id]}")
        new_id = -(1_000_000_000_000 + abs(old.id)) if new_chat_id is None else new_chat_id
        if new_id >= -1_000_000_000_000:
            raise ValueError("supergroup ids are below -1000000000000 (-100...)")
        if new_id in self.chats:
            raise ValueError(f"chat {new_id} already exists; pass another new_chat_id")
        actor = by if by is not None else self._group_owner(old.id)
        self._known_user(actor)
        new = EmuChat(id=new_id, type="supergroup", title=old.title, username=old.username)
        self.chats[new_id] = new
        for (chat_id, who), status in list(self._members.items()):
            if chat_id == old.id:
                self._members[(new_id, who)] = status
        self._migrated_to[old.id] = new_id
        old.username = None  # "@username" now names the supergroup
        self._add_transcript_user(actor, old.id, f"[upgraded the group to supergroup {new_id}]")
        bot_status = self._member_status(old.id, self.bot_id)
        if bot_status not in PRESENT_STATUSES:
            return new
        now = int(time.time())
        to_message: JSONDict = {
            "message_id": self._new_message_id(old.id),
            "from": actor.to_dict(),
            "chat": old.to_dict(),
            "date": now,
            "migrate_to_chat_id": new_id,
        }
        self._user_messages[(old.id, to_message["message_id"])] = to_message
        self._enqueue({"message": to_message})
        from_message: JSONDict = {
            "message_id": self._new_message_id(new_id),
            "from": {
                "id": GROUP_ANONYMOUS_BOT_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": new.to_dict(),
            "chat": new.to_dict(),
            "date": now,
            "migrate_from_chat_id": old.id,
        }
        self._user_messages[(new_id, from_message["message_id"])] = from_message
        self._enqueue({"message": from_message})
        if bot_member_update:
            self._enqueue(
                {
                    "my_chat_member": {
                        "chat": new.to_dict(),
                        "from": actor.to_dict(),
                        "date": now,
                        "old_chat_member": self._member_dict(new_id, self.bot_id, "left"),
                        "new_chat_member": self._member_dict(new_id, self.bot_id, bot_status),
                    }
                }
            )
        return new

    def migrated_to(self, chat: EmuChat | int) -> int | None:
        """The supergroup id a group was upgraded to, or None."""
        return self._migrated_to.get(self._chat_id_of(chat))

    def _group_owner(self, chat_id: int) -> EmuUser:
        """Who upgrades a group by default: its creator, else an administrator, else a member."""
        for wanted in ("creator", "administrator", "member"):
            for (cid, who), status in self._members.items():
                if cid == chat_id and status == wanted and who in self.users:
                    return self.users[who]
        raise ValueError(f"group {chat_id} has no user to upgrade it; pass by=")

    def set_member_status(self, chat: EmuChat | int, who: EmuUser | int, status: str) -> None:
        """Set a user's (or the bot's, by ``bot_id``) status in a group, silently.

        ``status`` is one of creator, administrator, member, left, kicked. A bot that is an
        administrator sees every group message even in privacy mode.
        """
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unsupported status {status!r}")
        chat_obj = self._group_chat(chat)
        who_id = who.id if isinstance(who, EmuUser) else int(who)
        self._members[(chat_obj.id, who_id)] = status

    def member_status(self, chat: EmuChat | int, who: EmuUser | int) -> str:
        chat_id = chat.id if isinstance(chat, EmuChat) else int(chat)
        who_id = who.id if isinstance(who, EmuUser) else int(who)
        return self._member_status(chat_id, who_id)

    def block(self, user: EmuUser) -> int | None:
        """The user blocks the bot: sends to their private chat answer 403 from now on.

        Like Telegram, the bot gets a ``my_chat_member`` update (member -> kicked) if the
        user had started it; returns that update id (or None).
        """
        if user.id in self._blocked:
            return None
        self._known_user(user)
        self._blocked.add(user.id)
        self._add_transcript_user(user, user.id, "[blocked the bot]")
        if user.id not in self._started_users:
            return None
        return self._enqueue(
            {"my_chat_member": self._private_member_update(user, "member", "kicked")}
        )

    def unblock(self, user: EmuUser) -> int | None:
        """The user unblocks the bot (a ``my_chat_member`` kicked -> member update)."""
        if user.id not in self._blocked:
            return None
        self._blocked.discard(user.id)
        self._add_transcript_user(user, user.id, "[unblocked the bot]")
        if user.id not in self._started_users:
            return None
        return self._enqueue(
            {"my_chat_member": self._private_member_update(user, "kicked", "member")}
        )

    def is_blocked(self, user: EmuUser | int) -> bool:
        return (user.id if isinstance(user, EmuUser) else user) in self._blocked

    async def add_bot_to_group(
        self, user: EmuUser, group: EmuChat | int, status: str = "member"
    ) -> int:
        """``user`` adds the bot to ``group`` (status "member" or "administrator").

        Produces a ``my_chat_member`` update (left -> status) and returns its id.
        """
        if status not in PRESENT_STATUSES - {"creator"}:
            raise ValueError("status must be 'member' or 'administrator'")
        chat = self._ensure_group(group)
        self._known_user(user)
        self._touch_user_in_chat(user, chat)
        return self._bot_membership(user, chat, status, "[added the bot to the group]")

    async def remove_bot_from_group(
        self, user: EmuUser, group: EmuChat | int, status: str = "left"
    ) -> int:
        """``user`` removes the bot (status "left" or "kicked"); a ``my_chat_member`` update."""
        if status not in ("left", "kicked"):
            raise ValueError("status must be 'left' or 'kicked'")
        chat = self._group_chat(group)
        return self._bot_membership(user, chat, status, "[removed the bot from the group]")

    def _bot_membership(self, user: EmuUser, chat: EmuChat, status: str, note: str) -> int:
        """The bot's status in a group changes: a ``my_chat_member`` update, as Telegram sends."""
        old = self._member_status(chat.id, self.bot_id)
        self._members[(chat.id, self.bot_id)] = status
        self._add_transcript_user(user, chat.id, note)
        return self._enqueue(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": self._member_dict(chat.id, self.bot_id, old),
                    "new_chat_member": self._member_dict(chat.id, self.bot_id, status),
                }
            }
        )

    # -----------------------------------------------------------------------------------
    # Bot API methods: chats, members
    # -----------------------------------------------------------------------------------

    async def _api_get_chat(self, p: Params) -> JSONDict:
        chat = self._existing_chat(p)
        info: JSONDict = {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        pinned = self._pinned.get(chat.id)
        if pinned:
            pinned_dict = self._any_message_dict(chat.id, pinned[-1])
            if pinned_dict is not None:
                info["pinned_message"] = pinned_dict
        return info

    async def _api_get_chat_member(self, p: Params) -> JSONDict:
        chat = self._existing_chat(p)
        user_id = p.req_int("user_id")
        if user_id != self.bot_id and user_id not in self.users:
            raise bad_request("user not found")
        return self._member_dict(chat.id, user_id, self._member_status(chat.id, user_id))

    async def _api_get_chat_administrators(self, p: Params) -> list[JSONDict]:
        chat = self._existing_chat(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [self._member_dict(chat.id, self.bot_id, "administrator")]
        for (chat_id, who), status in self._members.items():
            if chat_id == chat.id and who != self.bot_id and status in ("creator", "administrator"):
                admins.append(self._member_dict(chat.id, who, status))
        return admins

    async def _api_get_chat_member_count(self, p: Params) -> int:
        chat = self._existing_chat(p)
        if chat.type == "private":
            return 2
        return sum(
            1
            for (chat_id, _), status in self._members.items()
            if chat_id == chat.id and status in PRESENT_STATUSES
        )

    # -----------------------------------------------------------------------------------
    # Helpers: chats and members
    # -----------------------------------------------------------------------------------

    def _parse_chat_id(self, p: Params) -> int:
        value = p.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            for chat in self.chats.values():
                if chat.type != "private" and (chat.username or "").lower() == wanted:
                    return chat.id
            raise bad_request("chat not found")
        raise bad_request("chat not found")

    def _existing_chat(self, p: Params) -> EmuChat:
        """A chat the bot can see (no sending permission checks)."""
        chat = self.chats.get(self._parse_chat_id(p))
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private" and chat.id not in self._started_users:
            raise bad_request("chat not found")
        if chat.type != "private" and self._member_status(chat.id, self.bot_id) not in (
            PRESENT_STATUSES
        ):
            raise bad_request("chat not found")
        return chat

    def _target_chat(self, p: Params) -> EmuChat:
        """The chat the bot wants to write to, with Telegram's permission checks."""
        chat = self.chats.get(self._parse_chat_id(p))
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private":
            if chat.id in self._blocked:
                raise forbidden("bot was blocked by the user")
            if chat.id not in self._started_users:
                raise forbidden("bot can't initiate conversation with a user")
        else:
            status = self._member_status(chat.id, self.bot_id)
            if status == "kicked":
                raise forbidden(f"bot was kicked from the {chat.type} chat")
            if status not in PRESENT_STATUSES:
                raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _group_chat(self, chat: EmuChat | int) -> EmuChat:
        chat_id = chat.id if isinstance(chat, EmuChat) else int(chat)
        found = self.chats.get(chat_id)
        if found is None or found.type == "private":
            raise ValueError(f"unknown group {chat_id}; create it with emu.group()")
        return found

    def _ensure_group(self, chat: EmuChat | int) -> EmuChat:
        if isinstance(chat, EmuChat) and chat.id not in self.chats:
            return self.group(chat.id, chat.title or str(chat.id))
        return self._group_chat(chat)

    def _member_status(self, chat_id: int, who: int) -> str:
        status = self._members.get((chat_id, who))
        if status is not None:
            return status
        chat = self.chats.get(chat_id)
        if chat is not None and chat.type == "private":
            if who == chat_id:
                return "member"
            if who == self.bot_id:
                return "kicked" if chat_id in self._blocked else "member"
        return "left"

    def _member_dict(self, chat_id: int, who: int, status: str) -> JSONDict:
        user = self._bot_user_dict() if who == self.bot_id else self.users[who].to_dict()
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            is_bot = who == self.bot_id
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": not is_bot,
                "can_restrict_members": True,
                "can_promote_members": not is_bot,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    def _private_member_update(self, user: EmuUser, old: str, new: str) -> JSONDict:
        bot = self._bot_user_dict()
        old_member: JSONDict = {"status": old, "user": bot}
        new_member: JSONDict = {"status": new, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        return {
            "chat": self.chats[user.id].to_dict(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }

    def _chat_for_user_action(self, user: EmuUser, chat_id: int | EmuChat | EmuUser) -> EmuChat:
        self._known_user(user)
        cid = self._chat_id_of(chat_id)
        chat = self.chats.get(cid)
        if chat is None:
            raise ValueError(f"unknown chat {cid}; create groups with emu.group()")
        if cid in self._migrated_to:
            raise ValueError(
                f"group {cid} was upgraded to supergroup {self._migrated_to[cid]}; act there"
            )
        if chat.type == "private" and chat.id != user.id:
            raise ValueError(
                f"user {user.id} can't write in the private chat of user {chat.id} with the bot"
            )
        return chat

    def _touch_user_in_chat(self, user: EmuUser, chat: EmuChat, unblock: bool = True) -> None:
        if chat.type == "private":
            if unblock and user.id in self._blocked:
                # Writing to a blocked bot means restarting it first.
                self.unblock(user)
            self._started_users.add(user.id)
        elif self._members.get((chat.id, user.id)) not in PRESENT_STATUSES:
            self._members[(chat.id, user.id)] = "member"
