"""Vietnam's working days: weekends, public holidays incl. the lunar ones, cluster changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.calendar import WorkingCalendar, public_holiday_name

VN = WorkingCalendar()


def weekdays(start: date, end: date) -> list[date]:
    days = []
    current = start
    while current <= end:
        if current.weekday() < 5:
            days.append(current)
        current += timedelta(days=1)
    return days


@pytest.mark.parametrize(
    ("first", "last"),
    [
        # The government's Tết breaks for the public sector (weekdays of them).
        (date(2024, 2, 8), date(2024, 2, 14)),
        (date(2025, 1, 27), date(2025, 1, 31)),
        (date(2026, 2, 16), date(2026, 2, 20)),  # the break is Sat 14/02 - Sun 22/02
        (date(2027, 2, 4), date(2027, 2, 10)),  # computed from the lunar calendar
    ],
)
def test_every_weekday_of_the_tet_break_is_off(first: date, last: date) -> None:
    for day in weekdays(first, last):
        assert not VN.is_working_day(day), day
    assert VN.is_working_day(VN.next_working_day(last + timedelta(days=1)))
    assert VN.next_working_day(last, inclusive=False) > last


def test_tet_2026_names_and_the_days_around_it() -> None:
    assert public_holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert public_holiday_name(date(2026, 2, 17), "en") == "Lunar New Year"
    assert VN.is_working_day(date(2026, 2, 13))  # Friday before the break
    assert VN.is_working_day(date(2026, 2, 23))  # Monday after it
    assert VN.previous_working_day(date(2026, 2, 22)) == date(2026, 2, 13)
    assert VN.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert VN.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert VN.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 4, 18),  # Hùng Kings 2024 (Thursday)
        date(2025, 4, 7),  # Hùng Kings 2025 (Monday)
        date(2026, 4, 27),  # Hùng Kings 2026 falls on Sunday 26/04: Monday off instead
        date(2027, 4, 16),
        date(2024, 4, 30),
        date(2024, 5, 1),
        date(2024, 9, 2),
        date(2024, 9, 3),
        date(2025, 1, 1),
        date(2026, 11, 24),  # Vietnam Cultural Day, from 2026
    ],
)
def test_public_holidays_are_off(day: date) -> None:
    assert not VN.is_working_day(day)
    assert VN.why_not_working(day) not in (None, "weekend", "day_off")


def test_weekends_are_off_and_plain_weekdays_work() -> None:
    assert not VN.is_working_day(date(2024, 1, 6))  # Saturday
    assert not VN.is_working_day(date(2024, 1, 7))  # Sunday
    assert VN.why_not_working(date(2024, 1, 7)) == "weekend"
    assert VN.is_working_day(date(2024, 1, 8))


def test_the_packages_make_up_saturdays_are_working_days() -> None:
    # 2024: Monday 29/04 off, made up on Saturday 04/05.
    assert not VN.is_working_day(date(2024, 4, 29))
    assert VN.is_working_day(date(2024, 5, 4))
    assert VN.non_working_days(date(2024, 5, 4), date(2024, 5, 4)) == [
        (date(2024, 5, 4), "working_day")
    ]


def test_a_clusters_days_off_and_make_up_days_win() -> None:
    cal = WorkingCalendar(days_off=[date(2026, 3, 2)], working_days=[date(2026, 2, 28)])
    assert not cal.is_working_day(date(2026, 3, 2))  # a Monday
    assert cal.why_not_working(date(2026, 3, 2)) == "day_off"
    assert cal.is_working_day(date(2026, 2, 28))  # a Saturday
    assert cal.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert cal.add_working_days(date(2026, 2, 28), 1) == date(2026, 3, 3)
    assert cal.previous_working_day(date(2026, 3, 1)) == date(2026, 2, 28)
    # A make-up day on a public holiday makes it a working day for this cluster.
    assert WorkingCalendar(working_days=[date(2026, 2, 20)]).is_working_day(date(2026, 2, 20))


def test_add_working_days_zero_and_counting() -> None:
    saturday = date(2024, 1, 6)
    assert VN.add_working_days(saturday, 0) == saturday
    assert VN.add_working_days(saturday, 1) == date(2024, 1, 8)
    assert VN.add_working_days(date(2024, 1, 8), 5) == date(2024, 1, 15)
    assert VN.previous_working_day(date(2024, 1, 8)) == date(2024, 1, 8)
    assert VN.previous_working_day(date(2024, 1, 8), inclusive=False) == date(2024, 1, 5)


def test_non_working_days_lists_holidays_not_plain_weekends() -> None:
    listed = VN.non_working_days(date(2026, 4, 20), date(2026, 5, 3))
    assert (date(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)") in listed
    assert any(day == date(2026, 4, 26) for day, _ in listed)  # the holiday itself, a Sunday
    assert all(day != date(2026, 5, 2) for day, _ in listed)  # a plain Saturday
