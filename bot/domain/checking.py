"""Who checks whose self-score (thẩm định, chấm chéo), and who may not.

With ``checking = "head"`` the head's department checks every department but its own, which
the deputy's department checks (nobody checks itself; with no deputy only an administrator
checks the head's department). With ``checking = "peer"`` the rotation of
`bot.domain.rotation` assigns one checker to each department, and only it checks (the head
decides the answered adjustments and locks). An administrator, who belongs to no department,
checks like the head in ``head`` mode and checks nothing in ``peer`` mode.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.rotation import peer_rotation


def assigned_checker(
    mode: str,
    department: str,
    roll: Sequence[str],
    year: int,
    head: str | None,
    deputy: str | None,
) -> str | None:
    """The department (slug) that checks `department`'s score, or None when no department
    does (an administrator may, in ``head`` mode)."""
    if mode == "peer":
        rotation = peer_rotation(roll, year)
        return next((c for c, checked in rotation.items() if checked == department), None)
    if department == head:
        return deputy if deputy != head else None
    return head


def check_refusal(
    mode: str,
    department: str,
    checker: str | None,
    roll: Sequence[str],
    year: int,
    head: str | None,
    deputy: str | None,
) -> str | None:
    """Why `checker` (a department's slug; None for an administrator) may not check
    `department`: ``self_check``, ``not_your_check``; None when it may."""
    if checker == department:
        return "self_check"
    if checker is None:
        return None if mode == "head" else "not_your_check"
    if assigned_checker(mode, department, roll, year, head, deputy) != checker:
        return "not_your_check"
    return None


def checked_by(
    mode: str,
    checker: str | None,
    roll: Sequence[str],
    year: int,
    head: str | None,
    deputy: str | None,
) -> list[str]:
    """The departments `checker` checks, in the roll's order (None: an administrator)."""
    return [d for d in roll if check_refusal(mode, d, checker, roll, year, head, deputy) is None]
