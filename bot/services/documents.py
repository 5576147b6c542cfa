"""The year-end documents: their data read from the database, and the /documents command.

:func:`documents_for` fills the plain data of :mod:`bot.domain.documents` for one cluster and
year, in the reader's language:

- the annual review report from the year's summary (its yearly round, or the year compiled from
  its quarters or months: :func:`bot.services.summaries.summary_for`, the same figures as
  /summary and the workbook), the year's reporting rounds and the offices of the year's term;
- the minutes of the conference from the election of the next year's head and deputy (its
  rounds, counts and winners, recounted by :func:`bot.services.elections.load_minutes`; who
  took part is the public turnout, never a ballot).

The award votes of the minutes (``ConferenceMinutes.award_votes``) and the proposal for awards
come from the year's counted award votes (bot/services/award_documents.py); without one that
proposes anybody, ``DocumentSet.proposal`` is None with the note "no_awards".

The scores and ranking (``ReviewReport.scores``) are the year's locked totals
(bot/services/emulation.py), once the head has locked them. What does not exist in the bot yet
stays empty, and nothing stands in for it: the pact's targets (``FigureLine.target``) and the
guests of the conference.

/documents YEAR (the head or an administrator) answers with a composition: the files are built
after the commit in the worker process (bot/services/compositions.py), like /export's workbook.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.documents import (
    ConferenceMinutes,
    DocumentSet,
    ElectionRecord,
    FigureLine,
    Heading,
    OfficeResult,
    ReviewReport,
    RoundLine,
    ScoreLine,
    Signature,
    VoteRound,
    place_of,
)
from bot.domain.elections import Mode
from bot.domain.periods import MAX_YEAR, MIN_YEAR, PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.domain.scoring import ScoreRefused
from bot.domain.summary import Summary
from bot.services import emulation
from bot.services.award_documents import award_parts
from bot.services.context import Context
from bot.services.elections import load_minutes
from bot.services.screens import Composition, Outcome
from bot.services.summaries import summary_for
from messages.render import current_zone
from storage import elections as election_store
from storage import scoring as scoring_store
from storage.clusters import get_cluster, get_current_offices, list_departments
from storage.documents import find_conference_election
from storage.models import Cluster, Department
from storage.rounds import list_rounds
from storage.summaries import load_rounds_data

__all__ = ["command", "documents_for", "parse_year"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str: ...


def _name(row: _Named, lang: str) -> str:
    return row.name_en if lang == "en" and row.name_en else row.name


def parse_year(text: str) -> int | None:
    """ "2023" -> 2023; None for anything else (ASCII digits, within the periods' years)."""
    if not re.fullmatch(r"\d{4}", text.strip(), re.ASCII):
        return None
    year = int(text)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


async def _heading(
    session: AsyncSession,
    cluster: Cluster,
    year: int,
    lang: str,
    by_id: dict[int, Department],
    signed_on: date | None,
    today: date,
) -> tuple[Heading, dict[str, int]]:
    # The year's head issues the year's documents: it ran the year and hosts the conference
    # that closes it (the head elected there serves the next year).
    holders = await get_current_offices(session, cluster.id, year)
    head = by_id.get(holders.get("head", -1))
    heading = Heading(
        parent=_name(cluster, lang),
        issuer=_name(head, lang) if head is not None else None,
        year=signed_on.year if signed_on is not None else today.year,
        place=place_of(head.name) if head is not None else "",
        signed_on=signed_on,
    )
    return heading, holders


async def _review_report(
    session: AsyncSession,
    cluster: Cluster,
    year: int,
    lang: str,
    heading: Heading,
    holders: dict[str, int],
    by_id: dict[int, Department],
    signer: str,
    now: datetime,
) -> ReviewReport | None:
    summary = await summary_for(session, cluster.id, str(year), now=now)
    if summary is None:
        return None
    rounds = [r for r in await list_rounds(session, cluster.id) if _year_of(r.period) == year]
    rounds.sort(key=lambda r: parse_period(r.period).sort_key)
    data = await load_rounds_data(session, rounds)
    expected = summary.expected
    lines = tuple(
        RoundLine(
            period=r.period,
            deadline=r.deadline,
            submitted=len(data[r.id].reports) if r.id in data else 0,
            expected=expected,
            late=sum(1 for rep in data[r.id].reports.values() if rep.late) if r.id in data else 0,
        )
        for r in rounds
        if r.id is not None
    )
    head, deputy = by_id.get(holders.get("head", -1)), by_id.get(holders.get("deputy", -1))
    scores, scale = await _scores(session, cluster.id, year, lang, by_id)
    return ReviewReport(
        heading=heading,
        cluster=_name(cluster, lang),
        year=year,
        members=tuple(_name(d, lang) for d in summary.departments),
        head=_name(head, lang) if head is not None else None,
        deputy=_name(deputy, lang) if deputy is not None else None,
        figures=_figures(summary, lang),
        compiled_from=summary.compiled_from,
        rounds=lines,
        submitted=len(summary.submitted),
        expected=expected,
        late=tuple(_name(s.department, lang) for s in summary.late),
        missing=tuple(_name(d, lang) for d in summary.missing),
        partial=tuple(_name(s.department, lang) for s in summary.partial),
        highlights=tuple(
            (_name(n.department, lang), "\n".join(text for _, text in n.answers))
            for n in summary.narratives
        ),
        signature=Signature("head", signer),
        scores=scores,
        scale=scale,
    )


async def _scores(
    session: AsyncSession, cluster_id: str, year: int, lang: str, by_id: dict[int, Department]
) -> tuple[tuple[ScoreLine, ...], Decimal | None]:
    """The year's ranking of the locked totals, and the table's scale; nothing before the lock
    (or without a scoring of the year): the report then has no section for them."""
    try:
        ranked = await emulation.ranking(session, cluster_id, year)
        row = await emulation.get_scoring(session, cluster_id, year)
    except ScoreRefused:
        return (), None
    by_slug = {d.slug: d for d in by_id.values()}
    lines = tuple(
        ScoreLine(r.rank, _name(by_slug[r.department], lang), r.totals.total)
        for r in ranked
        if r.department in by_slug
    )
    return lines, scoring_store.scoring_snapshot(row).scale


def _year_of(code: str) -> int | None:
    try:
        return parse_period(code).year
    except PeriodError:
        return None


def _figures(summary: Summary, lang: str) -> tuple[FigureLine, ...]:
    out = []
    for line in summary.indicators:
        info = line.indicator
        change = line.previous
        out.append(
            FigureLine(
                label=info.label_en if lang == "en" and info.label_en else info.label,
                unit=info.unit_en if lang == "en" and info.unit_en else info.unit,
                type=info.type,
                rule=line.figure.rule,
                value=line.figure.value,
                reported=line.figure.reported,
                expected=line.figure.expected,
                # The year before only when like is compared with like (the same periods and
                # the same departments reporting): otherwise the column would mislead.
                previous=change.previous if change is not None and change.comparable else None,
                # The cluster's pact target: the departments' targets added up (or averaged),
                # when each has one (bot.domain.summary.IndicatorSummary.cluster_target).
                target=line.cluster_target,
            )
        )
    return tuple(out)


async def _election_record(
    session: AsyncSession,
    cluster: Cluster,
    term: int,
    lang: str,
    by_id: dict[int, Department],
    tz: ZoneInfo,
) -> ElectionRecord | None:
    election = await find_conference_election(session, cluster.id, term)
    if election is None or election.id is None:
        return None
    record = await load_minutes(session, election.id)
    if not record.rounds:
        return None  # opened, nothing counted yet: no minutes to write

    def named(department_id: int | None) -> str:
        row = by_id.get(department_id or -1)
        return _name(row, lang) if row is not None else str(department_id)

    offices = {o.index: o for o in record.offices}
    voted: set[int] = set()
    for row in await election_store.list_rounds(session, election.id):
        if row.id is not None and row.state == "closed":
            voted.update(await election_store.list_voted_departments(session, row.id))
    label = lambda o: o.label_en if lang == "en" and o.label_en else o.label  # noqa: E731
    rules = record.rules
    return ElectionRecord(
        title=record.title,
        term=record.term,
        secret=record.mode is Mode.SECRET,
        quorum=f"{rules.quorum.numerator}/{rules.quorum.denominator}",
        majority=f"{rules.majority.numerator}/{rules.majority.denominator}",
        majority_of=rules.majority_of,
        held_on=record.opened_at.astimezone(tz).date() if record.opened_at else None,
        roll=tuple(named(d) for d in record.roll),
        voted=tuple(named(d) for d in record.roll if d in voted),
        rounds=tuple(
            VoteRound(
                office=r.role,
                office_label=label(offices[r.office_index]) if r.office_index in offices else "",
                number=r.tally.round_no,
                roll_size=r.tally.roll_size,
                cast=r.tally.cast,
                blank=r.tally.blank,
                quorum_met=r.tally.quorum_met,
                counts=tuple((named(c), votes) for c, votes in r.tally.ranking()),
                outcome=r.tally.outcome.value,
                winner=named(r.tally.winner) if r.tally.winner is not None else None,
            )
            for r in record.rounds
        ),
        offices=tuple(
            OfficeResult(
                office=o.role,
                office_label=label(o),
                department=named(o.elected) if o.elected is not None else None,
                votes=o.votes,
                cast=o.cast,
                decided_by_head=o.decided_by_head,
            )
            for o in record.offices
        ),
    )


async def documents_for(
    session: AsyncSession,
    cluster_id: str,
    year: int,
    lang: str,
    *,
    now: datetime,
    tz: ZoneInfo | None = None,
    signed_on: date | None = None,
    signer: str = "",
) -> DocumentSet | None:
    """The year's documents as data; None when there is no such cluster.

    ``signed_on`` fills the date line (otherwise the day and month are left blank and the year
    is today's); ``signer`` the head's name under the signature (otherwise left to write).
    """
    cluster = await get_cluster(session, cluster_id)
    if cluster is None:
        return None
    tz = tz or current_zone()
    today = now.astimezone(tz).date()
    departments = await list_departments(session, cluster.id, include_merged=True)
    by_id = {d.id: d for d in departments if d.id is not None}
    heading, holders = await _heading(session, cluster, year, lang, by_id, signed_on, today)
    report = await _review_report(
        session, cluster, year, lang, heading, holders, by_id, signer, now
    )
    election = await _election_record(session, cluster, year + 1, lang, by_id, tz)
    award_votes, proposal = await award_parts(
        session, cluster.id, _name(cluster, lang), year, lang, by_id, heading, signer
    )
    minutes = None
    if election is not None or award_votes:
        minutes = ConferenceMinutes(
            heading=heading,
            cluster=_name(cluster, lang),
            year=year,
            members=tuple(_name(d, lang) for d in departments if d.merged_into is None),
            election=election,
            signatures=(Signature("secretary"), Signature("chair")),
            award_votes=award_votes,
        )
    notes = []
    if report is None:
        notes.append("no_figures")
    if minutes is None:
        notes.append("no_conference")
    if proposal is None:
        notes.append("no_awards")  # no award vote of the year proposes anybody
    return DocumentSet(
        cluster_id=cluster.id,
        year=year,
        report=report,
        minutes=minutes,
        proposal=proposal,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- /documents


async def command(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """/documents YEAR: the head or an administrator gets the year's documents as files."""
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    if not may(ctx.actor, Action.DOCUMENTS):
        return out.add("documents_chat.not_allowed")
    year = parse_year(args[0]) if len(args) == 1 else None
    if year is None:
        return out.add("documents_chat.usage")
    found = await documents_for(session, ctx.cluster.id, year, ctx.lang, now=ctx.now, tz=ctx.tz)
    if found is None or found.empty:
        return out.add("documents_chat.nothing", year=year)
    out.add("documents_chat.coming")
    for note in found.notes:
        out.add("documents_chat.note", code=note, year=year)
    params = {"cluster": ctx.cluster.id, "year": year, "now": ctx.now.isoformat()}
    out.compositions.append(Composition("documents", params))
    return out
