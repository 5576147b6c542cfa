"""Rendered dates and times are in the zone given to render, or the zone of the process."""

from __future__ import annotations

import contextvars
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from messages.render import current_zone, render, use_zone, zone

AT = datetime(2024, 1, 14, 20, 30, tzinfo=UTC)  # 15/01 03:30 in Hà Nội, 15/01 05:30 in Tokyo


def saved(lang: str = "vi", **kw: Any) -> str:
    return render(lang, "reporting.saved", period="2023", revision=1, at=AT, late=False, **kw)


def test_render_uses_the_given_zone() -> None:
    assert "lúc 15/01/2024 05:30" in saved(tz="Asia/Tokyo")
    assert "lúc 14/01/2024 20:30" in saved(tz=ZoneInfo("UTC"))
    assert "at 14/01/2024 15:30" in saved("en", tz="America/New_York")


def test_without_a_zone_the_default_is_ho_chi_minh() -> None:
    def fresh() -> str:
        return saved()

    assert "lúc 15/01/2024 03:30" in contextvars.Context().run(fresh)


def test_use_zone_sets_the_zone_of_later_renders_in_that_context_only() -> None:
    def configured() -> tuple[str, str]:
        use_zone("UTC")
        return saved(), saved(tz="Asia/Tokyo")

    before = current_zone()
    plain, explicit = contextvars.copy_context().run(configured)
    assert "lúc 14/01/2024 20:30" in plain
    assert "lúc 15/01/2024 05:30" in explicit  # an explicit zone wins
    assert current_zone() == before  # the caller's context is left as it was


def test_zone_block_is_undone_after_it() -> None:
    def run() -> tuple[str, str]:
        use_zone("Asia/Ho_Chi_Minh")
        with zone("UTC"):
            inside = saved()
        return inside, saved()

    inside, after = contextvars.copy_context().run(run)
    assert "14/01/2024 20:30" in inside
    assert "15/01/2024 03:30" in after


def test_a_date_near_midnight_changes_day_with_the_zone() -> None:
    # The round list prints the deadline date; a datetime late in the UTC day is the next day
    # in Asia but not in UTC.
    rows = [type("R", (), {"period": "2023", "deadline": AT, "state": "open"})()]
    assert "15/01/2024" in render("en", "cli.round_list", rounds=rows, tz="Asia/Tokyo")
    assert "14/01/2024" in render("en", "cli.round_list", rounds=rows, tz="UTC")
    plain = [type("R", (), {"period": "2023", "deadline": date(2024, 1, 15), "state": "open"})()]
    assert "15/01/2024" in render("en", "cli.round_list", rounds=plain, tz="Pacific/Kiritimati")
