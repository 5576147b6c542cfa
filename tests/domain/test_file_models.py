"""The pydantic models that read the cluster file, its [schedule] and its [elections]: whatever
the data, the answer is a spec or our own list of errors, each with a code the command line
words (never one of pydantic's own error types); what the bot stores, it reads back."""

from __future__ import annotations

import json
import tomllib
from datetime import date, time
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bot.domain.cluster_file import ClusterFileInvalid, parse_cluster_data
from bot.domain.elections import ElectionRules, parse_election_rules
from bot.domain.file_errors import FileError, FileTable, file_errors, otherwise
from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec, parse_schedule
from messages.render import render
from tests.conftest import EXAMPLE
from tests.domain.test_properties import TOMLISH

FEW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")


# ElectionRules.problems() codes: the command line has no words for them yet (it prints the code).
RULE_PROBLEMS = {
    "bad_quorum",
    "bad_majority",
    "bad_majority_of",
    "bad_max_rounds",
    "bad_reballot_top",
    "bad_voting_minutes",
}


def _worded(error: FileError) -> bool:
    """Rendered as the command line does, in each language (raises if a param is missing)."""
    texts = [render(lang, "cli.file_error", error=error) for lang in ("vi", "en")]
    return all(f"{error.code} {{" not in text for text in texts)  # not the code and params


def _assert_ours(errors: list[FileError], prefix: str = "") -> None:
    assert errors
    for error in errors:
        # Never a pydantic error type such as "int_type": words for every problem.
        assert _worded(error), error
        assert error.path.startswith(prefix), error
        assert all(isinstance(v, str) for v in error.params.values()), error


def test_every_election_rule_problem_is_worded() -> None:
    assert all(_worded(FileError("elections.x", code, {"value": "3"})) for code in RULE_PROBLEMS)


# --- never anything but a spec or our errors ------------------------------------------------

SCHEDULE_KEYS = st.sampled_from(
    ["auto_open", "open", "deadline", "grace_days", "reminders", "escalate", "send_at"]
    + ["quiet_hours", "days_off", "working_days", "timezone", "year", "month", "x"]
)
RULE_KEYS = st.sampled_from(["days_after_end", "working_days_after_end", "if_not_working"])
SCHEDULE_VALUES = st.one_of(
    TOMLISH,
    st.sampled_from(["quarter", "after-1", "due", "08:00", "21:30", "2026-02-30", "12/02/2026"]),
    st.dictionaries(RULE_KEYS, st.one_of(st.integers(-400, 400), TOMLISH), max_size=3),
    st.times(),
    st.lists(st.one_of(st.dates(), st.sampled_from(["01/05/2026", "2026-09-02"])), max_size=3),
)


@FEW
@given(table=st.one_of(TOMLISH, st.dictionaries(SCHEDULE_KEYS, SCHEDULE_VALUES, max_size=6)))
def test_any_schedule_gives_a_spec_or_its_errors(table: Any) -> None:
    spec, errors = parse_schedule({"schedule": table})
    if spec is None:
        _assert_ours(errors, "schedule")
    else:
        assert errors == [] and isinstance(spec, ScheduleSpec)


ELECTION_KEYS = st.sampled_from(
    ["mode", "quorum", "majority", "majority_of", "max_rounds", "offices", "allow_replace", "x"]
)


@FEW
@given(
    table=st.dictionaries(
        ELECTION_KEYS,
        st.one_of(
            TOMLISH,
            st.sampled_from(["open", "roll", "2/3", "0.5", 3, ["head", "flag"], [], ["Head"]]),
        ),
        max_size=5,
    )
)
# Found by this test: a lone surrogate in a choice came back as pydantic's encoding error.
@example(table={"mode": "\ud800"})
def test_any_election_rules_give_rules_or_their_errors(table: dict[str, Any]) -> None:
    rules, errors = parse_election_rules(table)
    if errors:
        assert rules == ElectionRules()  # nothing half-applied
        _assert_ours(errors, "elections")
    else:
        assert rules.problems() == []


@FEW
@given(
    data=st.dictionaries(
        st.sampled_from(["cluster", "departments", "indicators", "offices", "schedule", "x"]),
        TOMLISH,
        max_size=5,
    )
)
def test_any_cluster_file_gives_a_spec_or_worded_errors(data: dict[str, Any]) -> None:
    try:
        parse_cluster_data(data)
    except ClusterFileInvalid as invalid:
        _assert_ours(invalid.errors)


# --- what the bot stores, it reads back -----------------------------------------------------

RULE = st.one_of(
    st.builds(lambda n: {"working_days_after_end": n}, st.integers(1, 366)),
    st.builds(
        lambda n, move: {"days_after_end": n, "if_not_working": move},
        st.integers(-366, 366),
        st.sampled_from(["next", "previous", "keep"]),
    ),
)
CLOCK = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
DAYS = st.lists(st.dates(date(2024, 1, 1), date(2027, 12, 31)), max_size=4, unique=True)
VALID_SCHEDULE = st.fixed_dictionaries(
    {},
    optional={
        "auto_open": st.lists(st.sampled_from(["year", "half", "quarter", "month"]), unique=True),
        "open": RULE,
        "deadline": RULE,
        "grace_days": st.integers(0, 60),
        "reminders": st.lists(
            st.sampled_from(["before-7", "before-1", "due", "after-2"]), unique=True
        ),
        "escalate": st.sampled_from([False, "after-1", "after-5"]),
        "send_at": st.one_of(CLOCK, CLOCK.map(lambda t: t.strftime("%H:%M"))),
        "quiet_hours": st.one_of(
            st.just(False), st.fixed_dictionaries({"start": CLOCK, "end": CLOCK})
        ),
        "days_off": DAYS,
        "working_days": DAYS.map(lambda days: [d.strftime("%d/%m/%Y") for d in days]),
        "timezone": st.sampled_from(["Asia/Ho_Chi_Minh", "Asia/Bangkok", "UTC"]),
        "year": st.fixed_dictionaries({}, optional={"open": RULE, "deadline": RULE}),
        "quarter": st.fixed_dictionaries({}, optional={"grace_days": st.integers(0, 60)}),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(table=VALID_SCHEDULE)
def test_a_valid_schedule_reads_back_from_what_is_stored(table: dict[str, Any]) -> None:
    spec, errors = parse_schedule({"schedule": table})
    if spec is None:  # a deadline before its opening, a clash of days, a quiet send time
        _assert_ours(errors, "schedule")
        return
    stored = json.loads(json.dumps(spec.to_data()))  # as storage/schedules.py keeps it
    again, errors = parse_schedule({"schedule": stored})
    assert errors == [] and again == spec


def test_the_example_schedule_reads_back() -> None:
    spec = parse_cluster_data(tomllib.loads(EXAMPLE_TEXT)).schedule
    assert spec != DEFAULT_SCHEDULE
    assert parse_schedule({"schedule": spec.to_data()}) == (spec, [])


# --- strict where a person could be misread -------------------------------------------------


@pytest.mark.parametrize(
    ("table", "path", "code"),
    [
        ({"grace_days": True}, "schedule.grace_days", "bad_count"),  # a bool is not a count
        ({"grace_days": 2.0}, "schedule.grace_days", "bad_count"),
        (
            {"open": {"working_days_after_end": False}},
            "schedule.open.working_days_after_end",
            "bad_count",
        ),
        ({"days_off": ["٠٢/٠٣/٢٠٢٦"]}, "schedule.days_off[0]", "bad_date"),  # ASCII digits only
        ({"days_off": ["2026-03-02T08:00"]}, "schedule.days_off[0]", "bad_date"),
        ({"send_at": "０８:００"}, "schedule.send_at", "bad_time"),
        ({"send_at": time(8, 0, 30)}, "schedule.send_at", "bad_time"),
        ({"escalate": 0}, "schedule.escalate", "bad_escalate"),  # only false turns it off
        ({"quiet_hours": 0}, "schedule.quiet_hours", "not_a_table"),
    ],
)
def test_strict_schedule_values(table: dict[str, Any], path: str, code: str) -> None:
    spec, errors = parse_schedule({"schedule": table})
    assert spec is None and [(e.path, e.code) for e in errors] == [(path, code)]


@pytest.mark.parametrize(
    ("table", "code"),
    [({"max_rounds": True}, "bad_number"), ({"allow_replace": 1}, "bad_bool")]
    + [({"quorum": "٢/٣"}, "bad_fraction"), ({"offices": "head"}, "bad_offices")],
)
def test_strict_election_values(table: dict[str, Any], code: str) -> None:
    _, errors = parse_election_rules(table)
    assert [(e.path, e.code) for e in errors] == [(f"elections.{next(iter(table))}", code)]


def _errors(text: str) -> list[tuple[str, str, dict[str, str]]]:
    with pytest.raises(ClusterFileInvalid) as info:
        parse_cluster_data(tomllib.loads(text))
    return sorted((e.path, e.code, e.params) for e in info.value.errors)


def test_strict_cluster_values() -> None:
    text = EXAMPLE_TEXT.replace("term = 2023", "term = true").replace(
        "required = false", "required = 0"
    )
    assert _errors(text) == [
        ("indicators[4].required", "bad_bool", {"value": "0"}),
        ("offices.term", "bad_year", {"value": "True"}),
    ]


# --- how problems are named -----------------------------------------------------------------


def test_a_missing_table_and_its_fields_are_all_named() -> None:
    text = EXAMPLE_TEXT.split("[[departments]]", 1)[1]
    errors = {(path, code) for path, code, _ in _errors("[[departments]]" + text)}
    assert {
        ("cluster", "missing_table"),
        ("cluster.id", "missing_text"),
        ("cluster.name", "missing_text"),
        ("cluster.name_en", "missing_text"),
    } <= errors


def test_a_misspelt_indicator_type_is_one_problem() -> None:
    # Not also "min/max apply to numbers only": the type is unknown, not "text".
    text = EXAMPLE_TEXT.replace('type = "percent"', 'type = "percentage"')
    assert _errors(text) == [
        (
            "indicators[3].type",
            "bad_choice",
            {"value": "percentage", "allowed": "integer, decimal, percent, boolean, choice, text"},
        )
    ]


def test_a_bad_english_unit_is_named_as_such() -> None:
    text = EXAMPLE_TEXT.replace('unit_en = "classes"', "unit_en = 3")
    assert _errors(text) == [("indicators[2].unit_en", "missing_text", {})]


def test_unknown_keys_list_the_allowed_ones() -> None:
    errors = _errors(EXAMPLE_TEXT + "\n[elektions]\nmode = 'open'\n")
    assert errors == [
        (
            "elektions",
            "unknown_key",
            {"allowed": "cluster, departments, indicators, offices, schedule, elections, pact, scoring, awards"},
        )
    ]


class _Sample(FileTable):
    count: int
    rows: list[dict[str, int]] = []


def test_file_errors_names_each_place_like_the_file() -> None:
    with pytest.raises(ValidationError) as info:
        _Sample.model_validate({"count": "x", "rows": [{"a": 1}, {"b": "y"}], "z": 1})
    found = {(e.path, e.code) for e in file_errors(info.value, "sample")}
    assert found == {
        ("sample.count", "int_parsing"),  # a plain pydantic type keeps pydantic's code
        ("sample.rows[1].b", "int_parsing"),
        ("sample.z", "unknown_key"),
    }


def test_otherwise_gives_one_problem_with_the_value_as_written() -> None:
    from typing import Annotated

    class Grace(BaseModel):
        days: Annotated[int, otherwise("bad_count", min="0")]

    with pytest.raises(ValidationError) as info:
        Grace.model_validate({"days": [1, 2]})
    assert file_errors(info.value) == [
        FileError("days", "bad_count", {"value": "[1, 2]", "min": "0"})
    ]


def test_problems_carry_what_their_words_need() -> None:
    # Both once stopped the command line with a template error (a missing "value").
    _, schedule_errors = parse_schedule(
        {"schedule": {"deadline": {"days_after_end": 15, "working_days_after_end": 10}}}
    )
    _, election_errors = parse_election_rules({"offices": ["head", "head"]})
    for error in schedule_errors + election_errors:
        assert _worded(error)
    assert [(e.path, e.code) for e in schedule_errors] == [("schedule.deadline", "bad_day_rule")]
    assert election_errors == [
        FileError("elections.offices", "bad_offices", {"value": "['head', 'head']"})
    ]
