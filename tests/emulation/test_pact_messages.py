"""Where the pact's live count stands, on both engines: posted once, then moved when it had to
be posted anew; one row per pact and group; and a target as typed in the chat."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.services.admin import init_cluster
from bot.services.pact import target_value
from storage import pact_messages, pacts
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
GROUP = -1001700000001


async def test_the_live_count_is_remembered_per_pact_and_group(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    async with db.session() as s:
        table = (await pacts.get_emulation_tables(s, CLUSTER))["pact"]
        first = await pacts.claim_pact_opening(s, CLUSTER, 2023, table, by=1, now=NOW)
        second = await pacts.claim_pact_opening(s, CLUSTER, 2024, table, by=1, now=NOW)
        assert first is not None and first.id and second is not None and second.id
        ids = first.id, second.id
    async with db.session() as s:
        assert await pact_messages.get_live_message(s, ids[0], GROUP) is None
        await pact_messages.set_live_message(s, ids[0], CLUSTER, GROUP, 41)
    async with db.session() as s:
        assert await pact_messages.get_live_message(s, ids[0], GROUP) == 41
        await pact_messages.set_live_message(s, ids[0], CLUSTER, GROUP, 57)  # posted anew
    async with db.session() as s:
        assert await pact_messages.get_live_message(s, ids[0], GROUP) == 57
        assert await pact_messages.get_live_message(s, ids[1], GROUP) is None
        assert await pact_messages.get_live_message(s, ids[0], GROUP - 1) is None
        found = await pact_messages.get_pact_by_id(s, ids[1])
        assert found is not None and found.year == 2024


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.203", Decimal("1203")),
        ("1.203,5", Decimal("1203.5")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("99,5%", Decimal("99.5")),
        ("150", Decimal("150")),
        ("1.2.3", None),
        ("abc", None),
        ("-5", None),
        ("", None),
    ],
)
def test_a_target_is_read_the_vietnamese_way(text: str, value: Decimal | None) -> None:
    assert target_value(text) == value
