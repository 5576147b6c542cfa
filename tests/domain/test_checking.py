"""Who checks whose self-score (bot/domain/checking.py), for any roll, year and offices:
nobody checks itself; in chấm chéo every department has exactly one checker and only it may
check; with the head checking, the head checks every other department and the deputy the
head's."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.checking import assigned_checker, check_refusal, checked_by

FEW = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLUG = st.from_regex(r"[a-z]{1,6}(-[a-z]{1,6})?", fullmatch=True)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[str], int, str | None, str | None]:
    roll = draw(st.lists(SLUG, min_size=2, max_size=12, unique=True))
    year = draw(st.integers(2000, 2100))
    head = draw(st.none() | st.sampled_from(roll))
    deputy = draw(st.none() | st.sampled_from(roll))
    return roll, year, head, deputy


@FEW
@given(world=worlds())
def test_in_peer_checking_each_department_has_one_checker_and_nobody_checks_itself(
    world: tuple[list[str], int, str | None, str | None],
) -> None:
    roll, year, head, deputy = world
    checkers = [assigned_checker("peer", d, roll, year, head, deputy) for d in roll]
    assert all(c is not None and c != d for c, d in zip(checkers, roll, strict=True))
    assert sorted(c for c in checkers if c is not None) == sorted(roll)  # each checks one
    for department, checker in zip(roll, checkers, strict=True):
        for other in roll:
            refusal = check_refusal("peer", department, other, roll, year, head, deputy)
            if other == department:
                assert refusal == "self_check"
            elif other == checker:
                assert refusal is None
            else:
                assert refusal == "not_your_check"
        # An administrator belongs to no department: in chấm chéo it checks nothing.
        assert check_refusal("peer", department, None, roll, year, head, deputy)
    for checker in roll:
        assert len(checked_by("peer", checker, roll, year, head, deputy)) == 1


@FEW
@given(world=worlds())
def test_with_the_head_checking_the_deputy_checks_the_heads_department(
    world: tuple[list[str], int, str | None, str | None],
) -> None:
    roll, year, head, deputy = world
    for department in roll:
        checker = assigned_checker("head", department, roll, year, head, deputy)
        assert checker != department
        if department == head:
            assert checker == (deputy if deputy != head else None)
        else:
            assert checker == head
        assert check_refusal("head", department, department, roll, year, head, deputy) == (
            "self_check"
        )
        assert check_refusal("head", department, None, roll, year, head, deputy) is None
    if head is not None:
        assert checked_by("head", head, roll, year, head, deputy) == [d for d in roll if d != head]
    assert checked_by("head", None, roll, year, head, deputy) == roll
