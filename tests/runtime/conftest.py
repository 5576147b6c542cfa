"""The runtime tests' figures (the takeover time) in the run's summary, whether or not output
is captured and whichever xdist worker ran the test: a test records them with
``record_property("figure", text)`` and they are printed at the end."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        str(value)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "figure"
    ]
    if lines:
        terminalreporter.section("runtime figures")
        for line in lines:
            terminalreporter.write_line(line)
