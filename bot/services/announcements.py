"""Announcements: compose, preview, send or cancel; "Đã nhận"; /acks; what the fan-out sends.

Who may act is checked on every press (the head's or deputy's department, the announcement's
cluster, its state). Sending is two steps: the press marks the announcement sent (one
conditional UPDATE: a second press, or a second process, finds it sent) and the author reads
"sending..."; after the commit the fan-out (bot/jobs/announcements.py) posts it in the
group and to every officer through the delivery log, each key once ever, records the copies,
pins, and replaces "sending..." with what was reached. The items and their keys are made here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Button as DeliveryButton
from bot.delivery import Outgoing
from bot.domain import elections as rules
from bot.domain.elections import may_announce
from bot.services.context import Context
from bot.services.screens import Button, FanOut, Media, Outcome, Screen
from messages.render import render
from storage import announcements as store
from storage import clusters, deliveries, people, schedules
from storage.models_announcements import Announcement

TEXT_LIMIT = 3500  # leaves room for the header and footer within Telegram's 4096
CAPTION_LIMIT = 900  # Telegram's caption limit is 1024
MEDIA_CAPTION = 1024  # a longer text goes after the file, as its own message


def office_of(ctx: Context) -> str:
    if ctx.actor is None:
        return ""
    if ctx.actor.is_head:
        return "head"
    if ctx.actor.is_deputy:
        return "deputy"
    return ""


def copy_text(lang: str, row: Announcement, office: str, private: bool) -> str:
    text = render(
        lang,
        "announcements.copy",
        header=Markup(render(lang, "announcements.header", author_office=office)),
        body=Markup(row.text),
    )
    if private:
        text += "\n\n" + render(lang, "announcements.private_footer")
    return text


def _too_long(text: str, media: str | None) -> bool:
    return len(text) > (CAPTION_LIMIT if media else TEXT_LIMIT)


# --------------------------------------------------------------------------------------------
# Composing


async def _preview(session: AsyncSession, ctx: Context, row: Announcement, edit: bool) -> Screen:
    assert row.id is not None and ctx.cluster is not None
    recipients = await store.list_officer_recipients(session, ctx.cluster.id)
    schedule = await schedules.load_schedule(session, ctx.cluster.id)
    nudge_at = rules.nudge_time(
        ctx.now, schedule.tz(ctx.tz), schedule.calendar(), row.nudge_working_days
    )
    params = {
        "pin": row.pin,
        "departments": len({d for _, d in recipients}),
        "officers": len(recipients),
        "nudge_at": nudge_at,
    }
    buttons = [
        [Button("announcements.btn_send", rules.announcement_data("send", row.id))],
        [
            Button(
                "announcements.btn_pin", rules.announcement_data("pin", row.id), {"pin": row.pin}
            ),
            Button(
                "announcements.btn_nudge",
                rules.announcement_data("nudge", row.id),
                {"days": row.nudge_working_days},
            ),
        ],
        [Button("announcements.btn_cancel", rules.announcement_data("cancel", row.id))],
    ]
    return Screen("announcements.preview_header", params, buttons, edit=edit)


async def _show_preview(session: AsyncSession, ctx: Context, row: Announcement) -> Outcome:
    """The announcement as officers will see it, then the controls."""
    body = copy_text(ctx.lang, row, office_of(ctx), private=False)
    media = None
    if row.media_kind in ("photo", "document") and row.media_file_id:
        media = Media(row.media_kind, row.media_file_id)  # type: ignore[arg-type]  # the `in` test does not narrow str to Media's Literal
    shown = Screen("common.rendered", {"text": Markup(body)}, media=media)
    return Outcome([shown, await _preview(session, ctx, row, edit=False)])


async def is_composing(session: AsyncSession, person_id: int) -> bool:
    """Did this person send a bare /announce (their next private message is the text)?"""
    return await store.find_composing(session, person_id) is not None


async def announce(
    session: AsyncSession, ctx: Context, message_html: str, private: bool
) -> Outcome:
    """/announce [text]: with a text, the preview; bare, wait for the next message."""
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not may_announce(ctx.actor):
        return out.add("announcements.not_allowed")
    if not private:
        return out.add("announcements.private_only")
    text = re.sub(r"^/announce(@\w+)?\s*", "", message_html, count=1).strip()
    if not text:
        await store.start_composing(session, ctx.cluster.id, ctx.user_id, ctx.now)
        return out.add("announcements.compose")
    if _too_long(text, None):
        return out.add("announcements.too_long", limit=TEXT_LIMIT)
    row = await store.create_draft(session, ctx.cluster.id, ctx.user_id, text, ctx.now)
    return await _show_preview(session, ctx, row)


@dataclass(frozen=True)
class Content:
    """What the author sent after a bare /announce."""

    text_html: str
    media_kind: str | None = None
    file_id: str | None = None
    cancel: bool = False


async def composed(session: AsyncSession, ctx: Context, content: Content) -> Outcome | None:
    """The author's message after a bare /announce; None when nobody is composing."""
    pending = await store.find_composing(session, ctx.user_id)
    if pending is None or pending.id is None:
        return None
    out = Outcome()
    if content.cancel:
        await store.cancel(session, pending.id)
        return out.add("announcements.cancelled")
    if not content.text_html.strip() and content.media_kind is None:
        return out.add("announcements.empty")
    if _too_long(content.text_html, content.media_kind):
        return out.add("announcements.too_long", limit=TEXT_LIMIT)
    await store.fill_draft(
        session, pending.id, content.text_html, content.media_kind, content.file_id
    )
    row = await store.get_announcement(session, pending.id)
    assert row is not None
    return await _show_preview(session, ctx, row)


# --------------------------------------------------------------------------------------------
# The buttons


async def press(
    session: AsyncSession, ctx: Context, data: str | None, pressed_message_id: int | None
) -> Outcome:
    parsed = rules.parse_announcement_data(data)
    if parsed is None:  # not data we ever sent: said so, nothing changes
        return Outcome().add("common.stale_button")
    action, announcement_id = parsed
    if action == "ack":
        return await _acknowledge(session, ctx, announcement_id, data or "")
    row = await store.get_announcement(session, announcement_id)
    if (
        not may_announce(ctx.actor)
        or row is None
        or ctx.cluster is None
        or row.cluster_id != ctx.cluster.id
    ):
        return Outcome([Screen("announcements.not_allowed", edit=True)])
    if row.state != "draft":
        return Outcome([Screen("announcements.already_handled", edit=True)])
    if action == "cancel":
        await store.cancel(session, announcement_id)
        return Outcome([Screen("announcements.cancelled", edit=True)])
    if action in ("pin", "nudge"):
        if action == "pin":
            await store.set_pin(session, announcement_id, not row.pin)
        else:
            days = rules.next_nudge_choice(row.nudge_working_days)
            await store.set_nudge_days(session, announcement_id, days)
        row = await store.get_announcement(session, announcement_id)
        assert row is not None
        return Outcome([await _preview(session, ctx, row, edit=True)])
    # send
    schedule = await schedules.load_schedule(session, ctx.cluster.id)
    nudge_at = rules.nudge_time(
        ctx.now, schedule.tz(ctx.tz), schedule.calendar(), row.nudge_working_days
    )
    if not await store.claim_send(session, announcement_id, ctx.now, nudge_at):
        return Outcome([Screen("announcements.already_handled", edit=True)])
    recipients = await store.list_officer_recipients(session, ctx.cluster.id)
    sending = Screen(
        "announcements.sending",
        {"departments": len({d for _, d in recipients}), "officers": len(recipients)},
        edit=True,
    )
    fanout = FanOut("announcement", announcement_id, report_message_id=pressed_message_id)
    return Outcome([sending], fanouts=[fanout])


async def _acknowledge(
    session: AsyncSession, ctx: Context, announcement_id: int, data: str
) -> Outcome:
    row = await store.get_announcement(session, announcement_id)
    if ctx.actor is None or row is None or row.cluster_id != ctx.actor.cluster_id:
        return Outcome().add("announcements.unknown")
    result = await store.acknowledge(
        session, announcement_id, ctx.user_id, ctx.actor.department_id, ctx.now
    )
    if result != "new":
        return Outcome()  # acknowledged before: the button already says so
    acked = Screen(
        "announcements.btn_acked",
        buttons=[[Button("announcements.btn_acked", data)]],
        edit=True,
        buttons_only=True,
    )
    return Outcome([acked]).add("announcements.acked", department=ctx.department, at=ctx.now)


# --------------------------------------------------------------------------------------------
# /acks


async def acks(session: AsyncSession, ctx: Context) -> Outcome:
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not may_announce(ctx.actor):
        return out.add("announcements.not_allowed")
    row = await store.find_latest_sent(session, ctx.cluster.id)
    if row is None or row.id is None:
        return out.add("announcements.none_sent")
    lines = await store.list_acks_by_department(session, row.id)
    return out.add(
        "announcements.acks",
        announcement=row,
        excerpt=rules.excerpt(row.text),
        lines=lines,
        done=sum(1 for line in lines if line.acknowledged),
        total=len(lines),
    )


# --------------------------------------------------------------------------------------------
# What the fan-out sends (bot/jobs/announcements.py sends it)


def group_key(announcement_id: int) -> str:
    return f"ann:{announcement_id}:group"


def copy_key(announcement_id: int, person_id: int) -> str:
    return f"ann:{announcement_id}:copy:{person_id}"


def report_key(announcement_id: int) -> str:
    return f"ann:{announcement_id}:report"


def ack_markup(lang: str, announcement_id: int) -> tuple[tuple[DeliveryButton, ...], ...]:
    data = rules.announcement_data("ack", announcement_id)
    return ((DeliveryButton(render(lang, "announcements.btn_ack"), callback_data=data),),)


@dataclass(frozen=True)
class Plan:
    """The fan-out of one sent announcement. With media, ``files`` go first (by a sender that
    sends the file, its caption the item's text); ``texts`` are plain messages. One request per
    item, so one per delivery claim: a text longer than a caption follows its file as its own
    item (key ``...#file`` for the file). The item under the copy's key carries the button."""

    row: Announcement
    group: int | None
    recipients: list[tuple[int, int]]  # (person, department)
    files: list[Outgoing]
    texts: list[Outgoing]

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.files + self.texts]


async def plan(session: AsyncSession, announcement_id: int, lang: str) -> Plan | None:
    row = await store.get_announcement(session, announcement_id)
    if row is None or row.state != "sent" or row.id is None:
        return None
    cluster = await clusters.get_cluster(session, row.cluster_id)
    recipients = await store.list_officer_recipients(session, row.cluster_id)
    languages = {
        r.person_id: r.language
        for r in await deliveries.list_officers(session, {d for _, d in recipients})
    }
    office = await author_office(session, row)
    group = cluster.group_chat_id if cluster else None
    items: list[Outgoing] = []
    if group is not None:
        items.append(
            Outgoing(
                key=group_key(row.id),
                chat_id=group,
                text=copy_text(lang, row, office, private=False),
                kind="announcement",
                cluster_id=row.cluster_id,
            )
        )
    for person, department in recipients:
        person_lang = languages.get(person) or lang
        items.append(
            Outgoing(
                key=copy_key(row.id, person),
                chat_id=person,
                text=copy_text(person_lang, row, office, private=True),
                markup=ack_markup(person_lang, row.id),
                kind="announcement",
                cluster_id=row.cluster_id,
                department_id=department,
            )
        )
    if not (row.media_kind and row.media_file_id):
        return Plan(row, group, recipients, [], items)
    files: list[Outgoing] = []
    texts: list[Outgoing] = []
    for item in items:
        if len(item.text) <= MEDIA_CAPTION:
            files.append(item)
        else:
            files.append(
                Outgoing(
                    key=f"{item.key}#file",
                    chat_id=item.chat_id,
                    text="",
                    kind=item.kind,
                    cluster_id=item.cluster_id,
                    department_id=item.department_id,
                )
            )
            texts.append(item)
    return Plan(row, group, recipients, files, texts)


@dataclass(frozen=True)
class Reached:
    group_message_id: int | None  # the group's post, when it went out (0: id unknown)
    pin: bool  # it is to be pinned now (first time seen)
    departments: int
    officers: int
    report: bool  # the author's report is due now (first time)
    author_id: int
    author_lang: str


async def record(
    session: AsyncSession,
    fan: Plan,
    delivered: dict[str, int],
    lang: str,
    now: datetime,
) -> Reached:
    """After a fan-out: the copies (their message ids, for "Đã nhận"), the group's post; and
    whether the pin and the author's report are due (each once: the report's key goes in the
    delivery log)."""
    row = fan.row
    assert row.id is not None
    for person, department in fan.recipients:
        message_id = delivered.get(copy_key(row.id, person))
        if message_id is not None:
            await store.record_copy(session, row.id, person, department, message_id, now)
    group_message = delivered.get(group_key(row.id))
    fresh = await store.get_announcement(session, row.id)
    pin = False
    if fan.group is not None and group_message and fresh and fresh.group_message_id is None:
        await store.set_group_message(session, row.id, fan.group, group_message)
        pin = row.pin
    reached = {d for p, d in fan.recipients if copy_key(row.id, p) in delivered}
    officers = sum(1 for p, _ in fan.recipients if copy_key(row.id, p) in delivered)
    claimed = await deliveries.claim(
        session,
        deliveries.Claim(key=report_key(row.id), kind="announcement_report", chat_id=row.author_id),
        owner="announcements",
    )
    if claimed is not None:
        await deliveries.mark_sent(session, claimed, None)
    author = await people.get_person(session, row.author_id)
    author_lang = (author.language if author and author.language else None) or lang
    return Reached(
        group_message or None,
        pin,
        len(reached),
        officers,
        claimed is not None,
        row.author_id,
        author_lang,
    )


async def author_office(session: AsyncSession, row: Announcement) -> str:
    membership = await people.find_membership(session, row.author_id, row.cluster_id)
    if membership is None or membership.department_id is None:
        return ""
    year = (row.sent_at or row.created_at).year
    holders = await clusters.get_current_offices(session, row.cluster_id, year)
    for role in ("head", "deputy"):
        if holders.get(role) == membership.department_id:
            return role
    return ""


async def nudge_items(
    session: AsyncSession, announcement_id: int, lang: str
) -> tuple[Announcement, list[Outgoing]] | None:
    """Once: the officers of every department that has not acknowledged."""
    row = await store.get_announcement(session, announcement_id)
    if row is None or row.nudged_at is not None:
        return None
    missing = await store.list_unacknowledged_departments(session, announcement_id)
    items = []
    for r in await deliveries.list_officers(session, missing):
        person_lang = r.language or lang
        items.append(
            Outgoing(
                key=f"ann:{announcement_id}:nudge:{r.person_id}",
                chat_id=r.person_id,
                text=render(
                    person_lang,
                    "announcements.nudge",
                    announcement=row,
                    excerpt=rules.excerpt(row.text),
                ),
                markup=ack_markup(person_lang, announcement_id),
                kind="announcement_nudge",
                cluster_id=row.cluster_id,
                department_id=r.department_id,
            )
        )
    return row, items
