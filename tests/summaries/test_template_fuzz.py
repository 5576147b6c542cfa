"""The template reader on damaged files (issue 8): a real generated template, filled, then bits
flipped, bytes overwritten or the file cut short. Whatever the damage, `read_template` returns
what the file says or raises UploadRejected, never anything else."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.reports.template_io import FilledTemplate, UploadRejected, build_template, read_template
from tests.summaries import INDICATORS
from tests.summaries.test_template_io import GOOD, fill, target


@cache
def filled() -> bytes:
    return fill(build_template(target(), "vi"), GOOD)


def _read(data: bytes) -> None:
    try:
        result = read_template(data, INDICATORS)
    except UploadRejected as rejected:
        assert rejected.code  # a code the message template explains
        return
    assert isinstance(result, FilledTemplate)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=4))
@example(
    flips=[(0.33, 3)]
)  # inside the first sheet's deflate stream: zlib.error when rows are read
@example(flips=[(0.3, 1), (0.31, 5)])
def test_bit_flips(flips: list[tuple[float, int]]) -> None:
    data = bytearray(filled())
    for where, bit in flips:
        data[int(where * len(data))] ^= 1 << bit
    _read(bytes(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.floats(0, 1, exclude_max=True), junk=st.binary(min_size=1, max_size=16))
def test_overwritten_bytes(where: float, junk: bytes) -> None:
    data = bytearray(filled())
    at = int(where * len(data))
    data[at : at + len(junk)] = junk
    _read(bytes(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keep=st.floats(0, 1, exclude_max=True))
def test_truncation(keep: float) -> None:
    data = filled()
    _read(data[: int(keep * len(data))])


def test_the_undamaged_file_reads() -> None:
    result = read_template(filled(), INDICATORS)
    assert result.ok and result.values
