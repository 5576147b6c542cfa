"""The emulation's storage on both engines: `init` keeps [pact] and [scoring] (and nothing on
an error), a year's pact is signed once per department, a scoring session moves forward only
and refuses what its state forbids (a locked score edited, a department checking itself), and
locked totals read back as the ranking needs them."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.domain.cluster_file import ClusterFileInvalid, load_cluster_file
from bot.domain.ranking import rank
from bot.domain.scoring import totals
from bot.services.admin import init_cluster
from storage import clusters, pacts, scoring
from storage.database import Database
from storage.models import Cluster
from storage.models_emulation import ClusterEmulation, PactSignature
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
HEAD = 1001  # the Telegram ids of the people acting
OFFICER = 1002
D = Decimal
EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")
TABLES = tomllib.loads(EXAMPLE_TEXT)


async def _departments(db: Database) -> dict[str, int]:
    async with db.session() as s:
        rows = await clusters.list_departments(s, CLUSTER)
    return {d.slug: d.id for d in rows if d.id is not None}


async def test_init_stores_the_pact_and_the_scoring_table(db: Database, tmp_path: Path) -> None:
    report = await init_cluster(db, EXAMPLE)
    assert report.changed
    async with db.session() as s:
        assert await pacts.get_emulation_tables(s, CLUSTER) == {
            "pact": TABLES["pact"],
            "scoring": TABLES["scoring"],
        }
        spec = load_cluster_file(EXAMPLE)
        assert await pacts.get_pact_table(s, CLUSTER) == spec.pact
        assert await pacts.get_scoring_table(s, CLUSTER) == spec.scoring
    assert not (await init_cluster(db, EXAMPLE)).changed  # loading twice changes nothing

    edited = tmp_path / "edited.toml"
    edited.write_text(EXAMPLE_TEXT.replace("scale = 100", "scale = 100.0"), encoding="utf-8")
    assert (await init_cluster(db, edited)).updated == [f"pact/scoring {CLUSTER}"]
    without = tmp_path / "without.toml"
    without.write_text(EXAMPLE_TEXT.split("\n[pact]\n")[0], encoding="utf-8")
    assert (await init_cluster(db, without)).updated == [f"pact/scoring {CLUSTER}"]
    async with db.session() as s:
        assert await pacts.get_emulation_tables(s, CLUSTER) == {}
        assert await pacts.get_scoring_table(s, CLUSTER) is None


async def test_a_toml_date_in_the_pact_is_kept_and_read_back(db: Database, tmp_path: Path) -> None:
    dated = tmp_path / "dated.toml"
    dated.write_text(EXAMPLE_TEXT.replace("\n[pact]\n", "\n[pact]\nsign_by = 2024-02-16\n"))
    await init_cluster(db, dated)
    async with db.session() as s:
        stored = await pacts.get_emulation_tables(s, CLUSTER)
        assert stored["pact"]["sign_by"] == "2024-02-16"  # JSON: the ISO text
        table = await pacts.get_pact_table(s, CLUSTER)
        assert table is not None and table.sign_by == date(2024, 2, 16)
        pact = await pacts.claim_pact_opening(s, CLUSTER, 2024, stored["pact"], by=HEAD, now=NOW)
        assert pact is not None
        assert pacts.pact_snapshot(pact).sign_by == date(2024, 2, 16)


async def test_an_error_in_the_scoring_table_writes_nothing(db: Database, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(EXAMPLE_TEXT.replace("scale = 100", "scale = 90"), encoding="utf-8")
    with pytest.raises(ClusterFileInvalid) as invalid:
        await init_cluster(db, broken)
    assert [(e.path, e.code) for e in invalid.value.errors] == [("scoring.scale", "sum_not_scale")]
    async with db.session() as s:
        assert (await s.exec(select(Cluster))).all() == []
        assert (await s.exec(select(ClusterEmulation))).all() == []


async def test_a_pact_is_opened_once_and_signed_once_per_department(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    ids = await _departments(db)
    async with db.session() as s:
        pact = await pacts.claim_pact_opening(s, CLUSTER, 2023, TABLES["pact"], by=HEAD, now=NOW)
        assert pact is not None
        assert await pacts.claim_pact_opening(s, CLUSTER, 2023, {}, by=HEAD, now=NOW) is None
        assert pacts.pact_snapshot(pact).commitments[0].startswith("Thực hiện tốt")

        signed = await pacts.record_signature(s, pact, ids["bac-kan"], by=OFFICER, now=NOW)
        assert signed is not None and signed.state == pacts.SIGNED
        again = await pacts.record_signature(s, pact, ids["bac-kan"], by=OFFICER, now=NOW)
        assert again is None  # signed once

        own = {"tinh-gian-bien-che": D("120")}
        proposal = await pacts.record_signature(
            s, pact, ids["yen-bai"], by=OFFICER, now=NOW, targets=own
        )
        assert proposal is not None and proposal.state == pacts.PROPOSED
        assert pacts.proposed_targets(proposal) == own
        assert await pacts.count_signed(s, pact) == 1  # a proposal waits for the head
        assert await pacts.record_signature_decision(
            s, proposal, accepted=False, by=HEAD, now=NOW, note="Đề nghị giữ mức giao 140"
        )
        assert not await pacts.record_signature_decision(
            s, proposal, accepted=True, by=HEAD, now=NOW
        )
        later = NOW + timedelta(hours=1)
        resigned = await pacts.record_signature(s, pact, ids["yen-bai"], by=OFFICER, now=later)
        assert resigned is not None and resigned.id == proposal.id
        assert (resigned.state, resigned.proposed_targets, resigned.signed_at) == (
            pacts.SIGNED,
            None,
            later,
        )
        assert await pacts.count_signed(s, pact) == 2

        third = await pacts.record_signature(
            s, pact, ids["phu-tho"], by=OFFICER, now=later, targets=own
        )
        assert third is not None
        assert await pacts.record_signature_decision(s, third, accepted=True, by=HEAD, now=later)
        assert await pacts.count_signed(s, pact) == 3
        assert [x.department_id for x in await pacts.list_signatures(s, pact)] == [
            ids["bac-kan"],
            ids["yen-bai"],
            ids["phu-tho"],
        ]

        assert await pacts.close_pact(s, pact, now=later)
        assert not await pacts.close_pact(s, pact, now=later)
        assert await pacts.record_signature(s, pact, ids["hoa-binh"], by=OFFICER, now=later) is None


async def test_the_database_refuses_a_second_signature(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    ids = await _departments(db)
    async with db.session() as s:
        pact = await pacts.claim_pact_opening(s, CLUSTER, 2023, TABLES["pact"], by=HEAD, now=NOW)
        assert pact is not None and pact.id is not None
        await pacts.record_signature(s, pact, ids["bac-kan"], by=OFFICER, now=NOW)
        await s.commit()
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(
                PactSignature(
                    pact_id=pact.id,
                    department_id=ids["bac-kan"],
                    state="signed",
                    signed_by=OFFICER,
                    signed_at=NOW,
                )
            )
            await s.flush()


async def test_a_scoring_session_from_self_scores_to_locked_totals(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    ids = await _departments(db)
    bac_kan, yen_bai = ids["bac-kan"], ids["yen-bai"]
    async with db.session() as s:
        table = await pacts.get_scoring_table(s, CLUSTER)
        assert table is not None
        session = await scoring.claim_scoring_opening(
            s, CLUSTER, 2023, TABLES["scoring"], deadline=date(2024, 1, 20), by=HEAD, now=NOW
        )
        assert session is not None
        assert (
            await scoring.claim_scoring_opening(
                s, CLUSTER, 2023, {}, deadline=date(2024, 1, 20), by=HEAD, now=NOW
            )
            is None
        )
        assert scoring.scoring_snapshot(session) == table

        first = await scoring.record_self_score(
            s,
            session,
            bac_kan,
            "criterion",
            "ke-hoach-cong-tac",
            D(9),
            "Kế hoạch 12",
            by=OFFICER,
            now=NOW,
        )
        assert first is not None and first.revision == 1
        second = await scoring.record_self_score(
            s,
            session,
            bac_kan,
            "criterion",
            "ke-hoach-cong-tac",
            D("9.5"),
            "Kế hoạch 12/KH",
            by=OFFICER,
            now=NOW,
        )
        assert second is not None and second.id == first.id and second.revision == 2
        await scoring.record_self_score(
            s,
            session,
            bac_kan,
            "bonus",
            "mo-hinh-hay",
            D(2),
            "Mô hình một cửa",
            by=OFFICER,
            now=NOW,
        )
        evidence = await scoring.record_evidence(
            s,
            session,
            bac_kan,
            "criterion",
            "ke-hoach-cong-tac",
            file_name="ke-hoach-12.pdf",
            size=123_456,
            sha256="ab" * 32,
            telegram_file_id="BQACAgIAAxkBAAIB",
            by=OFFICER,
            now=NOW,
        )
        assert evidence is not None
        # Nothing is checked while the departments score themselves.
        assert (
            await scoring.record_adjustment(
                s,
                session,
                bac_kan,
                "criterion",
                "ke-hoach-cong-tac",
                D(8),
                "Thiếu",
                by=HEAD,
                now=NOW,
            )
            is None
        )

        assert not await scoring.record_session_state(s, session, scoring.LOCKED, now=NOW)
        assert await scoring.record_session_state(s, session, scoring.CHECKING, now=NOW)
        assert (
            await scoring.record_self_score(
                s, session, bac_kan, "criterion", "hoat-dong-cum", D(9), "Đủ", by=OFFICER, now=NOW
            )
            is None
        )
        assert (
            await scoring.record_evidence(
                s,
                session,
                bac_kan,
                "criterion",
                "x",
                file_name="a.pdf",
                size=1,
                sha256="0" * 64,
                telegram_file_id="f",
                by=OFFICER,
                now=NOW,
            )
            is None
        )
        # Chấm chéo: a department never checks itself.
        assert (
            await scoring.record_adjustment(
                s,
                session,
                bac_kan,
                "criterion",
                "ke-hoach-cong-tac",
                D(8),
                "Thiếu",
                by=OFFICER,
                now=NOW,
                checker_department_id=bac_kan,
            )
            is None
        )
        adjustment = await scoring.record_adjustment(
            s,
            session,
            bac_kan,
            "criterion",
            "ke-hoach-cong-tac",
            D(8),
            "Thiếu minh chứng",
            by=OFFICER,
            now=NOW,
            checker_department_id=yen_bai,
        )
        assert adjustment is not None
        assert await scoring.record_answer(
            s, session, adjustment, "Đã bổ sung", by=OFFICER, now=NOW
        )
        assert not await scoring.record_answer(
            s, session, adjustment, "Lần hai", by=OFFICER, now=NOW
        )
        assert await scoring.record_decision(s, session, adjustment, "upheld", by=HEAD, now=NOW)
        assert not await scoring.record_decision(
            s, session, adjustment, "withdrawn", by=HEAD, now=NOW
        )
        assert [a.id for a in await scoring.list_adjustments(s, session, bac_kan)] == [
            adjustment.id
        ]
        assert await scoring.list_adjustments(s, session, yen_bai) == []

        full = {c.id: c.max for c in table.criteria()}
        cards = {
            bac_kan: totals(
                table, "bac-kan", {**full, "ke-hoach-cong-tac": D(8)}, {"mo-hinh-hay": D(2)}
            ),
            yen_bai: totals(table, "yen-bai", full, {}, {"vang-hoi-nghi": D("0.5")}),
        }
        rows = await scoring.record_locked_totals(s, session, cards, by=HEAD, now=NOW)
        assert rows is not None and session.state == scoring.LOCKED and session.locked_at == NOW
        await s.commit()

    async with db.session() as s:
        session = await scoring.get_scoring_session(s, CLUSTER, 2023)
        assert session is not None and session.state == scoring.LOCKED
        # A locked session refuses every edit.
        assert (
            await scoring.record_self_score(
                s,
                session,
                bac_kan,
                "criterion",
                "ke-hoach-cong-tac",
                D(10),
                "Sửa",
                by=OFFICER,
                now=NOW,
            )
            is None
        )
        assert await scoring.record_locked_totals(s, session, cards, by=HEAD, now=NOW) is None
        assert not await scoring.record_session_state(s, session, scoring.OPEN, now=NOW)
        names = {bac_kan: "bac-kan", yen_bai: "yen-bai"}
        locked = [
            scoring.totals_of(row, names[row.department_id])
            for row in await scoring.list_locked_totals(s, session)
        ]
        assert sorted(locked, key=lambda t: t.department) == [cards[bac_kan], cards[yen_bai]]
        ranked = rank(locked, table.tie_break)
        assert [(r.rank, r.department, r.totals.total) for r in ranked] == [
            (1, "bac-kan", D("100.00")),  # 98 + 2 bonus
            (2, "yen-bai", D("99.50")),  # 100 - 0.5 deducted
        ]
        scores = await scoring.list_self_scores(s, session, bac_kan)
        assert [(x.kind, x.item, scoring.from_cents(x.points_cents)) for x in scores] == [
            ("criterion", "ke-hoach-cong-tac", D("9.50")),
            ("bonus", "mo-hinh-hay", D("2.00")),
        ]
        files = await scoring.list_evidence(s, session, bac_kan)
        assert [(f.file_name, f.size, f.sha256) for f in files] == [
            ("ke-hoach-12.pdf", 123_456, "ab" * 32)
        ]


def test_points_are_kept_as_exact_hundredths() -> None:
    assert scoring.to_cents(D("12.5")) == 1250
    assert scoring.from_cents(1250) == D("12.50")
    assert scoring.from_cents(scoring.to_cents(D("0.01"))) == D("0.01")
    with pytest.raises(ValueError):
        scoring.to_cents(D("0.001"))


async def test_a_second_opening_that_missed_the_first_is_refused_by_the_key(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two heads racing both find no pact for the year; the unique key lets one in, and the
    other's transaction goes on (only its savepoint is rolled back)."""
    await init_cluster(db, EXAMPLE)
    async with db.session() as s:
        assert await pacts.claim_pact_opening(s, CLUSTER, 2023, TABLES["pact"], by=HEAD, now=NOW)
        assert await scoring.claim_scoring_opening(
            s, CLUSTER, 2023, TABLES["scoring"], deadline=date(2024, 1, 20), by=HEAD, now=NOW
        )
        await s.commit()

    async def nothing_yet(*args: object) -> None:
        return None

    monkeypatch.setattr(pacts, "get_pact", nothing_yet)
    monkeypatch.setattr(scoring, "get_scoring_session", nothing_yet)
    async with db.session() as s:
        assert await pacts.claim_pact_opening(s, CLUSTER, 2023, {}, by=OFFICER, now=NOW) is None
        assert (
            await scoring.claim_scoring_opening(
                s, CLUSTER, 2023, {}, deadline=date(2024, 1, 20), by=OFFICER, now=NOW
            )
            is None
        )
        assert await pacts.claim_pact_opening(s, CLUSTER, 2024, {}, by=OFFICER, now=NOW)
        await s.commit()
    monkeypatch.undo()
    async with db.session() as s:
        first = await pacts.get_pact(s, CLUSTER, 2023)
        assert first is not None and first.opened_by == HEAD
        assert await pacts.get_pact(s, CLUSTER, 2024) is not None
