"""Fixtures for the award tests: the election tests' seeded database (either engine) and the
emulated cluster (tests/elections/conftest.py)."""

from tests.elections.conftest import ecluster, seeded  # noqa: F401  (fixtures)
