"""The cluster file's [pact] and [scoring]: the example reads as intended; every problem is named
by its place in the file (e.g. `scoring.groups[1].criteria[0].max`), says what is allowed, and is
worded in every language; whatever the values, the answer is a spec or those errors."""

from __future__ import annotations

import copy
import datetime
import tomllib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkingCalendar
from bot.domain.cluster_file import ClusterFileInvalid, ClusterSpec, parse_cluster_data
from bot.domain.file_errors import FileError
from bot.domain.schedule_file import reminder_kind
from messages.render import render
from tests.conftest import EXAMPLE
from tests.domain.test_properties import TOMLISH

EXAMPLE_DATA = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
FIRST_COMMITMENT = str(EXAMPLE_DATA["pact"]["commitments"][0])
FEW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spec(data: dict[str, Any] = EXAMPLE_DATA) -> ClusterSpec:
    return parse_cluster_data(copy.deepcopy(data))


def _worded(error: FileError) -> bool:
    texts = [render(lang, "cli.file_error", error=error) for lang in ("vi", "en")]
    return all(f"{error.code} {{" not in text for text in texts) and texts[0] != texts[1]


def _errors(data: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    with pytest.raises(ClusterFileInvalid) as info:
        parse_cluster_data(data)
    for error in info.value.errors:
        assert _worded(error), error
    return sorted((e.path, e.code, e.params) for e in info.value.errors)


def _changed(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_DATA)
    edit(data)
    return data


def _criterion(data: dict[str, Any], group: int, criterion: int) -> dict[str, Any]:
    row: dict[str, Any] = data["scoring"]["groups"][group]["criteria"][criterion]
    return row


# --- the example -------------------------------------------------------------------------


def test_the_example_pact_gives_each_department_its_target() -> None:
    pact = _spec().pact
    assert pact is not None
    assert len(pact.commitments) == 6
    assert pact.target_for("tinh-gian-bien-che", "bac-kan") == Decimal(150)
    assert pact.target_for("tinh-gian-bien-che", "tuyen-quang") == Decimal(130)
    assert pact.target_for("lop-dao-tao", "bac-kan") == Decimal(45)  # the cluster-wide one
    assert pact.target_for("ket-qua-noi-bat", "bac-kan") is None
    assert (
        sum(pact.target_for("tinh-gian-bien-che", d.slug) or 0 for d in _spec().departments) == 1200
    )


def test_the_example_scoring_table() -> None:
    scoring = _spec().scoring
    assert scoring is not None
    assert scoring.scale == 100 and scoring.checking == "head"
    assert [g.name for g in scoring.groups][:1] == ["Công tác chỉ đạo, điều hành"]
    assert "Thực hiện chế độ thông tin, báo cáo" in [g.name for g in scoring.groups]
    assert sum(g.max for g in scoring.groups) == scoring.scale
    assert {c.method for c in scoring.criteria()} == {"auto", "timeliness", "self"}
    steps = scoring.criterion("kiem-tra-ky-luat").steps
    assert [s.at for s in steps] == [100, 80, 50]  # highest first: the first one reached wins
    timeliness = scoring.criterion("bao-cao-dung-han")
    assert (timeliness.per_late, timeliness.per_missing) == (Decimal(1), Decimal(2))
    assert scoring.criterion("ke-hoach-cong-tac").per_late is None
    assert scoring.group_of("csdl-can-bo").id == "nhiem-vu-chuyen-mon"
    assert (scoring.bonus_max, scoring.deductions_max) == (5, 10)
    assert scoring.tie_break == ("group:nhiem-vu-chuyen-mon", "fewer_deductions")


def test_the_tables_as_written_are_kept_for_storage() -> None:
    spec = _spec()
    assert spec.emulation == {"pact": EXAMPLE_DATA["pact"], "scoring": EXAMPLE_DATA["scoring"]}
    bare = _changed(lambda d: (d.pop("pact"), d.pop("scoring")))
    assert _spec(bare).emulation == {} and _spec(bare).pact is None


def test_a_scoring_table_without_a_pact_is_fine_without_automatic_criteria() -> None:
    def edit(data: dict[str, Any]) -> None:
        data.pop("pact")
        for group in data["scoring"]["groups"]:
            for row in group["criteria"]:
                if row["method"] == "auto":
                    for key in ("indicator", "rule", "steps"):
                        row.pop(key, None)
                    row["method"] = "self"

    assert _spec(_changed(edit)).scoring is not None


# --- every problem named by its place ----------------------------------------------------

CASES: list[tuple[str, Any, list[tuple[str, str, dict[str, str]]]]] = [
    (
        "scale",
        lambda d: d["scoring"].update(scale=1000),
        [("scoring.scale", "sum_not_scale", {"sum": "100", "scale": "1000"})],
    ),
    (
        "criterion max",
        lambda d: _criterion(d, 1, 0).update(max=-1),
        [("scoring.groups[1].criteria[0].max", "bad_points", {"value": "-1"})],
    ),
    (
        "three decimals",
        lambda d: _criterion(d, 1, 0).update(max=14.125),
        [("scoring.groups[1].criteria[0].max", "bad_points", {"value": "14.125"})],
    ),
    (
        "criteria sum",
        lambda d: _criterion(d, 0, 0).update(max=9),
        [("scoring.groups[0].max", "criteria_sum_not_max", {"sum": "19", "max": "20"})],
    ),
    (
        "method",
        lambda d: _criterion(d, 0, 0).update(method="manual"),
        [
            (
                "scoring.groups[0].criteria[0].method",
                "bad_choice",
                {"value": "manual", "allowed": "auto, timeliness, self"},
            )
        ],
    ),
    (
        "a key of another method",
        lambda d: _criterion(d, 0, 1).update(per_late=1),
        [("scoring.groups[0].criteria[1].per_late", "not_for_method", {"method": "self"})],
    ),
    (
        "auto without indicator",
        lambda d: _criterion(d, 1, 0).pop("indicator"),
        [("scoring.groups[1].criteria[0].indicator", "needs_indicator", {})],
    ),
    (
        "steps without the rule",
        lambda d: _criterion(d, 1, 1).update(rule="linear"),
        [("scoring.groups[1].criteria[1].steps", "only_with_steps", {})],
    ),
    (
        "a step over the maximum",
        lambda d: _criterion(d, 1, 1)["steps"][1].update(points=11),
        [
            (
                "scoring.groups[1].criteria[1].steps[1].points",
                "over_max",
                {"value": "11", "max": "10"},
            )
        ],
    ),
    (
        "a repeated step",
        lambda d: _criterion(d, 1, 1)["steps"][2].update(at=80),
        [("scoring.groups[1].criteria[1].steps[2].at", "duplicate", {"value": "80"})],
    ),
    (
        "no step",
        lambda d: _criterion(d, 1, 1).update(steps=[]),
        [("scoring.groups[1].criteria[1].steps", "steps_needed", {"max": "20"})],
    ),
    (
        "a criterion id in two groups",
        lambda d: _criterion(d, 3, 0).update(id="ke-hoach-cong-tac"),
        [("scoring.groups[3].criteria[0].id", "duplicate", {"value": "ke-hoach-cong-tac"})],
    ),
    (
        "a group id twice",
        lambda d: d["scoring"]["groups"][1].update(id="chi-dao-dieu-hanh"),
        [
            ("scoring.groups[1].id", "duplicate", {"value": "chi-dao-dieu-hanh"}),
            ("scoring.tie_break[0]", "unknown_group", {"value": "nhiem-vu-chuyen-mon"}),
        ],
    ),
    (
        "tie-break group",
        lambda d: d["scoring"].update(tie_break=["group:khac"]),
        [("scoring.tie_break[0]", "unknown_group", {"value": "khac"})],
    ),
    (
        "tie-break rule",
        lambda d: d["scoring"].update(tie_break=["more_points"]),
        [
            (
                "scoring.tie_break[0]",
                "bad_tie_break",
                {"value": "more_points", "allowed": "group:<id>, fewer_deductions, more_bonus"},
            )
        ],
    ),
    (
        "checking",
        lambda d: d["scoring"].update(checking="ministry"),
        [("scoring.checking", "bad_choice", {"value": "ministry", "allowed": "head, peer"})],
    ),
    (
        "evidence too big",
        lambda d: d["scoring"].update(evidence_max_mb=50),
        [("scoring.evidence_max_mb", "bad_count", {"value": "50", "min": "1", "max": "20"})],
    ),
    (
        "evidence type",
        lambda d: d["scoring"].update(evidence_types=["pdf", "tar.gz"]),
        [("scoring.evidence_types[1]", "bad_extension", {"value": "tar.gz"})],
    ),
    (
        "bonus item over the cap",
        lambda d: d["scoring"]["bonus"]["items"][0].update(max=6),
        [("scoring.bonus.items[0].max", "over_max", {"value": "6", "max": "5"})],
    ),
    (
        "deductions without items",
        lambda d: d["scoring"]["deductions"].pop("items"),
        [("scoring.deductions.items", "missing_array", {})],
    ),
    (
        "an unknown scoring key",
        lambda d: d["scoring"].update(scales=100),
        [
            (
                "scoring.scales",
                "unknown_key",
                {
                    "allowed": "scale, checking, groups, bonus, deductions, tie_break, "
                    "justification_max, evidence_max_mb, evidence_types"
                },
            )
        ],
    ),
    (
        "an unknown indicator",
        lambda d: d["pact"]["targets"][0].update(indicator="bien-che"),
        [
            ("pact.targets[0].indicator", "unknown_indicator", {"value": "bien-che"}),
            (
                "scoring.groups[1].criteria[0].indicator",
                "no_target",
                {"value": "tinh-gian-bien-che", "departments": "bac-kan"},
            ),
        ],
    ),
    (
        "an unknown department",
        lambda d: d["pact"]["targets"][0].update(department="ha-giang"),
        [
            ("pact.targets[0].department", "unknown_department", {"value": "ha-giang"}),
            # Bắc Kạn has no target of its own left, and there is no cluster-wide one.
            (
                "scoring.groups[1].criteria[0].indicator",
                "no_target",
                {"value": "tinh-gian-bien-che", "departments": "bac-kan"},
            ),
        ],
    ),
    (
        "a target for a text",
        lambda d: d["pact"]["targets"][9].update(indicator="ket-qua-noi-bat"),
        [
            (
                "pact.targets[9].indicator",
                "target_needs_number",
                {"value": "ket-qua-noi-bat", "type": "text"},
            ),
            (
                "scoring.groups[1].criteria[3].indicator",
                "no_target",
                {
                    "value": "csdl-can-bo",
                    "departments": "bac-giang, bac-kan, hoa-binh, phu-tho, thai-nguyen, "
                    "tuyen-quang, yen-bai",
                },
            ),
        ],
    ),
    (
        "a target twice",
        lambda d: d["pact"]["targets"][1].update(department="bac-kan"),
        [
            ("pact.targets[1].indicator", "duplicate", {"value": "tinh-gian-bien-che bac-kan"}),
            (
                "scoring.groups[1].criteria[0].indicator",
                "no_target",
                {"value": "tinh-gian-bien-che", "departments": "bac-giang"},
            ),
        ],
    ),
    (
        "a target of zero",
        lambda d: d["pact"]["targets"][8].update(value=0),
        [("pact.targets[8].value", "bad_target", {"value": "0"})],
    ),
    (
        "no commitment",
        lambda d: d["pact"].update(commitments=[]),
        [("pact.commitments", "empty_list", {})],
    ),
    (
        "a blank commitment, a repeated one",
        lambda d: d["pact"]["commitments"].extend(["  ", d["pact"]["commitments"][0]]),
        [
            ("pact.commitments[6]", "missing_text", {}),
            ("pact.commitments[7]", "duplicate", {"value": FIRST_COMMITMENT}),
        ],
    ),
    (
        "a commitment too long",
        lambda d: d["pact"]["commitments"].append("x" * 1001),
        [("pact.commitments[6]", "too_long", {"max": "1000"})],
    ),
    ("pact not a table", lambda d: d.update(pact=[1]), [("pact", "not_a_table", {})]),
    (
        "a sign-by day that is no date",
        lambda d: d["pact"].update(sign_by="31/02/2023"),
        [
            (
                "pact.sign_by",
                "bad_date",
                {"value": "31/02/2023", "allowed": "YYYY-MM-DD or dd/mm/yyyy"},
            )
        ],
    ),
    (
        "a pact reminder of no kind",
        lambda d: d["pact"].update(reminders=["before-3", "tomorrow"]),
        [
            (
                "pact.reminders[1]",
                "bad_reminder",
                {"value": "tomorrow", "allowed": "before-N, due, after-N (N = 1..99)"},
            )
        ],
    ),
    (
        "no working day to sign in",
        lambda d: d["pact"].update(sign_within_days=0),
        [("pact.sign_within_days", "bad_count", {"value": "0", "min": "1", "max": "60"})],
    ),
]


def test_the_pact_reminders_are_declared_or_the_defaults() -> None:
    pact = _spec().pact
    assert pact is not None
    assert (pact.sign_by, pact.sign_within_days) == (None, 10)
    assert pact.reminders == ("before-3", "due", "after-2")
    declared = _spec(
        _changed(
            lambda d: d["pact"].update(
                sign_by=datetime.date(2023, 1, 31), reminders=["before-7", "after-1"]
            )
        )
    ).pact
    assert declared is not None
    assert declared.sign_by == datetime.date(2023, 1, 31)
    assert declared.reminders == ("before-7", "after-1")
    calendar = WorkingCalendar()
    # Opened before the day: the day; opened after it: 10 working days from the opening.
    assert declared.sign_deadline(datetime.date(2023, 1, 9), calendar) == datetime.date(2023, 1, 31)
    assert declared.sign_deadline(datetime.date(2024, 1, 8), calendar) == datetime.date(2024, 1, 22)


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_named_by_its_place(
    edit: Any, expected: list[tuple[str, str, dict[str, str]]]
) -> None:
    assert _errors(_changed(edit)) == sorted(expected)


def test_problems_in_several_places_are_all_reported_at_once() -> None:
    def edit(data: dict[str, Any]) -> None:
        _criterion(data, 0, 0).update(max="10")
        data["pact"]["targets"][0].update(indicator="khac")
        data["scoring"]["bonus"]["items"][1].update(name="")

    paths = [path for path, _, _ in _errors(_changed(edit))]
    assert paths == [
        "pact.targets[0].indicator",
        "scoring.bonus.items[1].name",
        "scoring.groups[0].criteria[0].max",
        "scoring.groups[1].criteria[0].indicator",  # Bắc Kạn's target was the one changed
    ]


def test_peer_checking_needs_two_departments() -> None:
    def edit(data: dict[str, Any]) -> None:
        for row in data["departments"][1:]:
            row["merged_into"] = "bac-kan"
        data["departments"][0]["merged_on"] = "2025-07-01"  # a successor dates its merger
        data.pop("offices")
        data.pop("pact")
        data["scoring"] = {
            "scale": 10,
            "checking": "peer",
            "groups": [
                {
                    "id": "a",
                    "name": "Nhóm A",
                    "name_en": "A",
                    "max": 10,
                    "criteria": [
                        {
                            "id": "b",
                            "name": "Tiêu chí B",
                            "name_en": "B",
                            "max": 10,
                            "method": "self",
                        }
                    ],
                }
            ],
        }

    assert _errors(_changed(edit)) == [("scoring.checking", "peer_needs_two", {})]


# --- whatever the values ---------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


# The pact's optional keys too (sign_by, sign_within_days, reminders: absent from the example).
PACT_OPTIONAL = [("pact", "sign_by"), ("pact", "sign_within_days"), ("pact", "reminders")]
PATHS = (
    _paths(EXAMPLE_DATA["pact"], ("pact",))
    + PACT_OPTIONAL
    + _paths(EXAMPLE_DATA["scoring"], ("scoring",))
)
VALUES = st.one_of(
    TOMLISH,
    st.sampled_from(["auto", "self", "timeliness", "steps", "peer", "group:x", "bac-kan"]),
    st.sampled_from(["2024-02-30", "16/02/2024", "due", "before-3", "after-0"]),
    st.dates(),
    st.lists(st.sampled_from(["before-7", "due", "after-2", "later", ""]), max_size=3),
    st.integers(-5, 120),
    st.floats(-1, 200),
)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@FEW
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_any_change_gives_a_spec_or_worded_errors(changes: list[tuple[Any, Any]]) -> None:
    data = copy.deepcopy(EXAMPLE_DATA)
    for path, value in changes:
        try:
            _set(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced what this one would reach
    try:
        spec = parse_cluster_data(data)
    except ClusterFileInvalid as invalid:
        assert invalid.errors
        for error in invalid.errors:
            assert _worded(error), error
            assert error.path.startswith(("pact", "scoring")), error
        return
    if spec.pact is not None:
        assert all(reminder_kind(r) is not None for r in spec.pact.reminders)
        assert 1 <= spec.pact.sign_within_days <= 60
        opened = datetime.date(2024, 1, 5)
        assert spec.pact.sign_deadline(opened, WorkingCalendar()) >= opened
    if spec.scoring is not None:
        assert sum(g.max for g in spec.scoring.groups) == spec.scoring.scale
        for group in spec.scoring.groups:
            assert sum(c.max for c in group.criteria) == group.max
