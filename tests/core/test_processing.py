"""Update processing: in order within a chat, concurrent across chats, nothing held or kept."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processing import ChatOrderedProcessor

USER = User(1, "A", False)


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.GROUP)
    return Update(update_id, message=Message(update_id, None, chat, from_user=USER, text="x"))  # type: ignore[arg-type]  # no date: the processor never reads it


async def test_one_chat_runs_in_order_never_two_at_once() -> None:
    processor = ChatOrderedProcessor(running=8)
    running: list[int] = []
    order: list[int] = []
    overlaps = 0

    async def work(n: int) -> None:
        nonlocal overlaps
        if running:
            overlaps += 1
        running.append(n)
        # Yield several times: a released lock would let the next update in here.
        for _ in range(3):
            await asyncio.sleep(0)
        order.append(n)
        running.remove(n)

    await asyncio.gather(*(processor.process_update(update(n, 42), work(n)) for n in range(200)))
    assert order == list(range(200))
    assert overlaps == 0
    assert processor.chats_waiting == 0  # nothing kept once the chat's queue is empty


async def test_a_chat_with_a_backlog_holds_one_slot_and_others_go_on() -> None:
    processor = ChatOrderedProcessor(running=2)
    release = asyncio.Event()
    finished: list[str] = []

    async def slow(n: int) -> None:
        await release.wait()
        finished.append(f"group-{n}")

    async def quick(name: str) -> None:
        finished.append(name)

    flood = [
        asyncio.create_task(processor.process_update(update(n, -100), slow(n))) for n in range(50)
    ]
    await asyncio.sleep(0.01)
    # Two private chats while the group's 50 wait: both answered although only 2 slots exist.
    await asyncio.wait_for(
        asyncio.gather(
            processor.process_update(update(1000, 7), quick("seven")),
            processor.process_update(update(1001, 8), quick("eight")),
        ),
        timeout=5,
    )
    assert finished == ["seven", "eight"]
    release.set()
    await asyncio.gather(*flood)
    assert finished[2:] == [f"group-{n}" for n in range(50)]


async def test_a_chat_backlog_is_bounded() -> None:
    processor = ChatOrderedProcessor(running=4, backlog=10)
    release = asyncio.Event()
    ran: list[int] = []
    done: list[int] = []
    processor.on_done = lambda u: done.append(getattr(u, "update_id", -1))

    async def slow(n: int) -> None:
        await release.wait()
        ran.append(n)

    tasks = [
        asyncio.create_task(processor.process_update(update(n, -5), slow(n))) for n in range(30)
    ]
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(*tasks)
    assert ran == list(range(10))
    assert processor.dropped == 20
    assert sorted(done) == list(range(30))  # dropped updates are reported done too


async def test_cancelled_waiter_hands_over_and_leaves_nothing() -> None:
    processor = ChatOrderedProcessor(running=4)
    release = asyncio.Event()
    ran: list[int] = []

    async def work(n: int) -> None:
        if n == 0:
            await release.wait()
        ran.append(n)

    tasks = [asyncio.create_task(processor.process_update(update(n, 9), work(n))) for n in range(3)]
    await asyncio.sleep(0.01)
    tasks[1].cancel()
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert ran == [0, 2]
    assert processor.chats_waiting == 0
