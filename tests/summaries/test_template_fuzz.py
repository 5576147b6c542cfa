"""The template reader on damaged files (issue 8): a real generated template, filled, then bits
flipped, bytes overwritten or the file cut short. Whatever the damage, `read_template` returns
what the file says or raises UploadRejected, never anything else."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, example, given, settings

from bot.reports.template_io import FilledTemplate, UploadRejected, build_template, read_template
from tests.file_mutations import FLIPS, JUNK, WHERE, flipped, overwritten, truncated
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
@given(flips=FLIPS)
@example(
    flips=[(0.33, 3)]
)  # inside the first sheet's deflate stream: zlib.error when rows are read
@example(flips=[(0.3, 1), (0.31, 5)])
def test_bit_flips(flips: list[tuple[float, int]]) -> None:
    _read(flipped(filled(), flips))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=WHERE, junk=JUNK)
def test_overwritten_bytes(where: float, junk: bytes) -> None:
    _read(overwritten(filled(), where, junk))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keep=WHERE)
def test_truncation(keep: float) -> None:
    _read(truncated(filled(), keep))


def test_the_undamaged_file_reads() -> None:
    result = read_template(filled(), INDICATORS)
    assert result.ok and result.values
