"""Fault injection and supergroup migration in the emulator, as python-telegram-bot meets them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.emulator import GROUP_ANONYMOUS_BOT_ID, BotApiEmulator, EmuChat, EmuUser
from bot.emulator.faults import FAULT_KINDS, Faults


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    # A short read timeout so that held ("timeout") requests time out quickly on the client.
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(emu.token, base_url=emu.base_url, request=request) as tg_bot:
        yield tg_bot


@pytest.fixture
async def lan(emu: BotApiEmulator) -> EmuUser:
    user = emu.user(1001, "Lan")
    await emu.send_text(user, user.id, "/start")
    return user


@pytest.fixture
async def minh(emu: BotApiEmulator) -> EmuUser:
    user = emu.user(1002, "Minh")
    await emu.send_text(user, user.id, "/start")
    return user


def texts(emu: BotApiEmulator, chat: EmuUser | EmuChat | int) -> list[str]:
    return [m.text for m in emu.messages(chat)]


# ---------------------------------------------------------------------------------------
# Each kind as PTB's Bot sees it
# ---------------------------------------------------------------------------------------


async def test_retry_after(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(1.0, kinds={"retry_after"}, retry_after=3)
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(lan.id, "x")
    assert err.value._retry_after.total_seconds() == 3
    assert texts(emu, lan) == []  # not executed
    assert faults.injected == {"retry_after": 1}
    call = emu.calls_to("sendMessage")[-1]
    assert (call.fault, call.error_code) == ("retry_after", 429)


@pytest.mark.parametrize(("code", "phrase"), [(500, "Internal Server Error"), (502, "Bad Gateway")])
async def test_server_errors(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, code: int, phrase: str
) -> None:
    faults = emu.inject(1.0, kinds={"server_error"}, server_errors=(code,))
    with pytest.raises(NetworkError, match=phrase) as err:
        await bot.send_message(lan.id, "x")
    assert not isinstance(err.value, TimedOut)
    assert texts(emu, lan) == []
    assert faults.injected == {"server_error": 1}
    assert emu.calls_to("sendMessage")[-1].error_code == code


async def test_bad_gateway_as_html(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    emu.inject(1.0, kinds={"server_error"}, server_errors=(502,), bad_gateway_html=True)
    with pytest.raises(NetworkError, match=r"Bad Gateway \(502\)\. Parsing the server response"):
        await bot.send_message(lan.id, "x")
    assert texts(emu, lan) == []


async def test_server_error_after_executing(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(1.0, kinds={"server_error"}, server_errors=(500,), server_error_executed=1)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(lan.id, "delivered anyway")
    assert texts(emu, lan) == ["delivered anyway"]
    assert faults.executed == {"server_error": 1}


async def test_timeout_not_executed(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(1.0, kinds={"timeout"}, timeout_delay=30, timeout_executed=0)
    with pytest.raises(TimedOut):
        await bot.send_message(lan.id, "x")
    assert texts(emu, lan) == []
    assert faults.injected == {"timeout": 1}
    assert faults.executed == {}
    emu.faults = None
    await bot.send_message(lan.id, "y")  # the emulator still answers
    assert texts(emu, lan) == ["y"]


async def test_timeout_executed(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(1.0, kinds={"timeout"}, timeout_delay=30, timeout_executed=1)
    with pytest.raises(TimedOut):
        await bot.send_message(lan.id, "delivered, answer lost")
    assert texts(emu, lan) == ["delivered, answer lost"]
    assert faults.executed == {"timeout": 1}
    assert emu.calls_to("sendMessage")[-1].fault == "timeout"


async def test_late_answer_within_the_client_timeout(emu: BotApiEmulator, lan: EmuUser) -> None:
    # A delay shorter than the client's read timeout is only a slow answer when executed,
    # and a dropped connection when not.
    async with Bot(emu.token, base_url=emu.base_url) as patient:
        emu.inject(1.0, kinds={"timeout"}, timeout_delay=0.01, timeout_executed=1)
        message = await patient.send_message(lan.id, "slow")
        assert message.text == "slow"
        emu.inject(1.0, kinds={"timeout"}, timeout_delay=0.01, timeout_executed=0)
        with pytest.raises(NetworkError) as err:
            await patient.send_message(lan.id, "lost")
        assert not isinstance(err.value, TimedOut)
    assert texts(emu, lan) == ["slow"]


@pytest.mark.parametrize("executed", [False, True])
async def test_connection_reset(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, executed: bool
) -> None:
    faults = emu.inject(1.0, kinds={"reset"}, reset_executed=float(executed))
    with pytest.raises(NetworkError) as err:
        await bot.send_message(lan.id, "x")
    assert not isinstance(err.value, TimedOut)
    assert texts(emu, lan) == (["x"] if executed else [])
    assert faults.injected == {"reset": 1}
    assert faults.executed == ({"reset": 1} if executed else {})
    emu.faults = None
    await bot.send_message(lan.id, "after")  # a new connection works
    assert texts(emu, lan)[-1] == "after"


async def test_forbidden_chats(emu: BotApiEmulator, bot: Bot, lan: EmuUser, minh: EmuUser) -> None:
    sent = await bot.send_message(lan.id, "before")
    faults = emu.inject(forbidden_chats={lan.id})
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(lan.id, "x")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.edit_message_text("edited", chat_id=lan.id, message_id=sent.message_id)
    await bot.send_message(minh.id, "other chats work")
    assert (await bot.get_chat(lan.id)).id == lan.id  # reading is not writing
    assert texts(emu, lan) == ["before"]
    assert texts(emu, minh) == ["other chats work"]
    assert faults.injected == {"forbidden": 2}


# ---------------------------------------------------------------------------------------
# Where faults apply
# ---------------------------------------------------------------------------------------


async def test_only_the_chosen_methods(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    sent = await bot.send_message(lan.id, "one")
    faults = emu.inject(1.0, kinds={"retry_after"}, methods={"editMessageText"})
    await bot.send_message(lan.id, "two")
    await bot.get_me()
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("edited", chat_id=lan.id, message_id=sent.message_id)
    assert texts(emu, lan) == ["one", "two"]
    assert [e.method for e in faults.events] == ["editMessageText"]


async def test_only_the_chosen_chats(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, minh: EmuUser
) -> None:
    faults = emu.inject(1.0, kinds={"server_error"}, chats={minh.id})
    await bot.send_message(lan.id, "fine")
    await bot.get_me()  # no chat: not in the chosen chats
    with pytest.raises(NetworkError):
        await bot.send_message(minh.id, "x")
    assert texts(emu, lan) == ["fine"]
    assert [(e.method, e.chat_id) for e in faults.events] == [("sendMessage", minh.id)]


async def test_get_updates_only_when_asked(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    emu.inject(1.0, kinds={"server_error"})
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["/start"]
    faults = emu.inject(1.0, kinds={"server_error"}, methods=(), get_updates=True)
    with pytest.raises(NetworkError):
        await bot.get_updates()
    await bot.send_message(lan.id, "methods=() leaves the others alone")
    assert faults.injected == {"server_error": 1}


async def test_limit(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(1.0, kinds={"retry_after"}, limit=2)
    for _ in range(2):
        with pytest.raises(RetryAfter):
            await bot.send_message(lan.id, "x")
    await bot.send_message(lan.id, "recovered")
    assert texts(emu, lan) == ["recovered"]
    assert faults.total == 2


async def test_polling_survives_lost_get_updates_answers(emu: BotApiEmulator, lan: EmuUser) -> None:
    """getUpdates answers lost after the updates were handed out: they come again, once."""
    seen: list[str] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        seen.append(update.message.text)

    update_ids = [await emu.send_text(lan, lan.id, f"m{i}") for i in range(3)]
    faults = emu.inject(
        1.0,
        kinds={"timeout"},
        methods=(),
        get_updates=True,
        timeout_delay=30,
        timeout_executed=1,
        limit=2,
    )
    app: Application = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .get_updates_read_timeout(0.3)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, record))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=0)
        try:
            await emu.wait_fetched(update_ids[-1])
            await emu.wait_until(lambda: len(seen) >= 4)
        finally:
            await app.updater.stop()
            await app.stop()
    assert seen == ["/start", "m0", "m1", "m2"]
    assert faults.injected == {"timeout": 2}
    assert faults.executed == {"timeout": 2}


# ---------------------------------------------------------------------------------------
# Reproducibility and counters
# ---------------------------------------------------------------------------------------


async def _fault_trace(seed: int, lan_id: int) -> list[str | None]:
    """The fault met by each of 40 sequential sends, on a fresh emulator."""
    emulator = BotApiEmulator()
    await emulator.start()
    try:
        user = emulator.user(lan_id, "Lan")
        await emulator.send_text(user, user.id, "/start")
        async with Bot(emulator.token, base_url=emulator.base_url) as tg_bot:
            kinds = {"retry_after": 2.0, "server_error": 1.0, "reset": 1.0}
            emulator.inject(0.4, kinds=kinds, seed=seed)
            for i in range(40):
                try:
                    await tg_bot.send_message(user.id, f"m{i}")
                except TelegramError:
                    pass
        return [c.fault for c in emulator.calls_to("sendMessage")]
    finally:
        await emulator.stop()


async def test_same_seed_same_faults() -> None:
    first = await _fault_trace(7, 1001)
    again = await _fault_trace(7, 1001)
    other = await _fault_trace(8, 1001)
    assert first == again
    assert first != other
    assert {"retry_after", "server_error", "reset", None} == set(first)


def test_decisions_are_reproducible_without_a_server() -> None:
    def trace(seed: int) -> list[tuple[str, bool]]:
        faults = Faults(rate=0.5, seed=seed)
        decisions = (faults.decide("sendMessage", -100) for _ in range(200))
        return [(d.kind, d.executed) for d in decisions if d is not None]

    assert trace(1) == trace(1)
    assert trace(1) != trace(2)
    assert {kind for kind, _ in trace(1)} == set(FAULT_KINDS)


async def test_counters_match_what_the_bot_met(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    faults = emu.inject(0.5, kinds={"retry_after", "server_error", "reset"}, seed=3)
    met: dict[str, int] = {"RetryAfter": 0, "NetworkError": 0, "ok": 0}
    for i in range(30):
        try:
            await bot.send_message(lan.id, f"m{i}")
        except RetryAfter:
            met["RetryAfter"] += 1
        except NetworkError:
            met["NetworkError"] += 1
        else:
            met["ok"] += 1
    assert met["RetryAfter"] == faults.injected["retry_after"] > 0
    assert met["NetworkError"] == faults.injected["server_error"] + faults.injected["reset"]
    assert faults.injected["server_error"] > 0 and faults.injected["reset"] > 0
    assert faults.total == len(faults.events) == 30 - met["ok"]
    calls = emu.calls_to("sendMessage")
    assert sum(1 for c in calls if c.fault is not None) == faults.total
    executed_resets = faults.executed["reset"]
    assert len(emu.messages(lan)) == met["ok"] + executed_resets


@pytest.mark.parametrize(
    "options",
    [
        {"rate": 1.5},
        {"rate": 0.1, "kinds": {"forbidden"}},
        {"rate": 0.1, "kinds": ()},
        {"timeout_executed": 2.0},
        {"server_errors": (404,)},
        {"retry_after": 0},
        {"limit": -1},
    ],
)
def test_bad_fault_plans_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Faults(**options)  # type: ignore[arg-type]  # fields from a dict, checked at run time


# ---------------------------------------------------------------------------------------
# A group upgraded to a supergroup
# ---------------------------------------------------------------------------------------


async def _group_with_bot(emu: BotApiEmulator, lan: EmuUser, minh: EmuUser) -> EmuChat:
    group = emu.group(-4518810793, "Cụm 1")
    emu.set_member_status(group, lan, "creator")
    emu.set_member_status(group, minh, "administrator")
    await emu.add_bot_to_group(lan, group, "administrator")
    return group


async def test_migration_updates_and_chat_migrated(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, minh: EmuUser
) -> None:
    group = await _group_with_bot(emu, lan, minh)
    old_message = await bot.send_message(group.id, "Đã nộp: 3/10")
    await bot.pin_chat_message(group.id, old_message.message_id)
    before = len(emu.pending_updates)

    supergroup = await emu.migrate_to_supergroup(group)

    assert supergroup.type == "supergroup" and supergroup.title == "Cụm 1"
    assert str(supergroup.id).startswith("-100") and supergroup.id < -1_000_000_000_000
    assert emu.migrated_to(group) == supergroup.id
    updates = [Update.de_json(u, bot) for u in emu.pending_updates[before:]]
    to_msg, from_msg, member = updates
    assert to_msg.message is not None and from_msg.message is not None
    assert to_msg.message.chat.id == group.id
    assert to_msg.message.migrate_to_chat_id == supergroup.id
    assert to_msg.message.from_user is not None and to_msg.message.from_user.id == lan.id
    assert from_msg.message.chat.id == supergroup.id
    assert from_msg.message.chat.type == "supergroup"
    assert from_msg.message.migrate_from_chat_id == group.id
    assert from_msg.message.message_id == 1
    assert from_msg.message.from_user is not None
    assert from_msg.message.from_user.id == GROUP_ANONYMOUS_BOT_ID
    assert from_msg.message.sender_chat is not None
    assert from_msg.message.sender_chat.id == supergroup.id
    assert member.my_chat_member is not None
    assert member.my_chat_member.chat.id == supergroup.id
    assert member.my_chat_member.new_chat_member.status == "administrator"

    # The old id is gone for every method, with the new id in the answer.
    for call in (
        bot.send_message(group.id, "x"),
        bot.edit_message_text("x", chat_id=group.id, message_id=old_message.message_id),
        bot.get_chat(group.id),
        bot.send_chat_action(group.id, "typing"),
    ):
        with pytest.raises(ChatMigrated) as err:
            await call
        assert err.value.new_chat_id == supergroup.id
    refused = emu.calls_to("sendMessage")[-1]
    assert refused.error_code == 400
    assert refused.error == "Bad Request: group chat was upgraded to a supergroup chat"

    # The supergroup works and has the group's members, title and statuses.
    sent = await bot.send_message(supergroup.id, "Đã nộp: 3/10")
    assert sent.chat.id == supergroup.id and sent.message_id == 2
    chat = await bot.get_chat(supergroup.id)
    assert (chat.type, chat.title) == ("supergroup", "Cụm 1")
    assert chat.pinned_message is None  # the pin stays with the old group's message
    assert (await bot.get_chat_member(supergroup.id, minh.id)).status == "administrator"
    assert (await bot.get_chat_member(supergroup.id, lan.id)).status == "creator"
    assert (await bot.get_chat_member(supergroup.id, emu.bot_id)).status == "administrator"
    assert emu.messages(group)[0].pinned  # the old group's history is kept as it was


async def test_migration_reaches_the_application(
    emu: BotApiEmulator, lan: EmuUser, minh: EmuUser
) -> None:
    seen: list[tuple[int, int | None, int | None]] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        seen.append((message.chat.id, message.migrate_to_chat_id, message.migrate_from_chat_id))

    group = await _group_with_bot(emu, lan, minh)
    # In privacy mode a plain member bot sees service messages too.
    emu.set_member_status(group, emu.bot_id, "member")
    app: Application = ApplicationBuilder().token(emu.token).base_url(emu.base_url).build()
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, record))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            supergroup = await emu.migrate_to_supergroup(group, by=minh)
            await emu.wait_until(lambda: len(seen) == 2)
        finally:
            await app.updater.stop()
            await app.stop()
    assert seen == [(group.id, supergroup.id, None), (supergroup.id, None, group.id)]


async def test_migration_controls(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, minh: EmuUser
) -> None:
    group = await _group_with_bot(emu, lan, minh)
    group.username = "cum_mot"
    supergroup = await emu.migrate_to_supergroup(group, new_chat_id=-1002471352452)
    assert supergroup.id == -1002471352452
    assert (await bot.send_message("@cum_mot", "x")).chat.id == supergroup.id
    with pytest.raises(ValueError, match="already upgraded"):
        await emu.migrate_to_supergroup(group)
    with pytest.raises(ValueError, match="only groups"):
        await emu.migrate_to_supergroup(supergroup)
    with pytest.raises(ValueError, match="upgraded to supergroup"):
        await emu.send_text(lan, group.id, "/report")
    update_id = await emu.send_text(lan, supergroup.id, "/report")
    assert update_id is not None
    last = emu.pending_updates[-1]["message"]
    assert last["chat"]["id"] == supergroup.id and last["chat"]["type"] == "supergroup"

    # A group the bot is not in is upgraded silently.
    other = emu.group(-777, "Khác")
    emu.set_member_status(other, lan, "creator")
    before = len(emu.pending_updates)
    await emu.migrate_to_supergroup(other)
    assert len(emu.pending_updates) == before
    with pytest.raises(ValueError, match="no user"):
        await emu.migrate_to_supergroup(emu.group(-778, "Trống"))


async def test_migration_without_member_update(
    emu: BotApiEmulator, lan: EmuUser, minh: EmuUser
) -> None:
    group = await _group_with_bot(emu, lan, minh)
    before = len(emu.pending_updates)
    await emu.migrate_to_supergroup(group, bot_member_update=False)
    kinds = [next(k for k in u if k != "update_id") for u in emu.pending_updates[before:]]
    assert kinds == ["message", "message"]


async def test_faults_meet_migrated_chats_before_the_migration_error(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser, minh: EmuUser
) -> None:
    """A network fault happens before Telegram looks at the chat; a reset loses the 400 too."""
    group = await _group_with_bot(emu, lan, minh)
    await emu.migrate_to_supergroup(group)
    emu.inject(1.0, kinds={"reset"}, reset_executed=1, chats={group.id})
    with pytest.raises(NetworkError) as err:
        await bot.send_message(group.id, "x")
    assert not isinstance(err.value, ChatMigrated | BadRequest)
    call = emu.calls_to("sendMessage")[-1]
    assert call.fault == "reset" and call.error_code == 400


async def test_stop_with_a_held_request(emu: BotApiEmulator, lan: EmuUser) -> None:
    """A request held by a timeout fault does not keep the emulator from stopping."""
    async with Bot(emu.token, base_url=emu.base_url) as patient:
        emu.inject(1.0, kinds={"timeout"}, timeout_delay=60, timeout_executed=0)
        pending = asyncio.ensure_future(patient.send_message(lan.id, "x"))
        await emu.wait_until(lambda: bool(emu.calls_to("sendMessage")))
        await emu.stop()
        with pytest.raises(NetworkError):
            await pending
    assert texts(emu, lan) == []


# ---------------------------------------------------------------------------------------
# The harness: the real bot meets faults and migrations
# ---------------------------------------------------------------------------------------


async def test_harness_faults_spare_the_start_up(sqlite_url: str) -> None:
    from bot.emulator.harness import Harness

    faults = Faults(rate=1.0, kinds={"server_error"}, methods={"getMe", "setMyCommands"})
    async with Harness(sqlite_url, faults=faults) as h:
        assert h.emu.faults is faults
        assert h.emu.calls_to("getMe")
        assert faults.total == 0  # start-up went through
        await h.stop_bot()
        await h.start_bot()  # a restart too
        assert h.emu.faults is faults and faults.total == 0
        assert h.app is not None
        with pytest.raises(NetworkError):
            await h.app.bot.get_me()
        assert faults.injected == {"server_error": 1}


async def test_harness_migrate_waits_for_the_bot(sqlite_url: str) -> None:
    from bot.emulator.harness import Harness

    async with Harness(sqlite_url) as h:
        admin = h.user(9000, "Quản trị")
        await h.add_to_group(admin, -4518810793, "Cụm")
        supergroup, _ = await h.migrate(-4518810793)
        assert h.emu.migrated_to(-4518810793) == supergroup.id
        # The two service messages and my_chat_member reached the bot and were handled.
        await h.emu.wait_fetched(h.emu.last_update_id)
        assert h.emu.pending_updates == []
