"""Routing: keyword matching, rules (refused when they could never match or would loop),
the dry run that explains, and the ``routing`` consumer (suggestion, auto-dispose, idempotent)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services.routing.rules.matching import Complaint, RuleView, decide, find_keywords, fold
from shared.models import Case, Category, Event, EventDelivery

# -- matching (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword", "hit"),
    [
        ("Jalan RUSAK parah di depan SD", "jalan rusak", True),
        ("jalan   rusak!", "jalan rusak", True),
        ("Jalanan licin", "jalan", False),  # whole words only
        ("jalan-jalan ke pasar", "jalan", True),
        ("Pelayanan e-KTP lambat", "e-ktp", True),
        ("Pelayanan E KTP lambat", "e-ktp", True),
        ("Pemeriksaan di puskésmas", "puskesmas", True),  # accents folded
        ("PUSKESMAS tutup", "Puskésmas", True),
        ("rusak jalan", "jalan rusak", False),  # phrase order matters
        ("", "jalan", False),
    ],
)
def test_keywords_are_whole_words_case_and_accent_insensitive(text, keyword, hit):
    assert bool(find_keywords(text, [keyword])) is hit


def test_fold_is_stable():
    assert fold("  Ｊａｌａｎ—Rusak  ") == "jalan rusak"  # NFKD turns full-width letters into ASCII


def test_first_matching_rule_wins_then_category_then_keywords_then_nothing():
    rules = [
        RuleView(2, "pasar", 2, {"keywords": ["pasar"]}, "DISPERINDAG"),
        RuleView(
            1,
            "kediri jalan",
            1,
            {"kecamatan": ["KEDIRI"], "keywords": ["jalan rusak"]},
            "PUPR",
            True,
        ),
    ]
    opds = {"PUPR": "PUPR", "DISPERINDAG": "Dagang", "DLH": "DLH"}
    cats = {"LINGKUNGAN": ("DLH", ["sampah"], False), "JALAN": ("PUPR", ["aspal"], False)}
    d = decide(
        Complaint("Jalan rusak dekat pasar", kecamatan="KEDIRI"),
        rules,
        active_opds=opds,
        categories=cats,
    )
    assert (d.source, d.opd_code, d.rule.id, d.matched_keywords, d.auto_dispose) == (
        "rule",
        "PUPR",
        1,
        ["jalan rusak"],
        True,
    )
    d = decide(
        Complaint("Jalan rusak dekat pasar", kecamatan="MARGA"),
        rules,
        active_opds=opds,
        categories=cats,
    )
    assert (d.source, d.opd_code) == ("rule", "DISPERINDAG")
    assert d.checks[0].failed_condition == "kecamatan"
    d = decide(Complaint("bau", category="LINGKUNGAN"), rules, active_opds=opds, categories=cats)
    assert (d.source, d.opd_code) == ("category", "DLH")
    d = decide(Complaint("Aspal mengelupas"), rules, active_opds=opds, categories=cats)
    assert (d.source, d.opd_code, d.category, d.auto_dispose) == (
        "category_keywords",
        "PUPR",
        "JALAN",
        False,
    )
    d = decide(Complaint("Terima kasih"), rules, active_opds=opds, categories=cats)
    assert (d.source, d.opd_code) == ("none", None)
    d = decide(Complaint("sampah di pasar"), rules, active_opds={"PUPR": "PUPR"}, categories=cats)
    assert d.source == "none" and "tidak aktif" in d.checks[1].note


# -- rules API ------------------------------------------------------------------------------------

RULE = {
    "name": "Jalan di Kediri",
    "conditions": {"kecamatan": "KEDIRI", "keywords": ["jalan rusak", "berlubang"]},
    "target_opd": "PUPR",
}


REFUSED = [
    ({"conditions": {}}, "rule_without_conditions"),
    ({"conditions": {"keywords": []}}, "condition_never_matches"),
    ({"conditions": {"keywords": ["!!"]}}, "condition_never_matches"),
    ({"conditions": {"kecamatan": "ATLANTIS"}}, "unknown_kecamatan"),
    ({"conditions": {"category": ["NOPE"]}}, "unknown_category"),
    ({"conditions": {"channel": "fax"}}, "unknown_channel"),
    ({"conditions": {"colour": "red"}}, "unknown_condition"),
    ({"target_opd": "NOPE"}, "unknown_opd"),
]


async def test_rules_that_could_never_match_or_loop_are_refused(client, admin_headers):
    for change, code in REFUSED:
        r = await client.post(
            "/admin/routing/rules", json={**RULE, **change}, headers=admin_headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code, change


async def test_rule_crud_reorder_shadowing_and_audit(client, admin_headers, auth, db):
    first = (await client.post("/admin/routing/rules", json=RULE, headers=admin_headers)).json()
    again = await client.post(
        "/admin/routing/rules", json={**RULE, "name": "copy"}, headers=admin_headers
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "rule_shadowed"
    second = (
        await client.post(
            "/admin/routing/rules",
            json={**RULE, "conditions": {"keywords": "pasar"}, "target_opd": "DISPERINDAG"},
            headers=admin_headers,
        )
    ).json()
    assert (first["position"], second["position"]) == (1, 2)
    r = await client.patch(
        f"/admin/routing/rules/{first['id']}",
        json={"active": False, "version": 1},
        headers=admin_headers,
    )
    assert r.json()["active"] is False and r.json()["version"] == 2
    stale = await client.patch(
        f"/admin/routing/rules/{first['id']}",
        json={"name": "x", "version": 1},
        headers=admin_headers,
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_mismatch"
    r = await client.post(
        "/admin/routing/rules/reorder",
        json={"ids": [second["id"], first["id"]]},
        headers=admin_headers,
    )
    assert [i["id"] for i in r.json()["items"]] == [second["id"], first["id"]]
    bad = await client.post(
        "/admin/routing/rules/reorder", json={"ids": [second["id"]]}, headers=admin_headers
    )
    assert bad.status_code == 422
    viewer = await auth("viewer")
    assert (await client.get("/admin/routing/rules", headers=viewer)).status_code == 200
    assert (await client.post("/admin/routing/rules", json=RULE, headers=viewer)).status_code == 403
    assert (
        await client.get("/admin/routing/rules", headers=await auth("opd", "PUPR"))
    ).status_code == 403
    async with db.session() as s:
        events = (
            await s.scalars(
                select(Event).where(Event.subject_type == "routing_rule").order_by(Event.id)
            )
        ).all()
    assert [e.type for e in events] == [
        "routing_rule.created",
        "routing_rule.created",
        "routing_rule.updated",
        "routing_rule.reordered",
    ]
    assert events[2].data["before"]["active"] is True and events[2].data["after"]["active"] is False


async def test_dry_run_explains_the_rule_and_keywords(client, admin_headers):
    await client.post("/admin/routing/rules", json=RULE, headers=admin_headers)
    r = await client.post(
        "/admin/routing/dry-run",
        json={"description": "Ada jalan BERLUBANG besar", "kecamatan": "KEDIRI"},
        headers=admin_headers,
    )
    body = r.json()
    assert (body["source"], body["opd"], body["rule"]["name"]) == (
        "rule",
        "PUPR",
        "Jalan di Kediri",
    )
    assert (
        body["matched_keywords"] == ["berlubang"]
        and body["matched_conditions"]["kecamatan"] == "KEDIRI"
    )
    assert "Jalan di Kediri" in body["reason"]
    r = await client.post(
        "/admin/routing/dry-run",
        json={"description": "Puskesmas tutup", "kecamatan": "MARGA"},
        headers=admin_headers,
    )
    body = r.json()
    assert (body["source"], body["opd"], body["category"]) == (
        "category_keywords",
        "DINKES",
        "KESEHATAN",
    )
    assert body["rules_checked"][0]["failed_condition"] == "kecamatan"
    body = (
        await client.post(
            "/admin/routing/dry-run", json={"description": "Halo"}, headers=admin_headers
        )
    ).json()
    assert (body["source"], body["opd"]) == ("none", None)


# -- the routing consumer -------------------------------------------------------------------------


async def test_consumer_suggests_and_auto_disposes_once(open_case, drain, db):
    async with db.session() as s:
        await s.execute(
            update(Category).where(Category.code == "LINGKUNGAN").values(auto_dispose=True)
        )
    manual = await open_case(description="Aspal jalan mengelupas")
    auto = await open_case(description="Sampah menumpuk", category_code="LINGKUNGAN")
    assert await drain("routing") == 2
    async with db.session() as s:
        m = await s.scalar(select(Case).where(Case.tracking_id == manual))
        a = await s.scalar(select(Case).where(Case.tracking_id == auto))
        assert (m.status, m.suggested_opd_code) == ("received", "PUPR")
        assert "JALAN" in m.suggestion_reason
        assert (a.status, a.opd_code, a.suggested_opd_code) == ("disposed", "DLH", "DLH")
        types = (
            await s.scalars(select(Event.type).where(Event.case_id == a.id).order_by(Event.id))
        ).all()
        assert types == ["case.received", "case.verified", "case.disposed"]
        actors = (
            await s.scalars(
                select(Event.actor_type).where(Event.case_id == a.id, Event.type != "case.received")
            )
        ).all()
        assert set(actors) == {"system"}
        # redelivery: put the routing deliveries back to pending and run again
        await s.execute(
            update(EventDelivery)
            .where(EventDelivery.consumer == "routing")
            .values(status="pending", locked_until=None)
        )
    assert await drain("routing") == 2
    async with db.session() as s:
        a = await s.scalar(select(Case).where(Case.tracking_id == auto))
        n = len((await s.scalars(select(Event).where(Event.case_id == a.id))).all())
    assert n == 3
