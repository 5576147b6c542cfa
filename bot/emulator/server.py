"""The emulator itself: the aiohttp server, the Bot API method table, faults on the wire.

:class:`BotApiEmulator` puts the parts together (the top of the package): it serves
``/bot<token>/<method>`` and ``/file/bot<token>/<path>``, records every request in ``calls``,
answers the migrated chats and Telegram's flood limits before running a method, and plays
the faults of :mod:`bot.emulator.faults` (errors, held requests, dropped connections). The
package docstring (:mod:`bot.emulator`) describes its use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.emulator.bot_profile import BotProfile
from bot.emulator.faults import FaultDecision, Faults
from bot.emulator.limits import RateLimits
from bot.emulator.message_methods import MessageMethods
from bot.emulator.model import ApiCall, ApiError, JSONDict, bad_request
from bot.emulator.params import Handler, Params, read_params
from bot.emulator.users import UserActions

__all__ = ["BotApiEmulator"]

_LOGGER = logging.getLogger(__name__)

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class BotApiEmulator(UserActions, MessageMethods, BotProfile, RateLimits):
    """A local Telegram Bot API server for one bot, plus controls to act as users."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "clusterbot_demo_bot",
        bot_first_name: str = "Clusterbot",
        *,
        privacy_mode: bool = True,
        strict_html: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        enforce_limits: bool = False,
    ) -> None:
        # Each part (a base class, one module of the package) creates its own state.
        self._init_limits(enforce_limits)
        self._init_world(
            token,
            bot_username,
            bot_first_name,
            privacy_mode=privacy_mode,
            strict_html=strict_html,
        )
        self.host = host
        self._port_wanted = port
        self.port: int | None = None
        self.calls: list[ApiCall] = []
        self._init_files()
        self._init_messages()
        self._init_chats()
        self._init_profile()
        self._init_updates()
        self._init_webhook()

        # Fault injection (None: Telegram never fails by itself).
        self.faults: Faults | None = None
        self._held_waiters: list[asyncio.Future[str]] = []  # requests held by "timeout" faults

        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): handler for name, handler in self._method_table().items()
        }

    # -----------------------------------------------------------------------------------
    # Lifecycle
    # -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on ``host`` (default 127.0.0.1) and a free port."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=2.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port_wanted)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        """Stop the server; pending long-poll ``getUpdates`` calls return at once.

        Requests held by a ``"timeout"`` fault end at once too (answered when they were
        executed, their connection dropped otherwise).
        """
        self._closing = True
        await self._stop_webhook()
        for waiter in [*self._poll_waiters, *self._held_waiters]:
            if not waiter.done():
                waiter.set_result("stopped")
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url``: PTB appends the token and the method name."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """For PTB's ``base_file_url``: PTB appends the token and the file path."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("the emulator is not started; await emu.start() first")
        return self.port

    def inject(self, rate: float = 0.0, **options: Any) -> Faults:
        """Make Telegram flaky: ``self.faults = Faults(rate, **options)``, returned.

        The options are :class:`~bot.emulator.faults.Faults`'s (``kinds``, ``methods``,
        ``chats``, ``seed``, ``get_updates``, ``retry_after``, ``timeout_delay``,
        ``timeout_executed``, ``reset_executed``, ``forbidden_chats``, ...). Assign
        ``emu.faults = None`` to make it reliable again.
        """
        self.faults = Faults(rate, **options)
        return self.faults

    # What is not Telegram's state: the server, the method table, requests in flight and what
    # waits on them, the faults (a test's choice). Everything else is the world as the bot sees
    # it (users, chats, members, messages, files, updates and the offset, menus, counters).
    _NOT_STATE = frozenset(
        {
            "_runner",
            "_methods",
            "faults",
            "host",
            "port",
            "_port_wanted",
            "_closing",
            "_webhook_task",
            "_webhook_wake",
        }
    )

    def snapshot(self) -> bytes:
        """A copy of Telegram's state, for :meth:`restore` into a new emulator: tests start
        from a world set up once (users started, a group linked) instead of making it anew.
        Pickled: restoring it is one ``pickle.loads``, about 15 times cheaper than the
        ``copy.deepcopy`` it replaces (13 ms of CPU per test start)."""
        return pickle.dumps(
            {
                name: value
                for name, value in vars(self).items()
                if name not in self._NOT_STATE and not name.endswith("_waiters")
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    def restore(self, state: bytes) -> None:
        """Become the world of ``state`` (from :meth:`snapshot`), with the bot stopped."""
        vars(self).update(pickle.loads(state))  # noqa: S301 - our own snapshot, in memory

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one Bot API method (case-insensitive name)."""
        lowered = method.lower()
        return [c for c in self.calls if c.method.lower() == lowered]

    # -----------------------------------------------------------------------------------
    # HTTP layer
    # -----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            values, files = await read_params(request)
        except Exception as exc:  # malformed body
            error = bad_request(f"can't parse request: {exc}")
            self.calls.append(ApiCall(method, {}, error.error_code, error.description))
            return web.json_response(error.to_json(), status=error.error_code)

        recorded: JSONDict = dict(values)
        for name, upload in files.items():
            recorded[name] = {
                "file_name": upload.filename,
                "mime_type": upload.content_type,
                "size": len(upload.data),
            }
        call = ApiCall(method, recorded)
        self.calls.append(call)
        self._notify_activity()
        try:
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            params = Params(values, files)
            chat_id = values.get("chat_id")
            int_chat_id = chat_id if isinstance(chat_id, int) else None
            faults = self.faults
            fault = faults.decide(method, int_chat_id) if faults is not None else None
            if fault is not None:
                call.fault = fault.kind
                return await self._inject(request, call, fault, handler, params, int_chat_id)
            result = await self._execute(handler, params, method, int_chat_id)
        except ApiError as exc:
            return self._error_response(call, exc)
        except Exception as exc:
            return self._internal_error(call, exc)
        finally:
            self._notify_activity()
        return web.json_response({"ok": True, "result": result})

    async def _execute(
        self, handler: Handler, params: Params, method: str, chat_id: int | None
    ) -> Any:
        """Run one method as Telegram would: migrated chats, flood limits, then the method."""
        if chat_id is not None and chat_id in self._migrated_to:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self._migrated_to[chat_id]},
            )
        self._check_limits(method, chat_id)
        return await handler(params)

    def _error_response(self, call: ApiCall, exc: ApiError) -> web.Response:
        call.error_code, call.error = exc.error_code, exc.description
        _LOGGER.debug("%s -> %s %s", call.method, exc.error_code, exc.description)
        return web.json_response(exc.to_json(), status=exc.error_code)

    def _internal_error(self, call: ApiCall, exc: Exception) -> web.Response:
        _LOGGER.exception("emulator failure in %s", call.method)
        call.error_code, call.error = 500, f"Internal Server Error: {exc!r}"
        return web.json_response(
            {"ok": False, "error_code": 500, "description": call.error}, status=500
        )

    async def _inject(
        self,
        request: web.Request,
        call: ApiCall,
        fault: FaultDecision,
        handler: Handler,
        params: Params,
        chat_id: int | None,
    ) -> web.Response:
        """Answer one request with the fault drawn for it (see :mod:`bot.emulator.faults`)."""
        response: web.Response | None = None
        if fault.executed:
            # Telegram did the work; what the client gets back is lost or replaced.
            try:
                result = await self._execute(handler, params, call.method, chat_id)
            except ApiError as exc:
                response = self._error_response(call, exc)
            except Exception as exc:
                response = self._internal_error(call, exc)
            else:
                response = web.json_response({"ok": True, "result": result})
            self._notify_activity()
        if fault.kind == "timeout":
            await self._hold(fault.delay)
            if response is not None:
                return response
            return self._reset(request)
        if fault.kind == "reset":
            return self._reset(request)
        assert fault.error_code is not None and fault.description is not None
        # Even when the work was done (a 5xx after executing), the client sees the error.
        call.error_code, call.error = fault.error_code, fault.description
        if fault.html:
            # Telegram's front end answers 502 with its own HTML page, not Bot API JSON.
            return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
        error = ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)
        return web.json_response(error.to_json(), status=fault.error_code)

    async def _hold(self, delay: float) -> None:
        """Hold a request ``delay`` seconds; cut short by :meth:`stop`.

        When the client gives up first, aiohttp cancels the handler and with it this wait.
        """
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._held_waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, delay)
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._held_waiters.remove(waiter)

    @staticmethod
    def _reset(request: web.Request) -> web.Response:
        """Drop the TCP connection without an answer (the returned response is never sent)."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=204)

    def _method_table(self) -> Mapping[str, Handler]:
        return {
            "getMe": self._api_get_me,
            "logOut": self._api_true,
            "close": self._api_true,
            "getUpdates": self._api_get_updates,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "setChatMenuButton": self._api_set_chat_menu_button,
            "getChatMenuButton": self._api_get_chat_menu_button,
            "setMyDescription": self._api_set_profile("description"),
            "getMyDescription": self._api_get_profile("description"),
            "setMyShortDescription": self._api_set_profile("short_description"),
            "getMyShortDescription": self._api_get_profile("short_description"),
            "setMyName": self._api_set_profile("name"),
            "getMyName": self._api_get_profile("name"),
            "sendMessage": self._api_send_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageCaption": self._api_edit_message_caption,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "deleteMessage": self._api_delete_message,
            "answerCallbackQuery": self._api_answer_callback_query,
            "sendDocument": self._api_send_document,
            "sendPhoto": self._api_send_photo,
            "sendMediaGroup": self._api_send_media_group,
            "pinChatMessage": self._api_pin_chat_message,
            "unpinChatMessage": self._api_unpin_chat_message,
            "unpinAllChatMessages": self._api_unpin_all_chat_messages,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "getChatAdministrators": self._api_get_chat_administrators,
            "getChatMemberCount": self._api_get_chat_member_count,
            "getFile": self._api_get_file,
            "sendChatAction": self._api_send_chat_action,
        }
