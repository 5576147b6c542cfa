"""Sample data shared by the summary tests: the seven-province cluster of the report."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.summary import (
    DepartmentInfo,
    IndicatorInfo,
    PeriodData,
    Report,
    Summary,
    build_summary,
)

PROVINCES = [
    ("bac-kan", "Sở Nội vụ Bắc Kạn", "Bac Kan Home Affairs"),
    ("bac-giang", "Sở Nội vụ Bắc Giang", "Bac Giang Home Affairs"),
    ("thai-nguyen", "Sở Nội vụ Thái Nguyên", "Thai Nguyen Home Affairs"),
    ("hoa-binh", "Sở Nội vụ Hòa Bình", "Hoa Binh Home Affairs"),
    ("yen-bai", "Sở Nội vụ Yên Bái", "Yen Bai Home Affairs"),
    ("phu-tho", "Sở Nội vụ Phú Thọ", "Phu Tho Home Affairs"),
    ("tuyen-quang", "Sở Nội vụ Tuyên Quang", "Tuyen Quang Home Affairs"),
]
DEPARTMENTS = [
    DepartmentInfo(id=i + 1, slug=slug, name=name, name_en=name_en)
    for i, (slug, name, name_en) in enumerate(PROVINCES)
]

STAFF = IndicatorInfo(
    101, "tinh-gian", "Số trường hợp tinh giản biên chế", "Staff positions cut", "integer",
    "người", "people", "sum",
)  # fmt: skip
INSPECTED = IndicatorInfo(
    102, "kiem-tra",
    "Số cơ quan, đơn vị được kiểm tra kỷ luật, kỷ cương, đạo đức công vụ, văn hóa công sở",
    "Agencies inspected for discipline & ethics", "integer", "cơ quan", "agencies", "sum",
)  # fmt: skip
CLASSES = IndicatorInfo(
    103, "lop-dao-tao", "Số lớp đào tạo, bồi dưỡng cán bộ, công chức, viên chức",
    "Training classes held", "integer", "lớp", "classes", "sum",
)  # fmt: skip
DATABASE = IndicatorInfo(
    104, "csdl", "Hoàn thành nhập CSDL cán bộ, công chức, viên chức",
    "Civil-servant database complete", "boolean", "", "", "count",
)  # fmt: skip
RATE = IndicatorInfo(
    105, "ty-le-so-hoa", "Tỷ lệ hồ sơ được số hóa", "Records digitised", "percent",
    "%", "%", "average", required=False,
)  # fmt: skip
RESULTS = IndicatorInfo(106, "ket-qua", "Kết quả chủ yếu", "Main results", "text", aggregate="none")
TASKS = IndicatorInfo(
    107, "de-xuat", "Đề xuất nhiệm vụ", "Proposed tasks", "text", aggregate="none", required=False
)
INDICATORS = [STAFF, INSPECTED, CLASSES, DATABASE, RATE, RESULTS, TASKS]

STAFF_2023 = [180, 205, 170, 160, 150, 168, 170]  # 1.203
INSPECTED_2023 = [25, 30, 22, 28, 20, 26, 24]  # 175
CLASSES_2023 = [50, 55, 48, 52, 45, 46, 50]  # 346
DB_2023 = ["true", "true", "false", "true", "true", "true", "false"]
RATE_2023 = ["90", "87.5", "100", None, "75.25", "80", "95"]

AT = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)


def report(dept: int, values: dict[int, str | None], late: bool = False, rev: int = 1) -> Report:
    return Report(
        department_id=dept,
        values=values,
        revision=rev,
        submitted_at=AT,
        first_submitted_at=AT,
        late=late,
        submitted_by=1000 + dept,
    )


def full_year_reports(
    skip: tuple[int, ...] = (), late: tuple[int, ...] = (), scale: int = 1
) -> dict[int, Report]:
    """The 2023 reports; ``skip`` leaves departments out, ``scale`` multiplies the counts."""
    reports = {}
    for i, dept in enumerate(DEPARTMENTS):
        if dept.id in skip:
            continue
        reports[dept.id] = report(
            dept.id,
            {
                STAFF.id: str(STAFF_2023[i] * scale),
                INSPECTED.id: str(INSPECTED_2023[i] * scale),
                CLASSES.id: str(CLASSES_2023[i] * scale),
                DATABASE.id: DB_2023[i],
                RATE.id: RATE_2023[i],
                RESULTS.id: f"Hoàn thành tinh giản theo kế hoạch tại {dept.name} & các đơn vị <trực thuộc>.",
                TASKS.id: "Tiếp tục số hóa hồ sơ." if i % 2 == 0 else None,
            },
            late=dept.id in late,
        )
    return reports


def sample_summary(
    skip: tuple[int, ...] = (5,),
    late: tuple[int, ...] = (3,),
    previous: bool = True,
    year_ago: bool = True,
) -> Summary:
    """Quarter IV/2023 with Yên Bái missing and Thái Nguyên late by default."""
    return build_summary(
        cluster_id="trung-du",
        cluster_name="Cụm thi đua các Sở Nội vụ Trung du và miền núi phía Bắc",
        cluster_name_en="Home Affairs cluster, Northern Midlands and Mountains",
        departments=DEPARTMENTS,
        indicators=INDICATORS,
        current=PeriodData(
            "2023-Q4", full_year_reports(skip, late), deadline=date(2024, 1, 15), state="closed"
        ),
        previous=PeriodData("2023-Q3", full_year_reports(scale=1)) if previous else None,
        year_ago=PeriodData("2022-Q4", full_year_reports(scale=2)) if year_ago else None,
        generated_at=datetime(2024, 1, 16, 2, 30, tzinfo=UTC),
    )


def big_summary(departments: int = 34, indicators: int = 60, narrative: bool = True) -> Summary:
    """A large cluster: long department names, every indicator type, some departments missing."""
    depts = [
        DepartmentInfo(
            id=i + 1,
            slug=f"so-{i + 1}",
            name=f"Sở Nội vụ {PROVINCES[i % 7][1][10:]} & vùng lân cận số {i + 1}",
            name_en=f"Home Affairs Department no. {i + 1}",
        )
        for i in range(departments)
    ]
    kinds = ["integer", "decimal", "percent", "boolean", "choice"]
    inds = []
    for j in range(indicators):
        kind = kinds[j % len(kinds)]
        rule = {"boolean": "count", "choice": "none", "percent": "average"}.get(kind, "sum")
        inds.append(
            IndicatorInfo(
                1000 + j,
                f"chi-tieu-{j}",
                f"Chỉ tiêu số {j} <đo lường> kết quả công tác",
                f"Indicator {j}",
                kind,
                "người",
                "people",
                rule,
                choices=("Đạt", "Không đạt", "Hoàn thành xuất sắc") if kind == "choice" else (),
            )  # fmt: skip
        )
    if narrative:
        inds.append(IndicatorInfo(5000, "ket-qua", "Kết quả chủ yếu", "Main results", "text",
                                  aggregate="none"))  # fmt: skip

    def value(kind: str, i: int, j: int) -> str | None:
        if (i + j) % 17 == 0:
            return None
        if kind == "integer":
            return str(1000 * i + j)
        if kind == "decimal":
            return f"{i}.{j % 10}5"
        if kind == "percent":
            return str((i * 7 + j) % 100)
        if kind == "boolean":
            return "true" if (i + j) % 3 else "false"
        return ("Đạt", "Không đạt", "Hoàn thành xuất sắc")[(i + j) % 3]

    reports = {}
    for i, dept in enumerate(depts):
        if i % 11 == 5:
            continue  # missing
        values = {ind.id: value(ind.type, i, j) for j, ind in enumerate(inds) if ind.type != "text"}
        if narrative:
            values[5000] = ("Kết quả nổi bật của đơn vị trong kỳ: " * 40).strip()
        reports[dept.id] = report(dept.id, values, late=i % 7 == 3)
    previous = {k: report(k, {ind.id: "1" for ind in inds}) for k in reports}
    return build_summary(
        cluster_id="lon",
        cluster_name="Cụm thi đua lớn",
        cluster_name_en="Large cluster",
        departments=depts,
        indicators=inds,
        current=PeriodData("2023-Q4", reports, deadline=date(2024, 1, 15), state="open"),
        previous=PeriodData("2023-Q3", previous),
        year_ago=PeriodData("2022-Q4", previous),
        generated_at=AT,
    )
