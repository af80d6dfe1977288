"""The adapter reads every shape public integrations show [seen] (and our older ones):
detail logs with object or flat institutions, placeholder templates, statuses inside a
JSON string, status_logs; paged follow-ups with inferred authors; answers in no known
shape fail as transient errors with a redacted body."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from services.sync.lapor import LaporClient, LaporProfile, LaporTransientError, answers

BASE = "https://lapor.test/sandbox-konsolidasi/1.0"


@pytest.fixture
async def lapor():
    client = LaporClient(BASE, "key", "guid", timeout_s=2, rate_limit_per_s=0, retry_attempts=1)
    yield client
    await client.aclose()


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


SEEN_DETAIL = {
    "results": {
        "data": {
            "id": "4512",
            "status_code": 8,
            "status_name": "Dalam Proses",
            "disposition_id": 9001,
            "disposition_name": "Pemerintah Kabupaten Demo",
            "tags_raw": "#simpul-ABC123",
            "created_at": "17-08-2024 14:30:00",
            "status_logs": [
                {"note": "Diverifikasi", "timestamp": "17-08-2024 15:00:00"},
                {"note": "Diteruskan ke dinas teknis", "timestamp": "18-08-2024 08:00:00"},
            ],
        },
        "data_logs": [
            {
                "institution_from": {"id": 1, "name": "Admin Nasional"},
                "institution_to": {"id": 9001, "name": "Pemkab Demo"},
                "content": "Didisposisikan dari {{institution_from}} ke {{institution_to_link}}",
                "data": json.dumps(
                    {
                        "status_old": {"name": "Terverifikasi", "color": "#2196f3"},
                        "status_new": {"name": "Dalam Proses", "color": "#3f51b5"},
                    }
                ),
                "date": "18-08-2024 08:00:00",
            },
            {
                "institution_from_name": "Pemkab Demo",
                "institution_to_name": "Pelapor",
                "content": "Status {{status_old}} → {{status_new}} {{unknown_placeholder}}",
                "data": '{"status_old": null, "status_new": {"name": "Dalam Proses"}}',
                "date": "18-08-2024 09:00:00",
            },
        ],
    }
}


async def test_a_seen_detail_is_read_whole(lapor, api):
    api.get("/complaints/4512/complaint").respond(200, json=SEEN_DETAIL)
    complaint = await lapor.get_complaint(4512)
    assert complaint.complaint_id == 4512 and complaint.status_code == 8
    assert complaint.simpul_status == "in_progress"  # by name
    assert complaint.status_reason == "Diteruskan ke dinas teknis"
    first, second = complaint.logs
    assert (first.institution_from, first.institution_from_id) == ("Admin Nasional", 1)
    assert first.content == "Didisposisikan dari Admin Nasional ke Pemkab Demo"
    assert (first.status_old, first.status_new) == ("Terverifikasi", "Dalam Proses")
    assert (second.institution_from, second.institution_to) == ("Pemkab Demo", "Pelapor")
    assert second.content == "Status → Dalam Proses"  # no {{…}} reaches a person
    assert second.status_old is None


def item(followup_id: int, **fields) -> dict:
    return {"id": followup_id, "content": f"isi {followup_id}", "created_at": None, **fields}


async def test_follow_ups_are_read_to_the_last_page(lapor, api):
    pages = {
        "1": {"data": [item(1), item(2)], "next_page_url": f"{BASE}/complaints/7/followups?page=2"},
        "2": {"data": [item(3)], "next_page_url": f"{BASE}/complaints/7/followups?page=3"},
        "3": {
            "data": [item(4, attachments=[{"path": "/s/a.jpg", "file_name": "a.jpg"}])],
            "next_page_url": None,
        },
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": pages[request.url.params["page"]]})

    route = api.get("/complaints/7/followups").mock(side_effect=answer)
    followups = await lapor.get_followups(7)
    assert [f.followup_id for f in followups] == [1, 2, 3, 4]
    assert route.call_count == 3
    assert [(a.path, a.file_name) for a in followups[-1].attachments] == [("/s/a.jpg", "a.jpg")]


PROFILE = LaporProfile(
    reply_template_code="reply_demo", reporter_template_codes=frozenset({"pelapor"})
)


@pytest.mark.parametrize(
    ("fields", "author"),
    [
        ({"template_code": "reply_demo", "institution_from_name": "Pemkab Demo"}, "instansi"),
        ({"template_code": "reply_demo"}, "instansi"),  # ours, even without a name
        (
            {"institution_from_name": "Dinas PU Provinsi", "template_code": "disposition"},
            "instansi",
        ),
        ({"institution_from": {"id": 3, "name": "Kemenkes"}}, "instansi"),
        ({}, "reporter"),  # no institution, no template
        ({"template_code": "pelapor"}, "reporter"),  # the reporter's own template
        ({"template_code": "pelapor", "institution_from_name": "Pemkab"}, "unknown"),  # disagree
        ({"template_code": "disposition"}, "unknown"),  # a template, no institution
        ({"from": "pelapor", "institution_from_name": "x"}, "reporter"),  # older explicit field
    ],
)
def test_who_wrote_a_follow_up_is_inferred_by_the_rule_table(fields, author):
    assert answers.followup_author(item(1, **fields), PROFILE) == author


def test_the_rules_never_make_an_instansi_reply_the_reporters():
    for fields in ({"institution_from_name": "A"}, {"institution_from": {"id": 2, "name": "B"}}):
        for template in (None, "", "disposition", "pelapor", "reply_demo"):
            got = answers.followup_author(item(1, template_code=template, **fields), PROFILE)
            assert got != "reporter"


@pytest.mark.parametrize(
    "body",
    [{"results": {"items": []}}, {"data": []}, ["not", "an", "object"], {"results": {"data": 3}}],
)
async def test_an_answer_in_no_known_shape_is_transient_and_kept_redacted(lapor, api, body):
    api.get("/complaints/7/followups").respond(200, json=body)
    with pytest.raises(LaporTransientError) as caught:
        await lapor.get_followups(7)
    assert caught.value.redacted_body


def test_a_redacted_body_hides_identities_and_is_short():
    body = {"nameUser": "Budi", "phoneUser": "081234567890", "text": "NIK 3201234567890001 " * 300}
    shown = answers.redacted_body(body)
    assert "Budi" not in shown and "081234567890" not in shown and "3201234567890001" not in shown
    assert len(shown) <= answers.REDACTED_BODY_MAX


async def test_a_create_answer_in_no_known_shape_is_uncertain_with_the_body(lapor, api):
    from services.sync.lapor import CaseForLapor, LaporUncertainOutcome

    api.post("/complaints/complaint").respond(200, json={"results": {"saved": True}})
    with pytest.raises(LaporUncertainOutcome) as caught:
        await lapor.create_complaint(CaseForLapor(tracking_id="ABC", title="t", description="d"))
    assert "saved" in str(caught.value)


def test_a_category_map_is_proposed_from_the_masters_list(tmp_path):
    from services.sync.lapor import LaporCategory
    from services.sync.lapor.categories import category_map_csv, propose_category_map
    from services.sync.lapor.profile import load_category_map

    national = [
        LaporCategory(436, "Jalan dan Jembatan"),
        LaporCategory(15, "Kesehatan"),
        LaporCategory(20, "Pendidikan Dasar"),
        LaporCategory(21, "Pendidikan Tinggi"),
    ]
    simpul = [
        ("JALAN", "jalan dan  jembatan"),
        ("KESEHATAN", "Kesehatan Masyarakat"),
        ("PENDIDIKAN", "Pendidikan"),
        ("BENCANA", "Bencana"),
    ]
    proposed = propose_category_map(simpul, national)
    assert proposed == {"JALAN": 436, "KESEHATAN": 15}  # "Pendidikan" is ambiguous: left out
    path = tmp_path / "map.csv"
    path.write_text(category_map_csv(proposed), encoding="utf-8")
    assert load_category_map(path) == proposed
