import tomllib

import pytest

from bot.domain.cluster_file import ClusterFileInvalid, load_cluster_file, parse_cluster_data
from tests.conftest import EXAMPLE


def _errors(text: str) -> dict[str, str]:
    with pytest.raises(ClusterFileInvalid) as info:
        parse_cluster_data(tomllib.loads(text))
    return {e.path: e.code for e in info.value.errors}


def test_the_example_file_is_valid() -> None:
    spec = load_cluster_file(EXAMPLE)
    assert [d.slug for d in spec.departments] == [
        "bac-kan",
        "bac-giang",
        "thai-nguyen",
        "hoa-binh",
        "yen-bai",
        "phu-tho",
        "tuyen-quang",
    ]
    assert [i.type for i in spec.indicators] == ["integer", "integer", "integer", "percent", "text"]


def test_every_error_is_named_by_its_field() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('type = "percent"', 'type = "percentage"', 1)
    text = text.replace('id = "yen-bai"', 'id = "Yên Bái"', 1)
    text = text.replace('head = "bac-kan"', 'head = "ha-noi"', 1)
    errors = _errors(text)
    assert errors["indicators[3].type"] == "bad_choice"
    assert errors["departments[4].id"] == "bad_slug"
    assert errors["offices.head"] == "unknown_department"


def test_missing_sections_and_bad_ranges() -> None:
    errors = _errors(
        '[cluster]\nid = "x"\nname = "X"\n[[indicators]]\nid = "a"\nlabel = "A"\nlabel_en = "A"\ntype = "integer"\nmin = 10\nmax = 1\n'
    )
    assert errors["cluster.name_en"] == "missing_text"
    assert errors["departments"] == "missing_array"
    assert errors["indicators[0].max"] == "max_below_min"


def test_merged_department_must_point_to_a_known_one() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'name_en = "Bac Kan Department of Home Affairs"',
        'name_en = "Bac Kan Department of Home Affairs"\nmerged_into = "nowhere"',
    )
    assert _errors(text)["departments[0].merged_into"] == "unknown_department"
