"""The emulation year through the services /pact, /score and /ranking call, on both engines:
the pact signed (with a department's own target accepted by the head), points computed from the
year's figures and rounds, self-scores and evidence within the table's bounds, checking by the
head and by peers (nobody checks itself), the one answer, the decision, the lock, the ranking;
and every refusal the state or the rules make."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.periods import parse_period
from bot.domain.scoring import ScoreRefused, Timeliness
from bot.services import emulation
from bot.services.admin import init_cluster
from storage import clusters, rounds, submissions
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 20, 2, 0, tzinfo=UTC)
TODAY = date(2024, 1, 20)
HEAD, OFFICER = 1001, 1002
D = Decimal


async def _year(db: Database) -> dict[str, int]:
    """The example cluster with 2023's rounds: Bắc Kạn on time everywhere with its full
    targets; Yên Bái late in Q3 and silent in Q4, 70 positions cut; the others silent."""
    async with db.session() as s:
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER) if d.id}
        indicators = {i.slug: i.id for i in await clusters.list_indicators(s, CLUSTER) if i.id}
        figures = {
            "bac-kan": {
                "tinh-gian-bien-che": "150",
                "kiem-tra-ky-luat": "17",
                "lop-dao-tao": "45",
                "csdl-can-bo": "100",
            },
            "yen-bai": {
                "tinh-gian-bien-che": "70",
                "kiem-tra-ky-luat": "20",
                "lop-dao-tao": "9",
                "csdl-can-bo": "92",
            },
        }
        for code in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2023"):
            period = parse_period(code)
            row = await rounds.open_round(
                s, CLUSTER, code, period.start, period.end + timedelta(days=15), HEAD, NOW
            )
            assert row.id is not None
            for slug, values in figures.items():
                if slug == "yen-bai" and code == "2023-Q4":
                    continue
                late = slug == "yen-bai" and code == "2023-Q3"
                stored: dict[int, str | None] = {}
                if code == "2023":
                    stored = {indicators[k]: v for k, v in values.items()}
                await submissions.save_revision(s, row.id, ids[slug], stored, OFFICER, late, 0, NOW)
        await s.commit()
    return ids


async def _refused(code: str, call: object) -> None:
    with pytest.raises(ScoreRefused) as refused:
        await call  # type: ignore[misc]  # each call is a coroutine
    assert refused.value.code == code, refused.value.params


async def test_the_year_from_the_pact_to_the_ranking(db: Database) -> None:
    await init_cluster(db, EXAMPLE)
    ids = await _year(db)
    bac_kan, yen_bai = ids["bac-kan"], ids["yen-bai"]
    async with db.session() as s:
        await _refused(
            "no_pact", emulation.sign_pact(s, CLUSTER, 2023, bac_kan, by=OFFICER, now=NOW)
        )
        await emulation.open_pact(s, CLUSTER, 2023, by=HEAD, now=NOW)
        await _refused("pact_exists", emulation.open_pact(s, CLUSTER, 2023, by=HEAD, now=NOW))
        await emulation.sign_pact(s, CLUSTER, 2023, bac_kan, by=OFFICER, now=NOW)
        await _refused(
            "already_signed", emulation.sign_pact(s, CLUSTER, 2023, bac_kan, by=OFFICER, now=NOW)
        )
        await _refused(
            "unknown_indicator",
            emulation.sign_pact(
                s, CLUSTER, 2023, yen_bai, by=OFFICER, now=NOW, targets={"ket-qua-noi-bat": D(1)}
            ),
        )
        await emulation.sign_pact(
            s, CLUSTER, 2023, yen_bai, by=OFFICER, now=NOW, targets={"tinh-gian-bien-che": D(100)}
        )
        progress = await emulation.pact_progress(s, CLUSTER, 2023)
        assert ([d.slug for d in progress.signed], [d.slug for d in progress.waiting]) == (
            ["bac-kan"],
            ["yen-bai"],
        )
        assert (len(progress.missing), progress.roll) == (5, 7)
        await emulation.decide_pact_proposal(
            s, CLUSTER, 2023, yen_bai, accepted=True, by=HEAD, now=NOW
        )
        await _refused(
            "not_waiting",
            emulation.decide_pact_proposal(
                s, CLUSTER, 2023, yen_bai, accepted=False, by=HEAD, now=NOW
            ),
        )
        assert len((await emulation.pact_progress(s, CLUSTER, 2023)).signed) == 2

        figures = await emulation.year_figures(s, CLUSTER, 2023, today=TODAY)
        assert figures[yen_bai].targets["tinh-gian-bien-che"] == 100  # its own, accepted
        assert figures[bac_kan].targets["tinh-gian-bien-che"] == 150
        assert figures[yen_bai].actuals["tinh-gian-bien-che"] == 70
        assert dict(figures[yen_bai].reports)["2023-Q3"] is Timeliness.LATE
        assert dict(figures[yen_bai].reports)["2023-Q4"] is Timeliness.MISSING
        assert set(dict(figures[bac_kan].reports).values()) == {Timeliness.ON_TIME}

        await _refused(
            "deadline_past",
            emulation.open_scoring(
                s, CLUSTER, 2023, date(2024, 1, 1), by=HEAD, now=NOW, today=TODAY
            ),
        )
        row = await emulation.open_scoring(
            s, CLUSTER, 2023, date(2024, 2, 15), by=HEAD, now=NOW, today=TODAY
        )
        await _refused(
            "scoring_exists",
            emulation.open_scoring(
                s, CLUSTER, 2023, date(2024, 2, 15), by=HEAD, now=NOW, today=TODAY
            ),
        )
        table = emulation.scoring.scoring_snapshot(row)
        assert emulation.computed_points(table, figures[bac_kan]) == {
            "tinh-gian-bien-che": D(15),
            "kiem-tra-ky-luat": D(7),  # 85%: the 80% step
            "dao-tao-boi-duong": D(10),
            "csdl-can-bo": D(15),
            "bao-cao-dung-han": D(10),
        }
        assert emulation.computed_points(table, figures[yen_bai]) == {
            "tinh-gian-bien-che": D("10.50"),  # 70 of its own 100
            "kiem-tra-ky-luat": D(10),
            "dao-tao-boi-duong": D(2),  # 9 of 45
            "csdl-can-bo": D(10),
            "bao-cao-dung-han": D(7),  # one late (1), one missing (2)
        }

        for criterion in (
            "ke-hoach-cong-tac",
            "hoat-dong-cum",
            "phong-trao-thi-dua",
            "cai-cach-hanh-chinh",
        ):
            await emulation.score_criterion(
                s, row, bac_kan, criterion, D(10), "Có văn bản", by=OFFICER, now=NOW
            )
            await emulation.score_criterion(
                s, row, yen_bai, criterion, D(9), "Có văn bản", by=OFFICER, now=NOW
            )
        await _refused(
            "over_max",
            emulation.score_criterion(
                s, row, bac_kan, "ke-hoach-cong-tac", D(11), "Vượt", by=OFFICER, now=NOW
            ),
        )
        await _refused(
            "not_self_scored",
            emulation.score_criterion(
                s, row, bac_kan, "tinh-gian-bien-che", D(15), "Tự chấm", by=OFFICER, now=NOW
            ),
        )
        await emulation.score_extra(
            s,
            row,
            bac_kan,
            "bonus",
            "khen-thuong-cap-tren",
            D(3),
            "Bằng khen của Thủ tướng",
            by=OFFICER,
            now=NOW,
        )
        await _refused(
            "over_max",
            emulation.score_extra(
                s, row, bac_kan, "bonus", "mo-hinh-hay", D(3), "Mô hình", by=OFFICER, now=NOW
            ),
        )
        await _refused(
            "justification_needed",
            emulation.score_extra(
                s, row, bac_kan, "bonus", "mo-hinh-hay", D(1), "  ", by=OFFICER, now=NOW
            ),
        )
        await _refused(
            "unknown_item",
            emulation.score_extra(
                s, row, bac_kan, "deduction", "mo-hinh-hay", D(1), "Sai mục", by=OFFICER, now=NOW
            ),
        )
        await emulation.score_extra(
            s,
            row,
            yen_bai,
            "deduction",
            "vang-hoi-nghi",
            D(1),
            "Vắng một buổi",
            by=OFFICER,
            now=NOW,
        )

        def attach(item: str = "ke-hoach-cong-tac", name: str = "ke-hoach.pdf", size: int = 2048):  # noqa: ANN202
            return emulation.attach_evidence(
                s,
                row,
                bac_kan,
                "criterion",
                item,
                file_name=name,
                size=size,
                sha256="c" * 64,
                telegram_file_id="BQAC",
                by=OFFICER,
                now=NOW,
            )

        await attach()
        await _refused("evidence_type", attach(name="x.exe"))
        await _refused("evidence_too_big", attach(size=30 * 2**20))
        await _refused("unknown_criterion", attach(item="khac"))

        await emulation.start_checking(s, row, now=NOW)
        await _refused(
            "not_open",
            emulation.score_criterion(
                s, row, bac_kan, "ke-hoach-cong-tac", D(9), "Sửa", by=OFFICER, now=NOW
            ),
        )
        assert await emulation.checker_of(s, row, bac_kan) is None  # the head checks
        cut = await emulation.adjust(
            s,
            row,
            bac_kan,
            "criterion",
            "ke-hoach-cong-tac",
            D(8),
            "Kế hoạch ban hành muộn",
            by=HEAD,
            now=NOW,
        )
        await _refused(
            "reason_needed",
            emulation.adjust(
                s, row, bac_kan, "criterion", "hoat-dong-cum", D(8), " ", by=HEAD, now=NOW
            ),
        )
        assert cut.id is not None
        await _refused(
            "not_yours",
            emulation.answer_adjustment(s, row, cut.id, yen_bai, "Không phải", by=OFFICER, now=NOW),
        )
        await emulation.answer_adjustment(
            s, row, cut.id, bac_kan, "Kế hoạch ban hành đúng hạn", by=OFFICER, now=NOW
        )
        await _refused(
            "answered",
            emulation.answer_adjustment(s, row, cut.id, bac_kan, "Lần hai", by=OFFICER, now=NOW),
        )
        await _refused("undecided", emulation.lock_scoring(s, row, by=HEAD, now=NOW, today=TODAY))
        await emulation.decide_adjustment(s, row, cut.id, upheld=True, by=HEAD, now=NOW)
        await _refused(
            "decided", emulation.decide_adjustment(s, row, cut.id, upheld=False, by=HEAD, now=NOW)
        )
        await _refused("not_locked", emulation.ranking(s, CLUSTER, 2023))

        ranked = await emulation.lock_scoring(s, row, by=HEAD, now=NOW, today=TODAY)
        await s.commit()
    # Bắc Kạn: 15 + 7 + 10 + 15 automatic, 10 on time, 8 (adjusted) + 10 + 10 + 10 self, +3.
    assert [(r.rank, r.department, r.totals.total) for r in ranked[:2]] == [
        (1, "bac-kan", D("98.00")),
        (2, "yen-bai", D("74.50")),  # 32.5 automatic, 7 timeliness, 36 self, -1
    ]
    assert {r.totals.total for r in ranked[2:]} == {D(0)}  # silent all year: nothing, tied
    assert {r.rank for r in ranked[2:]} == {3}
    async with db.session() as s:
        assert await emulation.ranking(s, CLUSTER, 2023) == ranked
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        await _refused(
            "locked",
            emulation.score_criterion(
                s, row, bac_kan, "ke-hoach-cong-tac", D(10), "Sửa", by=OFFICER, now=NOW
            ),
        )
        await _refused(
            "locked",
            emulation.adjust(
                s, row, bac_kan, "criterion", "ke-hoach-cong-tac", D(10), "Sửa", by=HEAD, now=NOW
            ),
        )


async def test_peers_check_in_rotation_and_never_themselves(db: Database, tmp_path: Path) -> None:
    peer = tmp_path / "peer.toml"
    peer.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('checking = "head"', 'checking = "peer"'),
        encoding="utf-8",
    )
    await init_cluster(db, peer)
    async with db.session() as s:
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER)}
        row = await emulation.open_scoring(
            s, CLUSTER, 2023, date(2024, 2, 15), by=HEAD, now=NOW, today=TODAY
        )
        await emulation.start_checking(s, row, now=NOW)
        bac_kan = ids["bac-kan"]
        assert bac_kan is not None
        assigned = await emulation.checker_of(s, row, bac_kan)
        assert assigned is not None and assigned != bac_kan
        checkers = [await emulation.checker_of(s, row, i) for i in ids.values() if i is not None]
        assert sorted(c for c in checkers if c is not None) == sorted(
            i for i in ids.values() if i is not None
        )
        other = next(i for i in ids.values() if i not in (bac_kan, assigned))
        adjust = emulation.adjust
        args = (s, row, bac_kan, "criterion", "ke-hoach-cong-tac", D(8), "Thiếu minh chứng")
        await _refused(
            "self_check", adjust(*args, by=OFFICER, now=NOW, checker_department_id=bac_kan)
        )
        await _refused(
            "not_your_check", adjust(*args, by=OFFICER, now=NOW, checker_department_id=other)
        )
        made = await adjust(*args, by=OFFICER, now=NOW, checker_department_id=assigned)
        assert made.checker_department_id == assigned
