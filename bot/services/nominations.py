"""A department's own nominations: list them, change one (name, position, achievements) or
withdraw it, while no vote has put it on a ballot (`/nominate list`, then buttons).

Entering a nomination is bot/services/awards.py's conversation; a change rides on it: the
officer presses which part to change and their next private message is the new text (a change
row, storage/models_awards.py, so that a restart loses nothing). Every press is re-checked on
the server: the button names a nominee id only, and whose nominee it is, whether it still waits
for a vote and who presses are read from the database each time. Once the individuals' vote has
put a nominee on its ballot, what the departments vote on must not move: changes and withdrawals
are refused from then on (the update is guarded, so one arriving as the vote opens loses too).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import awards as rules
from bot.domain import callback_data as callbacks
from bot.domain import elections as election_rules
from bot.services.context import Context
from bot.services.screens import Button, Outcome, Screen
from storage import awards as award_store
from storage import elections as election_store
from storage.models_awards import AwardNominee

__all__ = ["edit_answer", "listing", "press"]

# The conversation's step names the answer is checked against (bot.domain.awards).
_STEP = {"name": "name", "title": "position", "achievements": "achievements"}


def _refused(reason: str, edit: bool = False) -> Screen:
    return Screen("awards.nomination_refused", {"reason": reason}, edit=edit)


def _buttons(nominee: AwardNominee) -> list[list[Button]]:
    assert nominee.id is not None
    return [
        [
            Button(
                "awards.btn_edit_nominee",
                callbacks.NominationEdit(nominee.id).encode(),
                {"nominee": nominee},
            ),
            Button(
                "awards.btn_withdraw_nominee",
                callbacks.NominationWithdraw(nominee.id).encode(),
                {"nominee": nominee},
            ),
        ]
    ]


def nominee_buttons(nominee: AwardNominee) -> list[list[Button]]:
    """Change or withdraw: under the confirmation of a new nomination and of a change."""
    return _buttons(nominee)


async def listing(session: AsyncSession, ctx: Context, term: int) -> Outcome:
    """`/nominate list [year]`: the department's nominees of the year, each waiting one with
    its buttons."""
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not election_rules.may_vote(ctx.actor) or ctx.actor.department_id is None:
        return out.add("awards.nomination_refused", reason="no_department")
    nominees = await award_store.list_department_nominees(
        session, ctx.cluster.id, term, ctx.actor.department_id
    )
    rows: list[list[Button]] = []
    for nominee in nominees:
        if nominee.election_id is None:
            rows += _buttons(nominee)
    params = {"term": term, "nominees": nominees, "department": ctx.department}
    return Outcome([Screen("awards.own_nominees", params, rows)])


def _parse(data: str | None) -> callbacks.CallbackData | None:
    try:
        return callbacks.NOMINATION.decode(data)
    except callbacks.CallbackDataError:
        return None


async def _checked(
    session: AsyncSession, ctx: Context, nominee_id: int
) -> tuple[AwardNominee | None, str | None]:
    """The nominee a press names, or why this person may not change it now."""
    assert ctx.actor is not None
    nominee = await award_store.get_nominee(session, nominee_id)
    if (
        nominee is None
        or nominee.cluster_id != ctx.actor.cluster_id
        or nominee.state != award_store.SUBMITTED
    ):
        return None, "stale"
    if nominee.department_id != ctx.actor.department_id:
        return None, "not_yours"
    if nominee.election_id is not None:
        return None, "vote_opened"
    return nominee, None


async def press(session: AsyncSession, ctx: Context, data: str | None, private: bool) -> Outcome:
    """nm: change (which part), start a change, withdraw (then confirm)."""
    parsed = _parse(data)
    if parsed is None:
        return Outcome([_refused("forged")])
    if not private:
        return Outcome().add("elections.private_only")
    if not election_rules.may_vote(ctx.actor) or ctx.actor is None:
        return Outcome([_refused("no_department")])
    nominee_id: int = parsed.nominee_id  # type: ignore[attr-defined]  # every shape has one
    nominee, reason = await _checked(session, ctx, nominee_id)
    if nominee is None:
        return Outcome([_refused(reason or "stale")])
    if isinstance(parsed, callbacks.NominationEdit):
        rows = [
            [
                Button(
                    f"awards.btn_field_{field}",
                    callbacks.NominationField(nominee_id, field).encode(),
                )
            ]
            for field in award_store.EDIT_FIELDS
        ]
        return Outcome([Screen("awards.choose_field", {"nominee": nominee}, rows)])
    if isinstance(parsed, callbacks.NominationField):
        await award_store.start_nomination_edit(
            session, nominee, parsed.field, ctx.user_id, ctx.now
        )
        return Outcome().add("awards.ask_edit", nominee=nominee, field=parsed.field)
    if isinstance(parsed, callbacks.NominationWithdraw):
        confirm = callbacks.NominationWithdrawConfirm(nominee_id).encode()
        rows = [[Button("awards.btn_confirm_withdraw", confirm)]]
        return Outcome([Screen("awards.confirm_withdraw", {"nominee": nominee}, rows)])
    if not await award_store.withdraw_nominee(session, nominee_id):
        return Outcome([_refused("vote_opened", edit=True)])
    return Outcome([Screen("awards.nomination_withdrawn", {"nominee": nominee}, edit=True)])


async def edit_answer(
    session: AsyncSession, ctx: Context, edit: AwardNominee, text: str
) -> Outcome:
    """The new text of the part being changed (or /cancel)."""
    out = Outcome()
    if text.strip().startswith("/cancel"):
        await award_store.cancel_nomination_draft(session, ctx.user_id)
        return out.add("awards.edit_cancelled")
    field = edit.state.removeprefix("edit_")
    problem = rules.nomination_problem(_STEP[field], text)
    if problem is not None:
        return out.add("awards.nomination_refused", reason=problem)
    assert edit.edits_id is not None
    if ctx.actor is None or ctx.actor.department_id != edit.department_id:
        # No longer an officer of that department: the change is dropped, nothing written.
        await award_store.cancel_nomination_draft(session, ctx.user_id)
        return out.add("awards.nomination_refused", reason="not_yours")
    if not await award_store.apply_nomination_edit(session, edit, " ".join(text.split())):
        nominee = await award_store.get_nominee(session, edit.edits_id)
        on_ballot = nominee is not None and nominee.election_id is not None
        return out.add("awards.nomination_refused", reason="vote_opened" if on_ballot else "stale")
    nominee = await award_store.get_nominee(session, edit.edits_id)
    assert nominee is not None
    departments = await election_store.get_departments_by_id(session, nominee.cluster_id)
    return Outcome(
        [
            Screen(
                "awards.nomination_changed",
                {"nominee": nominee, "department": departments[nominee.department_id]},
                nominee_buttons(nominee),
            )
        ]
    )
