"""The bot's own settings: getMe, its commands, the menu button, its name and descriptions."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.emulator.model import JSONDict, bad_request
from bot.emulator.params import Handler, Params
from bot.emulator.world import EmulatorWorld

__all__ = ["BotProfile"]

_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


class BotProfile(EmulatorWorld):
    """Commands per scope and language, menu buttons per chat, name and descriptions."""

    def _init_profile(self) -> None:
        self.bot_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.bot_profile: dict[tuple[str, str], str] = {}  # (field, language_code) -> value

    def get_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Commands set with setMyCommands for a scope (default scope if None)."""
        return list(self.bot_commands.get((self._scope_key(scope), language_code), []))

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    async def _api_true(self, p: Params) -> bool:
        return True

    async def _api_get_me(self, p: Params) -> JSONDict:
        return {
            **self._bot_user_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_set_my_commands(self, p: Params) -> bool:
        commands = p.opt_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        normalized: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_NAME_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be non-empty")
            normalized.append({"command": name, "description": description})
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        self.bot_commands[key] = normalized
        return True

    async def _api_get_my_commands(self, p: Params) -> list[JSONDict]:
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        return list(self.bot_commands.get(key, []))

    async def _api_delete_my_commands(self, p: Params) -> bool:
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        self.bot_commands.pop(key, None)
        return True

    async def _api_set_chat_menu_button(self, p: Params) -> bool:
        chat_id = p.opt_int("chat_id")
        if chat_id is not None and chat_id not in self.chats:
            raise bad_request("chat not found")
        button = p.opt_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _api_get_chat_menu_button(self, p: Params) -> JSONDict:
        chat_id = p.opt_int("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    def _api_set_profile(self, field_name: str) -> Handler:
        async def handler(p: Params) -> bool:
            value = p.opt_str(field_name) or ""
            language = p.opt_str("language_code") or ""
            if value:
                self.bot_profile[(field_name, language)] = value
            else:
                self.bot_profile.pop((field_name, language), None)
            return True

        return handler

    def _api_get_profile(self, field_name: str) -> Handler:
        async def handler(p: Params) -> JSONDict:
            language = p.opt_str("language_code") or ""
            value = self.bot_profile.get((field_name, language))
            if value is None:
                value = self.bot_profile.get((field_name, ""), "")
            if field_name == "name" and not value:
                value = self.bot_first_name
            return {field_name: value}

        return handler
