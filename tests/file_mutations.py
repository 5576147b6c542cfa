"""Damage done to a good file by the property tests of the file readers (the report template,
the self-scoring template): bits flipped, bytes overwritten, the end cut off. Each reader must
answer with a result or its own refusal, never another exception."""

from __future__ import annotations

from hypothesis import strategies as st

# Where (a share of the length) and which bit; a few at once.
FLIPS = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=4)
WHERE = st.floats(0, 1, exclude_max=True)
JUNK = st.binary(min_size=1, max_size=16)


def flipped(data: bytes, flips: list[tuple[float, int]]) -> bytes:
    damaged = bytearray(data)
    for where, bit in flips:
        damaged[int(where * len(damaged))] ^= 1 << bit
    return bytes(damaged)


def overwritten(data: bytes, where: float, junk: bytes) -> bytes:
    damaged = bytearray(data)
    at = int(where * len(damaged))
    damaged[at : at + len(junk)] = junk
    return bytes(damaged)


def truncated(data: bytes, keep: float) -> bytes:
    return data[: int(keep * len(data))]
