"""Tests for the local Bot API emulator, driven by python-telegram-bot's real networking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import ApiError, BotApiEmulator, EmuUser
from bot.emulator.telegram_html import (
    TelegramHtmlError,
    parse_html,
    parse_html_entities,
    utf16_len,
)

# 1x1 PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as tg_bot:
        yield tg_bot


@pytest.fixture
def lan(emu: BotApiEmulator) -> EmuUser:
    return emu.user(1001, "Lan", last_name="Nguyễn", username="lan", language_code="vi")


AppFactory = Callable[
    [Sequence[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, object]]], Awaitable[Application]
]


@pytest.fixture
async def make_app(emu: BotApiEmulator) -> AsyncIterator[AppFactory]:
    apps: list[Application] = []

    async def factory(
        handlers: Sequence[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, object]],
    ) -> Application:
        app = (
            ApplicationBuilder()
            .token(emu.token)
            .base_url(emu.base_url)
            .base_file_url(emu.base_file_url)
            .build()
        )
        for handler in handlers:
            app.add_handler(handler)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def started(emu: BotApiEmulator, user: EmuUser) -> None:
    """Make ``user`` start the bot (no Application polling in these tests)."""
    await emu.send_text(user, user.id, "/start")


# ---------------------------------------------------------------------------------------
# telegram_html
# ---------------------------------------------------------------------------------------


class TestTelegramHtml:
    def test_plain_text_passes_through(self) -> None:
        assert parse_html("Xin chào, cụm thi đua!") == "Xin chào, cụm thi đua!"

    def test_nested_tags(self) -> None:
        html = (
            '<b>Đậm <i>nghiêng <u>gạch</u></i></b> <a href="https://example.com/?a=1&amp;b=2">'
            'liên kết</a> <span class="tg-spoiler">bí mật</span> <tg-spoiler>x</tg-spoiler> '
            "<s>a</s><strike>b</strike><del>c</del><strong>d</strong><em>e</em><ins>f</ins>"
            '<pre><code class="language-python">print(1)</code></pre>'
            "<blockquote expandable>trích</blockquote>"
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        )
        text, entities = parse_html_entities(html)
        assert text == "Đậm nghiêng gạch liên kết bí mật x abcdefprint(1)trích👍"
        types = [e["type"] for e in entities]
        assert types[:3] == ["bold", "italic", "underline"]
        link = next(e for e in entities if e["type"] == "text_link")
        assert link["url"] == "https://example.com/?a=1&b=2"
        pre = next(e for e in entities if e["type"] == "pre")
        assert pre["language"] == "python"
        assert "code" not in types  # folded into the pre block
        assert "expandable_blockquote" in types
        emoji = next(e for e in entities if e["type"] == "custom_emoji")
        assert emoji["custom_emoji_id"] == "5368324170671202286"
        assert emoji["length"] == 2  # UTF-16 code units

    def test_utf16_offsets(self) -> None:
        text, entities = parse_html_entities("😀 <b>x</b>")
        assert text == "😀 x"
        assert entities == [{"type": "bold", "offset": 3, "length": 1}]
        assert utf16_len("😀") == 2

    def test_escaped_text(self) -> None:
        assert parse_html("a &lt; b &gt; c &amp; &quot;d&quot; &#65;&#x42;&#x1F600;") == (
            'a < b > c & "d" AB😀'
        )

    def test_case_insensitive_tags(self) -> None:
        assert parse_html("<B>x</B>") == "x"

    def test_unsupported_tag(self) -> None:
        with pytest.raises(TelegramHtmlError) as err:
            parse_html("Chào <foo>x</foo>")
        assert err.value.description == (
            'Can\'t parse entities: Unsupported start tag "foo" at byte offset 6'
        )

    def test_bare_less_than(self) -> None:
        with pytest.raises(TelegramHtmlError, match='Unsupported start tag "" at byte'):
            parse_html("1 < 2")

    def test_unclosed_tag(self) -> None:
        with pytest.raises(TelegramHtmlError) as err:
            parse_html("<b>đậm")
        assert err.value.description.startswith("Can't parse entities:")
        assert 'start tag "b"' in err.value.description

    def test_unclosed_start_tag(self) -> None:
        with pytest.raises(TelegramHtmlError, match="Unclosed start tag"):
            parse_html("x <b")

    def test_mismatched_end_tag(self) -> None:
        with pytest.raises(TelegramHtmlError, match='expected "</i>", found "</b>"'):
            parse_html("<b><i>x</b></i>")

    def test_unexpected_end_tag(self) -> None:
        with pytest.raises(TelegramHtmlError, match="Unexpected end tag"):
            parse_html("x</b>")

    @pytest.mark.parametrize("text", ["AT&T", "a &nbsp; b", "&amp", "&#X41;", "&#0;"])
    def test_bad_entity(self, text: str) -> None:
        with pytest.raises(TelegramHtmlError, match="Can't parse entities:"):
            parse_html(text)

    def test_lenient_entities_like_telegram(self) -> None:
        assert parse_html("AT&T &nbsp; &amp", strict=False) == "AT&T &nbsp; &"

    def test_a_without_href(self) -> None:
        with pytest.raises(TelegramHtmlError, match='"href"'):
            parse_html("<a>link</a>")
        with pytest.raises(TelegramHtmlError, match='"href"'):
            parse_html('<a title="x">link</a>')
        assert parse_html("<a>link</a>", strict=False) == "link"

    def test_span_needs_spoiler_class(self) -> None:
        with pytest.raises(TelegramHtmlError, match="tg-spoiler"):
            parse_html('<span class="red">x</span>')

    def test_unquoted_attribute_value_must_be_a_name_token(self) -> None:
        with pytest.raises(TelegramHtmlError, match="name token"):
            parse_html("<a href=https://x.y>x</a>")

    def test_byte_offsets_count_utf8_bytes(self) -> None:
        with pytest.raises(TelegramHtmlError, match="at byte offset 5"):
            parse_html("đệ<x>")  # đ is 2 bytes, ệ is 3


# ---------------------------------------------------------------------------------------
# Bot API with a plain telegram.Bot
# ---------------------------------------------------------------------------------------


async def test_get_me(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == emu.bot_id == 123456
    assert me.username == "clusterbot_demo_bot"
    assert me.is_bot
    assert bot.username == "clusterbot_demo_bot"
    assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/bot")


async def test_wrong_token_is_rejected(emu: BotApiEmulator) -> None:
    from telegram.error import InvalidToken

    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.base_url):
            pass


async def test_send_message_with_html_and_keyboard(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser
) -> None:
    await started(emu, lan)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Xác nhận", callback_data="confirm:1")],
            [InlineKeyboardButton("Trang web", url="https://example.com")],
        ]
    )
    message = await bot.send_message(
        lan.id, "<b>Chào</b> Lan &amp; cụm", parse_mode="HTML", reply_markup=keyboard
    )
    assert message.text == "Chào Lan & cụm"
    assert message.text_html == "<b>Chào</b> Lan &amp; cụm"
    assert message.from_user is not None and message.from_user.id == emu.bot_id
    assert message.chat.id == lan.id and message.chat.type == "private"
    assert message.reply_markup == keyboard

    sent = emu.last(lan.id)
    assert sent is emu.sent[-1]
    assert sent.kind == "message"
    assert sent.message_id == message.message_id
    assert sent.text == "Chào Lan & cụm"
    assert sent.html == "<b>Chào</b> Lan &amp; cụm"
    assert sent.parse_mode == "HTML"
    assert sent.buttons == [("Xác nhận", "confirm:1"), ("Trang web", "https://example.com")]
    assert sent.reply_markup is not None and sent.reply_markup[0][0]["text"] == "Xác nhận"
    assert emu.messages(lan.id) == [sent]
    assert emu.calls[-1].method == "sendMessage"
    assert emu.calls[-1].params["chat_id"] == lan.id
    assert emu.calls[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
        "confirm:1"
    )


async def test_text_is_stripped_like_telegram(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    message = await bot.send_message(lan.id, "\n  <b>x</b> y \n", parse_mode="HTML")
    assert message.text == "x y"
    assert message.entities[0].offset == 0 and message.entities[0].length == 1


async def test_invalid_html_is_a_bad_request(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(lan.id, "Điểm <5", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(lan.id, "<b>x", parse_mode="HTML")
    assert emu.sent == []
    assert emu.calls[-1].error_code == 400
    assert emu.calls[-1].error is not None
    assert emu.calls[-1].error.startswith("Bad Request: can't parse entities: ")
    # Without parse_mode the same text is fine.
    await bot.send_message(lan.id, "Điểm <5")
    assert emu.last(lan.id).text == "Điểm <5"


async def test_empty_and_too_long_messages(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(lan.id, "a" * 4097)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(lan.id, "<b> </b>", parse_mode="HTML")
    # The limit applies to the text after parsing, not to the markup.
    await bot.send_message(lan.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert len(emu.last(lan.id).text) == 4096


async def test_callback_data_limit(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    too_long = "x" * 62 + "ệ"  # 62 + 3 = 65 bytes
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            lan.id,
            "chọn",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("A", callback_data=too_long)]]
            ),
        )
    fits = "x" * 61 + "ệ"  # 64 bytes
    await bot.send_message(
        lan.id,
        "chọn",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data=fits)]]),
    )
    assert emu.last(lan.id).buttons == [("A", fits)]


async def test_caption_limit(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_document(lan.id, b"x", filename="a.txt", caption="c" * 1025)


async def test_edit_message_and_not_modified(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Gửi", callback_data="send")]])
    message = await bot.send_message(lan.id, "Bản nháp", reply_markup=keyboard)
    sent = emu.last(lan.id)

    edited = await bot.edit_message_text(
        "<i>Đã gửi</i>",
        chat_id=lan.id,
        message_id=message.message_id,
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert isinstance(edited, type(message)) and edited.text == "Đã gửi"
    assert edited.edit_date is not None
    assert sent.text == "Đã gửi" and sent.html == "<i>Đã gửi</i>"
    assert sent.edits == ["Bản nháp"]
    assert sent.buttons == [("Gửi", "send")]

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>Đã gửi</i>",
            chat_id=lan.id,
            message_id=message.message_id,
            parse_mode="HTML",
            reply_markup=keyboard,
        )
    # Same text but no keyboard: the keyboard is removed, that is a modification.
    await bot.edit_message_text(
        "<i>Đã gửi</i>", chat_id=lan.id, message_id=message.message_id, parse_mode="HTML"
    )
    assert sent.reply_markup is None and sent.buttons == []

    await bot.edit_message_reply_markup(lan.id, message.message_id, reply_markup=keyboard)
    assert sent.buttons == [("Gửi", "send")]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(lan.id, message.message_id, reply_markup=keyboard)

    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=lan.id, message_id=999)

    edits = [e for e in emu.transcript if e.kind == "bot" and e.edited]
    assert len(edits) == 3


async def test_forbidden_and_unknown_chats(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    stranger = emu.user(2002, "Minh")
    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "xin chào")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "xin chào")

    await started(emu, lan)
    await bot.send_message(lan.id, "ok")
    emu.block(lan)
    assert emu.is_blocked(lan)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(lan.id, "xin chào")
    assert emu.calls[-1].error_code == 403

    group = emu.group(-100500, "Cụm thi đua")
    with pytest.raises(Forbidden, match="(?i)not a member"):
        await bot.send_message(group.id, "xin chào")


async def test_block_sends_my_chat_member(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    update_id = emu.block(lan)
    assert update_id is not None
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None
    assert member.new_chat_member.status == "kicked"
    assert member.chat.id == lan.id
    # Writing again means restarting the bot: unblocked.
    await emu.send_text(lan, lan.id, "/start")
    assert not emu.is_blocked(lan)
    await bot.send_message(lan.id, "welcome back")


async def test_send_document_round_trip(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    content = b"PK\x03\x04 fake xlsx"
    message = await bot.send_document(
        lan.id,
        content,
        filename="Báo cáo quý 1.xlsx",
        caption="<b>Báo cáo</b>",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "Báo cáo quý 1.xlsx"
    assert message.document.mime_type == XLSX_MIME
    assert message.caption == "Báo cáo"

    sent = emu.last(lan.id)
    assert sent.kind == "document"
    assert sent.text == "Báo cáo" and sent.html == "<b>Báo cáo</b>"
    assert sent.document is not None
    filename, data, mime = sent.document
    assert (filename, data, mime) == ("Báo cáo quý 1.xlsx", content, XLSX_MIME)

    # The bot can download what it sent, and resend it by file_id.
    tg_file = await message.document.get_file()
    assert bytes(await tg_file.download_as_bytearray()) == content
    again = await bot.send_document(lan.id, message.document.file_id)
    assert again.document is not None and again.document.file_id == message.document.file_id


async def test_user_uploaded_document_can_be_downloaded(
    emu: BotApiEmulator, bot: Bot, lan: EmuUser
) -> None:
    content = b"\x00\x01 bytes of a spreadsheet"
    update_id = await emu.send_document(
        lan, lan.id, "Danh sách.xlsx", content, mime_type=XLSX_MIME, caption="Tháng 3"
    )
    assert update_id is not None
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None and message.document is not None
    assert message.document.file_name == "Danh sách.xlsx"
    assert message.document.mime_type == XLSX_MIME
    assert message.caption == "Tháng 3"
    assert message.from_user is not None and message.from_user.language_code == "vi"

    tg_file = await bot.get_file(message.document.file_id)
    assert tg_file.file_size == len(content)
    assert bytes(await tg_file.download_as_bytearray()) == content
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")
    assert emu.transcript[-1].text == "[document Danh sách.xlsx] Tháng 3"


async def test_photo_and_media_group(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    photo = await bot.send_photo(lan.id, PNG, caption="Biểu đồ")
    assert photo.photo[-1].width == 1 and photo.photo[-1].height == 1
    assert emu.last(lan.id).kind == "photo"
    assert emu.last(lan.id).photo == PNG

    messages = await bot.send_media_group(
        lan.id,
        [
            InputMediaDocument(b"one", filename="a.txt"),
            InputMediaDocument(b"two", filename="b.txt", caption="<b>hai</b>", parse_mode="HTML"),
        ],
    )
    assert [m.document.file_name for m in messages if m.document] == ["a.txt", "b.txt"]
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    items = emu.messages(lan.id)[-2:]
    assert [m.kind for m in items] == ["media_group_item", "media_group_item"]
    assert items[1].text == "hai"
    assert items[1].document is not None and items[1].document.data == b"two"


async def test_get_updates_long_poll_wakes_up(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    update_id = await emu.send_text(lan, lan.id, "/start abc")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None and message.text == "/start abc"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    # Not confirmed yet: returned again; confirming with a later offset drops it.
    assert emu.fetched_update_id == 0
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update_id]
    assert update_id is not None
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert emu.fetched_update_id == update_id
    await emu.wait_fetched(update_id, timeout=1)


async def test_stop_releases_long_poll(emu: BotApiEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    await asyncio.wait_for(emu.stop(), 10)  # guards against a hang, not a timing assert
    assert await asyncio.wait_for(poll, 10) == ()


async def test_commands_menu_chat_and_members(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands(
        [BotCommand("report", "Báo cáo")], scope=BotCommandScopeChat(lan.id), language_code="vi"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert emu.get_commands() == [{"command": "start", "description": "Bắt đầu"}]
    assert emu.get_commands({"type": "chat", "chat_id": lan.id}, "vi")[0]["command"] == "report"
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.set_chat_menu_button()
    chat = await bot.get_chat(lan.id)
    assert chat.type == "private" and chat.first_name == "Lan"
    member = await bot.get_chat_member(lan.id, lan.id)
    assert member.status == "member" and member.user.id == lan.id

    group = emu.group(-1001234567890, "Cụm thi đua")
    assert group.type == "supergroup"
    await emu.add_bot_to_group(lan, group)
    emu.set_member_status(group, lan, "creator")
    gchat = await bot.get_chat(group.id)
    assert gchat.title == "Cụm thi đua" and gchat.type == "supergroup"
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {emu.bot_id, lan.id}
    bot_member = await bot.get_chat_member(group.id, emu.bot_id)
    assert bot_member.status == "member"
    assert await bot.send_chat_action(group.id, "typing")
    assert await bot.get_webhook_info() is not None


async def test_pin_and_delete(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    message = await bot.send_message(lan.id, "ghim")
    assert await bot.pin_chat_message(lan.id, message.message_id)
    assert emu.last(lan.id).pinned
    assert await bot.unpin_chat_message(lan.id)
    assert not emu.last(lan.id).pinned
    assert await bot.delete_message(lan.id, message.message_id)
    assert emu.last(lan.id).deleted
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(lan.id, message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to pin not found"):
        await bot.pin_chat_message(lan.id, 999)


async def test_reply_parameters(emu: BotApiEmulator, bot: Bot, lan: EmuUser) -> None:
    await started(emu, lan)
    user_message_id = emu.transcript[-1].message_id
    assert user_message_id is not None
    message = await bot.send_message(lan.id, "trả lời", reply_to_message_id=user_message_id)
    assert message.reply_to_message is not None
    assert message.reply_to_message.text == "/start"
    assert emu.last(lan.id).reply_to_message_id == user_message_id
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(lan.id, "x", reply_to_message_id=999)


async def test_unknown_method(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendSomethingElse", api_kwargs={"chat_id": 1})
    assert emu.calls[-1].method == "sendSomethingElse"
    assert emu.calls[-1].error_code == 404


async def test_json_body_and_get_requests(emu: BotApiEmulator, lan: EmuUser) -> None:
    await started(emu, lan)
    url = f"{emu.base_url}{emu.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage",
            json={
                "chat_id": lan.id,
                "text": "123",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
            },
        ) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "123"
        async with session.get(f"{url}/getMe") as resp:
            assert (await resp.json())["result"]["username"] == emu.bot_username
        async with session.get(
            f"{url}/sendMessage", params={"chat_id": str(lan.id), "text": ""}
        ) as resp:
            body = await resp.json()
            assert resp.status == 400
            assert body == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
    assert emu.last(lan.id).text == "123"
    assert emu.last(lan.id).buttons == [("A", "a")]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_check_limits_hook(lan: EmuUser) -> None:
    class Limited(BotApiEmulator):
        def _check_limits(self, method: str, chat_id: int | None) -> None:
            if method == "sendMessage":
                raise ApiError(429, "Too Many Requests: retry after 7", retry_after=7)

    emulator = Limited()
    await emulator.start()
    try:
        user = emulator.user(lan.id, lan.first_name)
        await emulator.send_text(user, user.id, "/start")
        async with Bot(emulator.token, base_url=emulator.base_url) as tg_bot:
            with pytest.raises(RetryAfter):
                await tg_bot.send_message(user.id, "x")
        assert emulator.calls[-1].error_code == 429
    finally:
        await emulator.stop()


# ---------------------------------------------------------------------------------------
# A real Application polling the emulator
# ---------------------------------------------------------------------------------------


async def test_application_command_handler(
    emu: BotApiEmulator, make_app: AppFactory, lan: EmuUser
) -> None:
    seen: list[tuple[int, str | None, list[str]]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        seen.append(
            (update.effective_user.id, update.effective_user.language_code, list(context.args or []))
        )
        await update.effective_message.reply_html(
            f"Chào <b>{update.effective_user.first_name}</b>!",
            reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Báo cáo")]]),
        )

    await make_app([CommandHandler("start", start)])
    update_id = await emu.send_text(lan, lan.id, "/start abc")
    assert update_id is not None
    await emu.wait_fetched(update_id)
    await emu.wait_until(lambda: len(emu.messages(lan.id)) == 1)
    assert seen == [(lan.id, "vi", ["abc"])]
    reply = emu.last(lan.id)
    assert reply.text == "Chào Lan!"
    assert reply.html == "Chào <b>Lan</b>!"
    assert reply.reply_markup_type == "keyboard"
    assert reply.buttons == [("Báo cáo", None)]
    kinds = [(e.kind, e.text) for e in emu.transcript]
    assert kinds == [("user", "/start abc"), ("bot", "Chào Lan!")]
    assert "Lan Nguyễn: /start abc" in emu.format_transcript()


async def test_group_privacy_mode(emu: BotApiEmulator, make_app: AppFactory, lan: EmuUser) -> None:
    seen: list[str] = []

    async def any_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.append(update.effective_message.text or "")
        if update.effective_message.text == "/register":
            await update.effective_message.reply_text("Đã đăng ký cụm")

    await make_app([MessageHandler(filters.TEXT, any_text)])
    group = emu.group(-100123, "Cụm thi đua")
    assert group.type == "group"

    # Before the bot is added it sees nothing.
    assert await emu.send_text(lan, group.id, "/register") is None

    added = await emu.add_bot_to_group(lan, group)
    await emu.wait_fetched(added)

    assert await emu.send_text(lan, group.id, "chào mọi người") is None
    assert await emu.send_text(lan, group.id, "/register@some_other_bot") is None
    addressed = await emu.send_text(lan, group.id, f"/help@{emu.bot_username}")
    command = await emu.send_text(lan, group.id, "/register")
    assert addressed is not None and command is not None
    await emu.wait_until(lambda: len(emu.messages(group.id)) == 1)
    bot_message = emu.last(group.id)
    assert bot_message.text == "Đã đăng ký cụm"

    reply = await emu.send_text(lan, group.id, "trả lời bot", reply_to=bot_message)
    assert reply is not None
    await emu.wait_fetched(reply)
    await emu.wait_until(lambda: "trả lời bot" in seen)
    assert seen == [f"/help@{emu.bot_username}", "/register", "trả lời bot"]
    # Hidden messages are still in the transcript.
    assert any(e.text == "chào mọi người" for e in emu.transcript)

    # An administrator bot sees everything.
    emu.set_member_status(group, emu.bot_id, "administrator")
    plain = await emu.send_text(lan, group.id, "tin thường")
    assert plain is not None
    await emu.wait_until(lambda: "tin thường" in seen)


async def test_button_press_reaches_callback_handler(
    emu: BotApiEmulator, make_app: AppFactory, lan: EmuUser
) -> None:
    pressed: list[tuple[str | None, int | None, str]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "Xác nhận số liệu?",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("✅ Xác nhận", callback_data="confirm:7"),
                        InlineKeyboardButton("Hủy", callback_data="cancel:7"),
                    ]
                ]
            ),
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        pressed.append((query.data, query.message.message_id, query.chat_instance))
        await query.answer("Đã xác nhận", show_alert=True)
        await query.edit_message_text("Đã xác nhận ✅")

    await make_app([CommandHandler("start", start), CallbackQueryHandler(on_button)])
    await emu.send_text(lan, lan.id, "/start")
    await emu.wait_until(lambda: len(emu.messages(lan.id)) == 1)
    msg = emu.last(lan.id)
    assert msg.button_texts == ["✅ Xác nhận", "Hủy"]

    update_id = await emu.press_button(lan, msg, "Xác nhận")
    assert update_id is not None
    await emu.wait_until(lambda: bool(msg.edits))
    assert pressed[0][:2] == ("confirm:7", msg.message_id)
    assert pressed[0][2]
    assert msg.text == "Đã xác nhận ✅" and msg.edits == ["Xác nhận số liệu?"]
    assert msg.buttons == []
    answer = emu.answered_callbacks[-1]
    assert answer["text"] == "Đã xác nhận" and answer["show_alert"] is True
    assert answer["callback_query_id"]
    assert any(e.kind == "user" and e.text == "[button: ✅ Xác nhận]" for e in emu.transcript)

    with pytest.raises(ValueError, match="no button"):
        await emu.press_button(lan, msg, "Xác nhận")  # the keyboard is gone after the edit
    with pytest.raises(ValueError):
        await emu.press(lan, lan.id, 999, "confirm:7")

    # Forged data on an existing message still reaches the bot.
    forged = await emu.press(lan, lan.id, msg.message_id, "confirm:999")
    await emu.wait_fetched(forged)
    await emu.wait_until(lambda: len(pressed) == 2)
    assert pressed[1][0] == "confirm:999"


async def test_stop_with_polling_application(emu: BotApiEmulator, lan: EmuUser) -> None:
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    await asyncio.sleep(0.2)
    try:
        await asyncio.wait_for(app.updater.stop(), 10)
    finally:
        await app.stop()
        await app.shutdown()
    await asyncio.wait_for(emu.stop(), 10)


async def test_privacy_mode_rules_without_polling() -> None:
    emulator = BotApiEmulator(privacy_mode=False)
    user = emulator.user(7, "Hoa")
    group = emulator.group(-555, "Nhóm")
    assert await emulator.send_text(user, group.id, "chào") is None  # bot not in the group
    await emulator.add_bot_to_group(user, group)
    assert await emulator.send_text(user, group.id, "chào") is not None
    assert await emulator.send_text(user, group.id, "/x@other_bot") is not None

    private = BotApiEmulator()
    user = private.user(7, "Hoa")
    group = private.group(-555, "Nhóm")
    await private.add_bot_to_group(user, group)
    assert await private.send_document(user, group.id, "a.xlsx", b"x") is None
    assert await private.send_document(user, group.id, "a.xlsx", b"x", caption="/nop") is not None
    with pytest.raises(ValueError):
        await private.send_text(user, 8, "hi")  # unknown chat
    other = private.user(8, "Nam")
    with pytest.raises(ValueError):
        await private.send_text(user, other.id, "hi")  # someone else's private chat
