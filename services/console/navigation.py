"""The console's menu per role, in one table: what each role's daily work is, and where
``/konsol/`` sends it. ``base.html`` renders :func:`menu_for`; the landing page is the
role's first entry (:func:`landing_for`).

The links of the administration (Admin Instansi) and operations (operator) pages are here
too, whoever builds the page behind them.
"""

from __future__ import annotations

from shared.lifecycle import Role

#: (label, href) per role, the landing page first. Account pages (session, password,
#: two-factor) are shared by everyone and follow in :data:`ACCOUNT`.
MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    Role.ADMIN_INSTANSI: (
        ("Antrian verifikasi", "/konsol/antrian"),
        ("Cari kasus", "/konsol/cari"),
        ("Laporan", "/konsol/laporan"),
        ("Papan pemantauan", "/admin/board"),
        ("Administrasi", "/konsol/admin/"),
        ("Operasi", "/konsol/operasi"),
    ),
    Role.OPD: (
        ("Kotak masuk", "/konsol/kotak-masuk"),
        ("Cari kasus", "/konsol/cari"),
        ("Laporan OPD", "/konsol/laporan"),
        ("Papan pemantauan", "/admin/board"),
    ),
    Role.APIP: (
        ("Rujukan APIP", "/konsol/rujukan"),
        ("Cari kasus", "/konsol/cari"),
    ),
    Role.VIEWER: (
        ("Laporan", "/konsol/laporan"),
        ("Peringkat OPD", "/konsol/laporan/peringkat"),
        ("Evaluasi semester", "/konsol/laporan/evaluasi"),
        ("Papan pemantauan", "/admin/board"),
        ("Sinkronisasi", "/konsol/operasi"),
        ("Cari kasus", "/konsol/cari"),
    ),
    Role.OPERATOR: (
        ("Operasi", "/konsol/operasi"),
        ("Papan pemantauan", "/admin/board"),
        ("Cari kasus", "/konsol/cari"),
        ("Akun teknis", "/konsol/admin/petugas"),
        ("Aplikasi & kunci API", "/konsol/admin/aplikasi"),
    ),
}
ACCOUNT: tuple[tuple[str, str], ...] = (
    ("Sesi saya", "/konsol/sesi"),
    ("Kata sandi", "/konsol/sandi"),
    ("Verifikasi dua langkah", "/konsol/dua-faktor"),
)


def menu_for(role: str) -> tuple[tuple[str, str], ...]:
    """The role's work pages (an unknown role: none)."""
    return MENUS.get(role, ())


def landing_for(role: str) -> str | None:
    """Where ``/konsol/`` sends the role: its first work page (None: stay on the home page)."""
    menu = menu_for(role)
    return menu[0][1] if menu else None
