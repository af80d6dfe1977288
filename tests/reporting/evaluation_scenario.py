"""A hand-built two-semester scenario for the semester evaluation: Semester II 2025 (the
previous semester) and Semester I 2026, with ratings, met and breached clocks, a rahasia case
and reporters whose identity must never reach a public page."""

from __future__ import annotations

from tests.reporting.factories import add_cases, clock, make_case, reporter, wib

NAME, PHONE, NIK = "Made Arya Wibawa", "+6281398765432", "5102031203900002"
SECRET_TITLE = "Pungutan liar di sekolah dasar"


async def seed_two_semesters(db) -> dict:
    def resolved(received, opd, category, kecamatan, rating, **kw):
        return make_case(
            received,
            opd=opd,
            category=category,
            kecamatan=kecamatan,
            status="resolved",
            first_response_at=received.replace(day=received.day + 1),
            resolved_at=received.replace(day=received.day + 2),
            rating=rating,
            **kw,
        )

    c = {
        # Semester II 2025: 4 received, 2 resolved (1 within the deadline), 2 breaches,
        # ratings 4 and 2.
        "P1": resolved(wib(2025, 8, 4, 9), "DINKES", "KESEHATAN", "TABANAN", 4),
        "P2": make_case(
            wib(2025, 9, 1, 9), opd="DINKES", category="KESEHATAN", status="in_progress"
        ),
        "P3": resolved(wib(2025, 11, 3, 9), "PUPR", "JALAN", "KEDIRI", 2),
        "P4": make_case(wib(2025, 12, 31, 23, 59), opd="PUPR", category="JALAN"),
        # Semester I 2026: 7 received, 5 resolved (4 within the deadline), 2 breaches,
        # ratings 5, 4, 5, 3, 1.
        "C1": resolved(wib(2026, 1, 5, 9), "DINKES", "KESEHATAN", "TABANAN", 5),
        "C2": resolved(wib(2026, 2, 2, 9), "DINKES", "KESEHATAN", "TABANAN", 4),
        "C3": resolved(wib(2026, 3, 2, 9), "DINKES", "KESEHATAN", "MARGA", 5),
        "C4": resolved(wib(2026, 4, 6, 9), "DINKES", "KESEHATAN", "TABANAN", 3),
        "C5": resolved(wib(2026, 5, 4, 9), "PUPR", "JALAN", "KEDIRI", 1),
        "C6": make_case(
            wib(2026, 6, 1, 9),
            opd="PUPR",
            category="JALAN",
            kecamatan="KEDIRI",
            status="in_progress",
        ),
        "C7": make_case(
            wib(2026, 1, 1, 0, 0),
            opd="DISDIK",
            category="PENDIDIKAN",
            kecamatan="PENEBEL",
            status="disposed",
            confidential=True,
            title=SECRET_TITLE,
            description=SECRET_TITLE + " meminta uang",
        ),
        # Semester II 2026 from its first minute: in neither semester.
        "N1": make_case(wib(2026, 7, 1, 0, 0), opd="DINKES", category="KESEHATAN", rating=5),
    }
    await add_cases(db, list(c.values()))
    await add_cases(db, [reporter(case, name=NAME, phone=PHONE, nik=NIK) for case in c.values()])
    await add_cases(
        db,
        [
            clock(c["P1"], state="met"),
            clock(c["P2"], state="breached", breached=True),
            clock(c["P3"], state="breached", breached=True),
            *(clock(c[k], state="met") for k in ("C1", "C2", "C3", "C5")),
            clock(c["C4"], state="breached", breached=True),
            clock(c["C6"], state="breached", breached=True),
        ],
    )
    return c
