"""The scoring rules (bot/domain/scoring.py, ranking.py, rotation.py): worked examples on the
example cluster's table, and properties that hold for any valid table and any input: every
amount within its bounds, totals never above the scale plus the bonus cap, the ranking a total
order consistent with the tie-break, the rotation a permutation with no fixed point."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.ranking import rank, standing
from bot.domain.rotation import checker_of, peer_rotation
from bot.domain.scoring import (
    Adjustment,
    ScoreRefused,
    SelfScore,
    Timeliness,
    Totals,
    auto_points,
    check_adjustment,
    check_answer,
    check_evidence,
    check_extra,
    check_self_score,
    extras_total,
    final_points,
    timeliness_points,
    totals,
)
from bot.domain.scoring_file import ScoringTable
from tests.conftest import EXAMPLE

D = Decimal
TABLE = ScoringTable.model_validate(tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["scoring"])
MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- worked examples on the example table ------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "actual", "target", "points"),
    [
        ("tinh-gian-bien-che", D(150), D(150), D(15)),  # the target reached: the maximum
        ("tinh-gian-bien-che", D(300), D(150), D(15)),  # twice the target: still the maximum
        ("tinh-gian-bien-che", D(100), D(150), D("10.00")),
        ("tinh-gian-bien-che", D(1), D(3), D("5.00")),  # 15 x 1/3, rounded
        ("tinh-gian-bien-che", D(-5), D(150), D(0)),
        ("tinh-gian-bien-che", None, D(150), D(0)),  # no figure: nothing
        ("tinh-gian-bien-che", D(150), None, D(0)),  # no target: nothing
        ("kiem-tra-ky-luat", D(20), D(20), D(10)),  # steps: 100% -> 10
        ("kiem-tra-ky-luat", D(17), D(20), D(7)),  # 85% -> the 80% step
        ("kiem-tra-ky-luat", D(16), D(20), D(7)),  # exactly 80%
        ("kiem-tra-ky-luat", D(9), D(20), D(0)),  # 45%: below every step
        ("csdl-can-bo", D("99.9"), D(100), D(10)),
    ],
)
def test_automatic_points(
    criterion: str, actual: Decimal | None, target: Decimal | None, points: Decimal
) -> None:
    assert auto_points(TABLE.criterion(criterion), actual, target) == points


def test_timeliness_points_deduct_per_late_and_missing_report() -> None:
    criterion = TABLE.criterion("bao-cao-dung-han")  # 10 points, 1 per late, 2 per missing
    on_time = [(f"2023-Q{q}", Timeliness.ON_TIME) for q in range(1, 5)]
    assert timeliness_points(criterion, on_time) == 10
    year = [*on_time[:2], ("2023-Q3", Timeliness.LATE), ("2023-Q4", Timeliness.MISSING)]
    assert timeliness_points(criterion, year) == 7
    # The same round twice counts once, at its worst.
    assert timeliness_points(criterion, [*year, ("2023-Q3", Timeliness.ON_TIME)]) == 7
    assert timeliness_points(criterion, [(str(i), Timeliness.MISSING) for i in range(12)]) == 0


def test_a_computed_criterion_is_not_for_another_rule() -> None:
    with pytest.raises(ValueError):
        auto_points(TABLE.criterion("ke-hoach-cong-tac"), D(1), D(1))
    with pytest.raises(ValueError):
        timeliness_points(TABLE.criterion("tinh-gian-bien-che"), [])


@pytest.mark.parametrize(
    ("criterion", "points", "justification", "code"),
    [
        ("ke-hoach-cong-tac", D(11), "Đã ban hành", "over_max"),
        ("ke-hoach-cong-tac", D(-1), "Đã ban hành", "bad_points"),
        ("ke-hoach-cong-tac", D("9.125"), "Đã ban hành", "bad_points"),
        ("ke-hoach-cong-tac", D("NaN"), "Đã ban hành", "bad_points"),
        ("ke-hoach-cong-tac", D(9), "   ", "justification_needed"),
        ("ke-hoach-cong-tac", D(9), "x" * 1001, "too_long"),
        ("tinh-gian-bien-che", D(9), "Đã ban hành", "not_self_scored"),
        ("khong-co", D(9), "Đã ban hành", "unknown_criterion"),
    ],
)
def test_a_self_score_is_refused(
    criterion: str, points: Decimal, justification: str, code: str
) -> None:
    with pytest.raises(ScoreRefused) as refused:
        check_self_score(TABLE, criterion, points, justification)
    assert refused.value.code == code


def test_a_self_score_is_kept_trimmed() -> None:
    kept = check_self_score(TABLE, "ke-hoach-cong-tac", D("9.5"), "  Kế hoạch số 12/KH-SNV  ")
    assert kept == SelfScore("ke-hoach-cong-tac", D("9.50"), "Kế hoạch số 12/KH-SNV")
    assert check_self_score(TABLE, "ke-hoach-cong-tac", D(10), "x" * 1000).points == 10


def test_adjustments_need_a_reason_and_the_last_one_counts() -> None:
    with pytest.raises(ScoreRefused) as refused:
        check_adjustment(TABLE, "ke-hoach-cong-tac", D(8), "")
    assert refused.value.code == "reason_needed"
    with pytest.raises(ScoreRefused):
        check_adjustment(TABLE, "ke-hoach-cong-tac", D(12), "quá điểm")
    first = check_adjustment(TABLE, "ke-hoach-cong-tac", D(8), "Thiếu minh chứng")
    second = check_adjustment(TABLE, "ke-hoach-cong-tac", D(9), "Đã bổ sung minh chứng")
    figure = check_adjustment(TABLE, "tinh-gian-bien-che", D(12), "Số liệu được đính chính")
    own = [SelfScore("ke-hoach-cong-tac", D(10), "Đã ban hành")]
    computed = {"tinh-gian-bien-che": D(15), "bao-cao-dung-han": D(10)}
    final = final_points(TABLE, computed, own, [first, second, figure])
    assert final["ke-hoach-cong-tac"] == 9
    assert final["tinh-gian-bien-che"] == 12
    assert final["bao-cao-dung-han"] == 10
    assert final["hoat-dong-cum"] == 0  # not scored
    assert check_answer("  Đề nghị xem xét lại  ") == "Đề nghị xem xét lại"


def test_extras_are_capped_per_item_and_in_total() -> None:
    assert check_extra(TABLE.bonus, "mo-hinh-hay", D(2)) == 2
    with pytest.raises(ScoreRefused) as refused:
        check_extra(TABLE.bonus, "mo-hinh-hay", D(3))
    assert (refused.value.code, refused.value.params["max"]) == ("over_max", "2")
    with pytest.raises(ScoreRefused):
        check_extra(TABLE.bonus, "khac", D(1))
    assert extras_total(TABLE.bonus, {"khen-thuong-cap-tren": D(3), "mo-hinh-hay": D(2)}) == 5
    assert extras_total(TABLE.deductions, {"vi-pham-ky-luat": D(9)}) == 5  # the item's max
    assert extras_total(None, {"x": D(3)}) == 0


def test_totals_of_a_department() -> None:
    criteria = {c.id: c.max for c in TABLE.criteria()}
    full = totals(
        TABLE, "bac-kan", criteria, {"khen-thuong-cap-tren": D(3)}, {"vang-hoi-nghi": D(1)}
    )
    assert (full.base, full.bonus, full.deductions, full.total) == (100, 3, 1, 102)
    assert full.group("nhiem-vu-chuyen-mon") == 50
    nothing = totals(TABLE, "yen-bai", {}, {}, {"vi-pham-ky-luat": D(5)})
    assert nothing.total == 0  # never below zero


def test_evidence_files() -> None:
    assert check_evidence(TABLE, "Ke hoach 12.PDF", 1000) == "pdf"
    for name, size, code in [
        ("anh.jpg", 21 * 1024 * 1024, "evidence_too_big"),
        ("virus.exe", 10, "evidence_type"),
        ("pdf", 10, "evidence_type"),
        ("trong.pdf", 0, "evidence_empty"),
    ]:
        with pytest.raises(ScoreRefused) as refused:
            check_evidence(TABLE, name, size)
        assert refused.value.code == code


def test_ranking_with_the_declared_tie_break() -> None:
    def card(department: str, groups: list[int], deductions: int = 0) -> Totals:
        ids = [g.id for g in TABLE.groups]
        return Totals(department, tuple(zip(ids, map(D, groups), strict=True)), D(0), D(deductions))

    cards = [
        card("yen-bai", [20, 40, 10, 20]),  # 90, 40 in the first tie-break group
        card("bac-kan", [20, 45, 10, 20]),  # 95
        card("phu-tho", [15, 45, 10, 20]),  # 90, 45
        card("hoa-binh", [15, 45, 10, 20], 0),  # 90, 45, same deductions: tied with phu-tho
        card("thai-nguyen", [16, 45, 10, 20], 1),  # 90 after 1 deduction, 45, more deductions
    ]
    ranked = rank(cards, TABLE.tie_break)
    assert [(r.rank, r.department) for r in ranked] == [
        (1, "bac-kan"),
        (2, "hoa-binh"),  # tied with phu-tho: the same rank, listed by id
        (2, "phu-tho"),
        (4, "thai-nguyen"),
        (5, "yen-bai"),
    ]
    assert [r.rank for r in rank(cards)] == [1, 2, 2, 2, 2]  # no tie-break: the total only
    with pytest.raises(ValueError):
        rank([cards[0], cards[0]])


def test_the_rotation_for_the_example_cluster() -> None:
    slugs = ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho", "tuyen-quang"]
    rotation = peer_rotation(slugs, 2023)
    assert rotation == peer_rotation(list(reversed(slugs)), 2023)  # the order given is no matter
    assert sorted(rotation.values()) == sorted(slugs)
    assert all(checker != checked for checker, checked in rotation.items())
    assert peer_rotation(slugs, 2024) != rotation
    assert rotation[checker_of(slugs, 2023, "bac-kan")] == "bac-kan"
    with pytest.raises(ValueError):
        peer_rotation(["bac-kan"], 2023)


# --- properties over any valid table -------------------------------------------------------

CENTS = st.integers(1, 5000).map(lambda n: n / 100)  # 0.01 .. 50 points, as TOML floats


@st.composite
def criteria(draw: Any, prefix: str) -> dict[str, Any]:
    top = draw(CENTS)
    method = draw(st.sampled_from(["auto", "timeliness", "self"]))
    row: dict[str, Any] = {"name": "Tiêu chí", "name_en": "Criterion", "max": top, "method": method}
    if method == "auto":
        row["indicator"] = "x"
        if draw(st.booleans()):
            row["rule"] = "steps"
            ats = draw(st.lists(st.integers(1, 200), min_size=1, max_size=5, unique=True))
            cap = round(top * 100)
            row["steps"] = [{"at": a, "points": draw(st.integers(0, cap)) / 100} for a in ats]
    elif method == "timeliness":
        row["per_late"] = draw(st.integers(0, 500)) / 100
        row["per_missing"] = draw(st.integers(0, 500)) / 100
    return row


@st.composite
def extras(draw: Any) -> dict[str, Any] | None:
    if not draw(st.booleans()):
        return None
    cap = draw(CENTS)
    count = draw(st.integers(1, 3))
    items = [
        {
            "id": f"i{i}",
            "name": "Mục",
            "name_en": "Item",
            "max": draw(st.integers(1, round(cap * 100))) / 100,
        }
        for i in range(count)
    ]
    return {"max": cap, "items": items}


@st.composite
def tables(draw: Any) -> ScoringTable:
    groups = []
    number = 0
    for g in range(draw(st.integers(1, 4))):
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            number += 1
            rows.append({"id": f"c{number}", **draw(criteria(f"c{number}"))})
        top = sum(Decimal(str(r["max"])) for r in rows)
        groups.append(
            {"id": f"g{g}", "name": "Nhóm", "name_en": "Group", "max": float(top), "criteria": rows}
        )
    scale = sum(Decimal(str(g["max"])) for g in groups)
    data: dict[str, Any] = {"scale": float(scale), "groups": groups}
    for key in ("bonus", "deductions"):
        if (found := draw(extras())) is not None:
            data[key] = found
    rules = st.sampled_from(
        ["fewer_deductions", "more_bonus", *(f"group:g{i}" for i in range(len(groups)))]
    )
    data["tie_break"] = draw(st.lists(rules, max_size=3, unique=True))
    return ScoringTable.model_validate(data)


AMOUNTS = st.one_of(
    st.none(),
    st.decimals(min_value=-1000, max_value=100_000, allow_nan=False, places=3),
)
TARGETS = st.one_of(st.none(), st.decimals(min_value=D("0.001"), max_value=100_000, places=3))


@MANY
@given(table=tables(), actual=AMOUNTS, more=st.decimals(0, 1000, places=2), target=TARGETS)
def test_automatic_points_are_within_bounds_and_grow_with_the_figure(
    table: ScoringTable, actual: Decimal | None, more: Decimal, target: Decimal | None
) -> None:
    for criterion in table.criteria():
        if criterion.method != "auto":
            continue
        points = auto_points(criterion, actual, target)
        assert D(0) <= points <= criterion.max
        if criterion.rule == "linear":  # (steps may give fewer points for more: as declared)
            assert auto_points(criterion, (actual or D(0)) + more, target) >= points
            if target is not None:
                assert auto_points(criterion, target, target) == criterion.max


STATUSES = st.lists(
    st.tuples(st.sampled_from(["q1", "q2", "q3", "q4", "y"]), st.sampled_from(list(Timeliness)))
)


@MANY
@given(
    table=tables(), reports=STATUSES, extra=st.sampled_from([Timeliness.LATE, Timeliness.MISSING])
)
def test_timeliness_points_are_within_bounds_and_never_gain_from_lateness(
    table: ScoringTable, reports: list[tuple[str, Timeliness]], extra: Timeliness
) -> None:
    for criterion in table.criteria():
        if criterion.method != "timeliness":
            continue
        points = timeliness_points(criterion, reports)
        assert D(0) <= points <= criterion.max
        assert timeliness_points(criterion, [*reports, ("new", extra)]) <= points
        on_time = [(code, Timeliness.ON_TIME) for code, _ in reports]
        assert timeliness_points(criterion, on_time) == criterion.max


@MANY
@given(
    table=tables(),
    points=st.decimals(min_value=-100, max_value=100, places=3),
    justification=st.text(max_size=1100),
)
def test_a_self_score_is_kept_exactly_when_it_is_within_bounds(
    table: ScoringTable, points: Decimal, justification: str
) -> None:
    for criterion in table.criteria():
        valid = (
            criterion.method == "self"
            and D(0) <= points <= criterion.max
            and points == points.quantize(D("0.01"))
            and 0 < len(justification.strip()) <= table.justification_max
        )
        try:
            kept = check_self_score(table, criterion.id, points, justification)
        except ScoreRefused:
            assert not valid
        else:
            assert valid and kept.points == points and kept.justification == justification.strip()


@MANY
@given(
    table=tables(),
    amounts=st.lists(st.decimals(min_value=-50, max_value=200, places=2), min_size=20, max_size=20),
    adjusted=st.lists(st.tuples(st.integers(0, 19), st.decimals(0, 60, places=2)), max_size=6),
)
def test_totals_never_exceed_the_scale_plus_the_bonus_cap(
    table: ScoringTable,
    amounts: list[Decimal],
    adjusted: list[tuple[int, Decimal]],
) -> None:
    ids = [c.id for c in table.criteria()]
    computed = {cid: amounts[i % 20] for i, cid in enumerate(ids)}
    own = [SelfScore(cid, amounts[(i + 7) % 20], "vì") for i, cid in enumerate(ids)]
    changes = [Adjustment(ids[i % len(ids)], p, "lý do") for i, p in adjusted]
    final = final_points(table, computed, own, changes)
    for criterion in table.criteria():
        assert D(0) <= final[criterion.id] <= criterion.max
    for change in changes:  # the last adjustment of a criterion is its points (within bounds)
        last = [c for c in changes if c.criterion == change.criterion][-1]
        assert final[change.criterion] == min(last.points, table.criterion(change.criterion).max)
    items = lambda extra: {i.id: amounts[n] for n, i in enumerate(extra.items)} if extra else {}  # noqa: E731
    result = totals(table, "d", final, items(table.bonus), items(table.deductions))
    assert D(0) <= result.total <= table.scale + table.bonus_max
    assert result.base <= table.scale
    assert D(0) <= result.bonus <= table.bonus_max
    assert D(0) <= result.deductions <= table.deductions_max
    for group in table.groups:
        assert D(0) <= result.group(group.id) <= group.max
    assert result.base == sum(final.values(), D(0))


@st.composite
def cards(draw: Any) -> tuple[ScoringTable, list[Totals]]:
    table = draw(tables())
    count = draw(st.integers(0, 8))
    small = st.integers(0, 3).map(D)  # few values, so that ties are common
    found = [
        Totals(
            f"d{i}",
            tuple((g.id, draw(small)) for g in table.groups),
            draw(small),
            draw(small),
        )
        for i in range(count)
    ]
    return table, found


@MANY
@given(data=cards(), order=st.randoms())
def test_the_ranking_is_a_total_order_consistent_with_the_tie_break(
    data: tuple[ScoringTable, list[Totals]], order: Any
) -> None:
    table, entries = data
    ranked = rank(entries, table.tie_break)
    assert sorted(r.department for r in ranked) == sorted(t.department for t in entries)
    shuffled = list(entries)
    order.shuffle(shuffled)
    assert rank(shuffled, table.tie_break) == ranked  # deterministic, whatever the order
    keys = [standing(r.totals, table.tie_break) for r in ranked]
    assert keys == sorted(keys)  # best first: the total, then each rule in turn
    for i, one in enumerate(ranked):
        better = sum(1 for key in keys if key < keys[i])
        assert one.rank == better + 1  # competition ranking
        for j, other in enumerate(ranked):
            assert (one.rank == other.rank) == (keys[i] == keys[j])
            if i < j and one.rank == other.rank:
                assert one.department < other.department
        if i:
            assert ranked[i - 1].totals.total >= one.totals.total


@MANY
@given(
    departments=st.lists(st.text(min_size=1, max_size=5), min_size=2, max_size=12, unique=True),
    year=st.integers(2000, 2100),
)
def test_the_rotation_is_a_permutation_with_no_fixed_point(
    departments: list[str], year: int
) -> None:
    rotation = peer_rotation(departments, year)
    assert sorted(rotation) == sorted(departments)
    assert sorted(rotation.values()) == sorted(departments)  # each checked exactly once
    assert all(checker != checked for checker, checked in rotation.items())
    assert peer_rotation(reversed(departments), year) == rotation
    if len(departments) > 2:  # nobody checks the one that checks it
        assert all(rotation[checked] != checker for checker, checked in rotation.items())
    for department in departments:
        assert rotation[checker_of(departments, year, department)] == department
