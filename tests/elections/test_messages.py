"""What people read about elections and announcements, in both languages."""

from __future__ import annotations

from datetime import timedelta
from html.entities import name2codepoint
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from bot.domain import elections as E
from bot.domain.elections import ElectionRules
from bot.emulator.telegram_html import TelegramHtmlError, parse_html
from bot.services import elections as V
from messages.render import render
from storage import elections as S
from storage.clusters import get_cluster
from tests.elections.conftest import NOW, Seeded

VOID = {"br", "hr", "img", "meta", "link", "input", "col", "wbr"}


class _Strict(HTMLParser):
    """Refuses what HTMLParser lets through: unclosed or crossed tags, end tags never opened,
    a raw "<" or "&" in the text, unknown entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ValueError(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or "&" in data:
            raise ValueError(f"unescaped markup in text: {data!r}")

    def handle_entityref(self, name: str) -> None:
        if name not in name2codepoint:
            raise ValueError(f"unknown entity &{name};")


def well_formed_html(document: str) -> None:
    """Raise ValueError unless ``document`` is well-formed HTML (every tag closed, in order)."""
    parser = _Strict()
    parser.feed(document)
    parser.close()
    if parser.open:
        raise ValueError(f"unclosed: {parser.open}")


@pytest.mark.parametrize(
    "broken",
    [
        "<html><body><p>Biên bản</body></html>",  # <p> never closed
        "<p><b>Cụm trưởng</p></b>",  # crossed
        "<p>5 < 7</p>",  # a raw "<"
        "<p>Sở &unknown; tỉnh</p>",
        "<p>phiếu</p></div>",
    ],
)
def test_the_html_checks_refuse_broken_markup(broken: str) -> None:
    with pytest.raises(ValueError):
        well_formed_html(broken)


def test_telegrams_parser_refuses_broken_markup() -> None:
    parse_html("<b>Cụm trưởng</b> &amp; <i>Cụm phó</i>")
    for broken in ("<b>Cụm trưởng", "<b><i>x</b></i>", "<p>x</p>", "5 < 7", "&nbsp;"):
        with pytest.raises(TelegramHtmlError):
            parse_html(broken)


async def run_election(seeded: Seeded) -> int:
    plan = E.default_plan(2024, "Bầu Cụm trưởng, Cụm phó năm 2024", ElectionRules(), now=NOW)
    ids = seeded.ids
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, plan, 1, NOW)
        assert election.id is not None
        await V.start_election(s, election.id, NOW)
        head_round = await S.get_open_round(s, election.id)
        assert head_round is not None and head_round.id is not None
    head: dict[str, str | None] = dict.fromkeys(
        ["bac-kan", "bac-giang", "thai-nguyen", "yen-bai", "phu-tho"], "tuyen-quang"
    )
    head |= {"hoa-binh": "phu-tho", "tuyen-quang": None}
    for voter, choice in head.items():
        async with seeded.db.session() as s:
            r = await V.cast_vote(
                s, head_round.id, ids[voter], 1, ids[choice] if choice else 0, NOW
            )
            assert r.ok
    async with seeded.db.session() as s:
        closed = await V.count_round(s, head_round.id, NOW + timedelta(hours=1))
        assert closed is not None and closed.next_round is not None
        deputy_round = closed.next_round.id
        assert deputy_round is not None
    for voter in ids:
        async with seeded.db.session() as s:
            pick = ids["hoa-binh"] if voter != "hoa-binh" else ids["yen-bai"]
            assert (await V.cast_vote(s, deputy_round, ids[voter], 1, pick, NOW)).ok
    async with seeded.db.session() as s:
        assert await V.count_round(s, deputy_round, NOW + timedelta(hours=2))
    return election.id


async def test_result_turnout_and_minutes(seeded: Seeded):
    election_id = await run_election(seeded)
    async with seeded.db.session() as s:
        election = await S.get_election(s, election_id)
        offices = await S.list_offices(s, election_id)
        rounds = await S.list_rounds(s, election_id)
        departments = await S.get_departments_by_id(s, seeded.cluster_id)
        minutes = await V.load_minutes(s, election_id)
        cluster = await get_cluster(s, seeded.cluster_id)
        receipts = await V.list_counted_receipts(s, rounds[0].id)  # type: ignore[arg-type]  # a stored row: its id is set
    rules = S.rules_of(election)  # type: ignore[arg-type]  # the election was found (made above)
    head_tally = minutes.rounds[0].tally

    text = render(
        "vi",
        "elections.result",
        election=election,
        rules=rules,
        office=offices[0],
        tally=head_tally,
        departments=departments,
        receipts=receipts,
        next_office=offices[1],
        next_closes_at=rounds[1].closes_at,
    )
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu" in text
    assert "7/7 đơn vị đã bỏ phiếu — đủ điều kiện hợp lệ" in text
    assert "Phiếu trắng: 1" in text and all(r in text for r in receipts)
    english = render(
        "en",
        "elections.result",
        election=election,
        rules=rules,
        office=offices[0],
        tally=head_tally,
        departments=departments,
        receipts=receipts,
        next_office=None,
        next_closes_at=None,
    )
    assert (
        "Tuyen Quang Department of Home Affairs is elected cluster head for 2024 with 5/7 votes"
        in english
    )

    turnout = render(
        "vi",
        "elections.turnout",
        election=election,
        office=offices[0],
        round_no=1,
        voted=5,
        total=7,
        closes_at=rounds[0].closes_at,
        state="open",
    )
    assert "5/7 đơn vị đã bỏ phiếu" in turnout
    for message in (text, english, turnout):
        parse_html(message)  # Telegram would accept each (raises TelegramHtmlError otherwise)

    for lang, words in (("vi", "BIÊN BẢN KIỂM PHIẾU"), ("en", "MINUTES OF THE COUNT")):
        document = render(
            lang, "elections.minutes_document", m=minutes, cluster=cluster, departments=departments
        )
        assert words in document and minutes.fingerprint in document
        well_formed_html(document)  # a file people open in a browser, not Telegram HTML
        assert all(r in document for r in receipts)
    vi = render(
        "vi", "elections.minutes_document", m=minutes, cluster=cluster, departments=departments
    )
    assert "Sở Nội vụ tỉnh Hòa Bình</b>, trúng cử với 6/7 phiếu" in vi
    assert "Cụm trưởng đương nhiệm (Sở Nội vụ tỉnh Bắc Kạn)" in vi


async def test_opening_message_lists_the_roll_and_its_fingerprint(seeded: Seeded):
    election_id = await run_election(seeded)
    async with seeded.db.session() as s:
        election = await S.get_election(s, election_id)
        offices = await S.list_offices(s, election_id)
        departments = await S.get_departments_by_id(s, seeded.cluster_id)
        roll = await S.list_roll(s, election_id)
    text = render(
        "vi",
        "elections.opened",
        election=election,
        offices=offices,
        roll=roll,
        departments=departments,
        fingerprint=E.short_fingerprint(election.roll_fingerprint),  # type: ignore[union-attr]  # an opened election has its fingerprint
        closes_at=NOW,
        bot_username="clusterbot_demo_bot",
    )
    assert "Danh sách đơn vị bỏ phiếu (7)" in text and "<code>tuyen-quang</code>" in text
    assert E.short_fingerprint(election.roll_fingerprint) in text  # type: ignore[union-attr]  # an opened election has its fingerprint


def test_refusals_and_receipts_are_worded():
    for reason in (
        "no_department",
        "election_closed",
        "stale",
        "round_closed",
        "not_on_roll",
        "not_candidate",
        "already_voted",
        "not_voted",
        "replace_locked",
        "bad_key",
    ):
        vi = render("vi", "elections.refused", reason=reason)
        en = render("en", "elections.refused", reason=reason)
        assert "dữ liệu không hợp lệ" not in vi and "invalid data" not in en, reason
    office = SimpleNamespace(role="head", label="", label_en="")
    departments = {7: SimpleNamespace(name="Sở Nội vụ tỉnh Tuyên Quang", name_en="Tuyen Quang")}
    text = render(
        "vi",
        "elections.receipt",
        office=office,
        choice=7,
        departments=departments,
        receipt="7K2Q-MXP4",
        by_name="Cán bộ <b>",
        replaced=False,
        secret=True,
    )
    assert "Mã phiếu: <code>7K2Q-MXP4</code>" in text and "&lt;b&gt;" in text
    flag = SimpleNamespace(
        role="flag", label="Đơn vị đề nghị tặng Cờ thi đua", label_en="Emulation Flag"
    )
    assert render("en", "elections.office_name", office=flag) == "Emulation Flag"
