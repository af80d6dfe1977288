"""Open311 GeoReport v2 at /open311/v2, exercised as a small generic Open311 client would:
list services (XML), post a request (form-encoded, api_key), read it back (XML and JSON),
follow its updates — and never see who reported it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.db import Database
from shared.events import emit
from shared.models import Attachment, Case, CaseMessage, Reporter, utcnow

BASE = "/open311/v2"
NAME_FIRST, NAME_LAST = "Siti", "Rahmawati"
PHONE_RAW, PHONE_E164 = "0812-3456-7890", "+6281234567890"
EMAIL = "siti.rahmawati@example.com"
SECRET_BITS = (NAME_FIRST, NAME_LAST, "3456", "6281234567890", EMAIL, "siti.rahmawati")


def xml_records(response: httpx.Response, root: str, item: str) -> list[dict[str, str | None]]:
    """What a generic client does with an XML answer: one dict of child texts per item."""
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    doc = ET.fromstring(response.content)
    assert doc.tag == root
    return [{child.tag: child.text for child in node} for node in doc.findall(item)]


def assert_error(response: httpx.Response, fmt: str, status: int) -> str:
    """The spec's error array, in the asked format; returns the description."""
    assert response.status_code == status, response.text
    assert '"error":{' not in response.text.replace(" ", "")
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list) and body[0]["code"] == status
        return body[0]["description"]
    [error] = xml_records(response, "errors", "error")
    assert error["code"] == str(status)
    return error["description"] or ""


def request_form(key: str, **overrides: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "api_key": key,
        "service_code": "ADMINDUK",
        "lat": "-3.8012",
        "long": "114.7634",
        "address_string": "Jl. A. Yani km 5, Pelaihari",
        "description": "Pembuatan KTP-el sudah 3 bulan belum selesai.",
        "first_name": NAME_FIRST,
        "last_name": NAME_LAST,
        "phone": PHONE_RAW,
        "email": EMAIL,
        "device_id": "dev-77",
        "account_id": "acc-42",
        "media_url": "https://cdn.example.org/foto/ktp.jpg",
        "attribute[kelurahan]": "Angsau",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def post_request(
    client: httpx.AsyncClient, key: str, fmt: str = "json", **overrides: str | None
) -> httpx.Response:
    return await client.post(f"{BASE}/requests.{fmt}", data=request_form(key, **overrides))


async def count_cases(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Case))


async def test_discovery_names_this_endpoint_in_both_formats(client: httpx.AsyncClient) -> None:
    as_json = (await client.get(f"{BASE}/discovery.json")).json()
    [endpoint] = as_json["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://pengaduan.example.go.id/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert as_json["changeset"] and as_json["contact"] and as_json["key_service"]

    response = await client.get(f"{BASE}/discovery.xml")
    doc = ET.fromstring(response.content)
    assert doc.tag == "discovery"
    assert doc.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert [f.text for f in doc.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]


async def test_a_client_lists_services_as_xml_and_json(client: httpx.AsyncClient) -> None:
    services = xml_records(await client.get(f"{BASE}/services.xml"), "services", "service")
    by_code = {s["service_code"]: s for s in services}
    adminduk = by_code["ADMINDUK"]
    assert adminduk["service_name"] == "Administrasi Kependudukan"
    assert adminduk["type"] == "realtime" and adminduk["metadata"] == "false"
    assert "ktp" in (adminduk["keywords"] or "") and adminduk["group"]

    as_json = (await client.get(f"{BASE}/services.json")).json()
    assert {s["service_code"] for s in as_json} == set(by_code)
    assert next(s for s in as_json if s["service_code"] == "ADMINDUK")["metadata"] is False

    # Without an extension: XML, the spec's default format.
    bare = await client.get(f"{BASE}/services")
    assert [s["service_code"] for s in xml_records(bare, "services", "service")] == list(by_code)


async def test_service_definition_and_unknown_code(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{BASE}/services/ADMINDUK.json")).json() == {
        "service_code": "ADMINDUK",
        "attributes": [],
    }
    doc = ET.fromstring((await client.get(f"{BASE}/services/ADMINDUK.xml")).content)
    assert doc.tag == "service_definition" and doc.findtext("service_code") == "ADMINDUK"
    for fmt in ("json", "xml"):
        assert "NOPE" in assert_error(await client.get(f"{BASE}/services/NOPE.{fmt}"), fmt, 404)


async def test_a_client_posts_a_request_and_reads_it_back(
    client: httpx.AsyncClient, api_key: str, db: Database
) -> None:
    created = await post_request(client, api_key)
    assert created.status_code == 201, created.text
    [answer] = created.json()
    tracking_id = answer["service_request_id"]
    assert answer["account_id"] is None
    assert tracking_id in answer["service_notice"] and "3 hari kerja" in answer["service_notice"]

    # The case is an ordinary Simpul case; the reporter is stored apart, phone normalised.
    async with db.session() as session:
        case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
        assert case.channel == "open311" and case.category_code == "ADMINDUK" and case.client_app_id
        assert (case.lat, case.lon) == (-3.8012, 114.7634)
        reporter = await session.get(Reporter, case.id)
        assert (reporter.name, reporter.phone, reporter.email) == (
            f"{NAME_FIRST} {NAME_LAST}",
            PHONE_E164,
            EMAIL,
        )
        [media] = (
            await session.scalars(select(Attachment).where(Attachment.case_id == case.id))
        ).all()
        assert media.url == "https://cdn.example.org/foto/ktp.jpg" and media.storage_key is None

    [as_xml] = xml_records(
        await client.get(f"{BASE}/requests/{tracking_id}.xml"), "service_requests", "request"
    )
    [as_json] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert as_xml["service_request_id"] == as_json["service_request_id"] == tracking_id
    assert as_json["status"] == "open" and as_xml["status"] == "open"
    assert (
        as_json["service_code"] == "ADMINDUK"
        and as_json["service_name"] == "Administrasi Kependudukan"
    )
    # Not yet verified: the citizen's own words are not published (they may name themselves).
    assert "Pembuatan KTP-el" not in created.text + str(as_json)
    assert "diverifikasi" in as_json["description"]
    assert as_json["address"] == "Jl. A. Yani km 5, Pelaihari"
    assert (as_json["lat"], as_json["long"]) == (-3.8012, 114.7634)
    assert as_json["media_url"] == "https://cdn.example.org/foto/ktp.jpg"
    assert as_json["agency_responsible"] is None  # not yet disposed
    assert "3 hari kerja" in as_json["service_notice"]
    assert as_json["requested_datetime"].endswith("+07:00")
    # Verification deadline: the end of the 3rd working day, 23:59:59 WIB.
    assert as_json["expected_datetime"].endswith("T23:59:59+07:00")
    assert as_json["expected_datetime"] > as_json["requested_datetime"]

    # Case-insensitive ids, as typed; the list by id; the token lookup.
    [lower] = (await client.get(f"{BASE}/requests/{tracking_id.lower()}.json")).json()
    assert lower["service_request_id"] == tracking_id
    listed = (
        await client.get(
            f"{BASE}/requests.json", params={"service_request_id": f"{tracking_id},XXXXXXXX"}
        )
    ).json()
    assert [r["service_request_id"] for r in listed] == [tracking_id]
    [token] = (await client.get(f"{BASE}/tokens/{tracking_id}.json")).json()
    assert token == {"service_request_id": tracking_id, "token": tracking_id}

    # No reporter data in any public answer, in any format.
    answers = [
        await client.get(f"{BASE}/requests/{tracking_id}.xml"),
        await client.get(f"{BASE}/requests/{tracking_id}.json"),
        await client.get(f"{BASE}/requests.json"),
        await client.get(f"{BASE}/requests.xml"),
        await client.get(f"{BASE}/tokens/{tracking_id}.xml"),
        await client.get(f"{BASE}/servicerequestupdates.json"),
    ]
    for response in answers:
        assert response.status_code == 200
        for bit in SECRET_BITS:
            assert bit not in response.text, (bit, str(response.url))
        assert "acc-42" not in response.text and "dev-77" not in response.text


async def test_api_key_may_come_as_header_and_answer_as_xml(
    client: httpx.AsyncClient, api_key: str
) -> None:
    form = request_form("")
    del form["api_key"]
    response = await client.post(f"{BASE}/requests.xml", data=form, headers={"X-API-Key": api_key})
    assert response.status_code == 201
    [answer] = xml_records(response, "service_requests", "request")
    assert answer["service_request_id"] and answer["account_id"] is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_input_is_an_error_array_and_stores_nothing(
    client: httpx.AsyncClient, api_key: str, db: Database, fmt: str
) -> None:
    cases = [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "smp_not-a-key"}, 403, "api_key"),
        ({"service_code": "NOPE"}, 400, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None, "address_string": None}, 400, "location"),
        ({"lat": "-3.8", "long": None, "address_string": None}, 400, "lat and long"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "abc"}, 400, "lat"),
        ({"phone": "12345"}, 400, "phone"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"description": None}, 400, "description"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
    ]
    for overrides, status, hint in cases:
        response = await post_request(client, api_key, fmt, **overrides)
        assert hint in assert_error(response, fmt, status), (overrides, response.text)
    assert_error(await client.get(f"{BASE}/requests/XXXXXXXX.{fmt}"), fmt, 404)
    assert_error(await client.get(f"{BASE}/requests/not-an-id.{fmt}"), fmt, 404)
    assert_error(await client.get(f"{BASE}/tokens/XXXXXXXX.{fmt}"), fmt, 404)
    assert_error(await client.get(f"{BASE}/requests.{fmt}", params={"status": "pending"}), fmt, 400)
    assert_error(
        await client.get(f"{BASE}/requests.{fmt}", params={"start_date": "kemarin"}), fmt, 400
    )
    assert_error(await client.get(f"{BASE}/requests.{fmt}", params={"page_size": "5000"}), fmt, 400)
    assert_error(
        await client.get(
            f"{BASE}/servicerequestupdates.{fmt}",
            params={
                "start_date": "2026-02-01T00:00:00+07:00",
                "end_date": "2026-01-01T00:00:00+07:00",
            },
        ),
        fmt,
        400,
    )
    assert_error(await client.get(f"{BASE}/no-such-thing.{fmt}"), fmt, 404)
    assert_error(await client.delete(f"{BASE}/requests.{fmt}"), fmt, 405)
    assert await count_cases(db) == 0


async def test_unsupported_format_is_a_400_in_xml(client: httpx.AsyncClient) -> None:
    assert "format" in assert_error(await client.get(f"{BASE}/services.csv"), "xml", 400)


async def test_list_filters_by_status_service_date_and_pages(
    client: httpx.AsyncClient, api_key: str, db: Database
) -> None:
    ids = []
    for code in ("ADMINDUK", "KESEHATAN", "KESEHATAN"):
        ids.append(
            (await post_request(client, api_key, service_code=code)).json()[0]["service_request_id"]
        )
    async with db.session() as session:
        done = await session.scalar(select(Case).where(Case.tracking_id == ids[2]))
        done.status, done.resolved_at = "resolved", utcnow()

    async def listed(**params: str) -> list[str]:
        response = await client.get(f"{BASE}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert set(await listed()) == set(ids)
    assert await listed(status="closed") == [ids[2]]
    assert set(await listed(status="open")) == {ids[0], ids[1]}
    assert set(await listed(service_code="KESEHATAN")) == {ids[1], ids[2]}
    assert set(await listed(service_code="KESEHATAN", status="open")) == {ids[1]}
    now = utcnow()
    assert await listed(end_date=(now - timedelta(days=1)).isoformat()) == []
    assert set(await listed(start_date=(now - timedelta(hours=1)).isoformat())) == set(ids)
    pages = [await listed(page_size="2", page=str(p)) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 1, 0] and set(pages[0] + pages[1]) == set(ids)
    [closed] = (await client.get(f"{BASE}/requests/{ids[2]}.json")).json()
    assert closed["status"] == "closed" and closed["expected_datetime"] is None


async def test_updates_carry_opd_replies_and_status_changes_never_notes(
    client: httpx.AsyncClient,
    api_key: str,
    db: Database,
) -> None:
    tracking_id = (await post_request(client, api_key)).json()[0]["service_request_id"]
    async with db.session() as session:
        case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
        case.status, case.opd_code, case.disposed_at, case.sla_class = (
            "disposed",
            "DUKCAPIL",
            utcnow(),
            "non_lapangan",
        )
        await emit(session, "case.disposed", SYSTEM, case_id=case.id, data={"opd": "DUKCAPIL"})
    [disposed] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert disposed["agency_responsible"] and disposed["status"] == "open"
    assert disposed["expected_datetime"] > disposed["requested_datetime"]

    async with db.session() as session:
        case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
        session.add(
            CaseMessage(
                case_id=case.id,
                kind="internal_note",
                body="CATATAN INTERNAL: cek ulang",
                author_type="ops",
                author_name="Budi Petugas",
            )
        )
        reply = CaseMessage(
            case_id=case.id,
            kind="reply",
            body="KTP-el Anda sudah dicetak dan dapat diambil.",
            final=True,
            author_type="ops",
            author_name="Budi Petugas",
        )
        session.add(reply)
        await session.flush()
        session.add(
            Attachment(
                case_id=case.id,
                message_id=reply.id,
                filename="bukti.jpg",
                url="https://cdn.example.org/bukti.jpg",
            )
        )
        case.status, case.resolved_at = "resolved", utcnow()
        await emit(session, "case.resolved", SYSTEM, case_id=case.id)

    response = await client.get(
        f"{BASE}/servicerequestupdates.json", params={"service_request_id": tracking_id}
    )
    updates = response.json()
    descriptions = [u["description"] for u in updates]
    assert descriptions[0] == f"Laporan diteruskan ke {disposed['agency_responsible']}."
    assert "KTP-el Anda sudah dicetak dan dapat diambil." in descriptions
    assert [u["status"] for u in updates][-1] == "closed"
    reply_update = next(u for u in updates if u["description"].startswith("KTP-el"))
    assert (
        reply_update["status"] == "closed"
        and reply_update["media_url"] == "https://cdn.example.org/bukti.jpg"
    )
    assert {u["service_request_id"] for u in updates} == {tracking_id}
    assert len({u["update_id"] for u in updates}) == len(updates)
    assert all(u["updated_datetime"].endswith("+07:00") for u in updates)
    assert "INTERNAL" not in response.text and "Budi" not in response.text

    as_xml = xml_records(
        await client.get(
            f"{BASE}/servicerequestupdates.xml",
            params={"start_date": (utcnow() - timedelta(hours=1)).isoformat()},
        ),
        "service_request_updates",
        "request_update",
    )
    assert [u["update_id"] for u in as_xml] == [u["update_id"] for u in updates]
    [resolved] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert (
        resolved["status"] == "closed" and resolved["status_notes"] == "Laporan telah diselesaikan."
    )
    assert_error(
        await client.get(
            f"{BASE}/servicerequestupdates.json", params={"service_request_id": "XXXXXXXX"}
        ),
        "json",
        404,
    )


async def test_confidential_case_shows_only_id_status_and_service(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel="web",
                description="Pungli di loket RAHASIA-ISI",
                category_code="ADMINDUK",
                confidential=True,
                address="Jl. Rahasia 9",
                lat=-3.8,
                lon=114.7,
                reporter=ReporterInput(channel="web", name="Pelapor Rahasia"),
            ),
            SYSTEM,
        )
        session.add(
            CaseMessage(
                case_id=case.id, kind="reply", body="Jawaban RAHASIA-JAWAB", author_type="ops"
            )
        )
        tracking_id = case.tracking_id
    [one] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert one == {
        "service_request_id": tracking_id,
        "status": "open",
        "service_name": "Administrasi Kependudukan",
        "service_code": "ADMINDUK",
    }
    for url in (
        f"{BASE}/requests/{tracking_id}.xml",
        f"{BASE}/requests.json",
        f"{BASE}/servicerequestupdates.xml",
    ):
        text = (await client.get(url)).text
        assert tracking_id in text
        for secret in ("RAHASIA-ISI", "Jl. Rahasia", "Pelapor Rahasia", "RAHASIA-JAWAB", "114.7"):
            assert secret not in text, (secret, url)


def test_xml_drops_characters_xml_cannot_carry() -> None:
    from services.intake.open311.render import xml_document

    text = xml_document(
        "service_requests",
        [{"description": "a\x00b\x1bc <&> ✓", "lat": None, "ok": True}],
        "request",
    )
    [node] = ET.fromstring(text.encode()).findall("request")
    assert node.findtext("description") == "abc <&> ✓" and node.findtext("ok") == "true"
    assert (
        node.find("lat") is not None and node.find("lat").text is None
    )  # empty element, as the spec shows


async def test_expected_datetime_follows_the_sla_clock_once_it_exists(
    client: httpx.AsyncClient, api_key: str, db: Database
) -> None:
    from shared.models.sla import SlaClock

    tracking_id = (await post_request(client, api_key)).json()[0]["service_request_id"]
    [estimated] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    deadline = utcnow().replace(microsecond=0) + timedelta(days=20)
    async with db.session() as session:
        case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
        clock = SlaClock(
            case_id=case.id,
            kind="verification",
            working_days=3,
            started_at=case.received_at,
            deadline_at=deadline,
            state="running",
        )
        session.add(clock)
    [stored] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert stored["expected_datetime"] != estimated["expected_datetime"]
    assert stored["expected_datetime"] == deadline.astimezone(ZoneInfo("Asia/Jakarta")).isoformat()
    async with db.session() as session:
        clock = await session.scalar(select(SlaClock).where(SlaClock.case_id == case.id))
        clock.state, clock.paused_at = "paused", utcnow()  # waiting for the reporter
    [paused] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert paused["expected_datetime"] is None


async def test_a_flooding_key_gets_429_in_the_error_format(
    client: httpx.AsyncClient,
    api_key: str,
    app,
    db: Database,
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"rate_limit_per_key_per_min": 1})
    assert (await post_request(client, api_key)).status_code == 201
    response = await post_request(client, api_key, "xml")
    assert_error(response, "xml", 429)
    assert int(response.headers["retry-after"]) >= 1
    assert await count_cases(db) == 1


async def test_end_to_end_with_admin_actions_and_the_sla_clocks(
    client: httpx.AsyncClient,
    api_key: str,
    admin_headers: dict[str, str],
    make_token,
    drain,
) -> None:
    """The real path: Admin Instansi verifies and forwards, the OPD answers; an Open311 client
    sees the OPD, the resolution deadline of the SLA clock, the answer and the closing."""
    tracking_id = (await post_request(client, api_key)).json()[0]["service_request_id"]
    admin = f"/admin/cases/{tracking_id}"
    verified = await client.post(f"{admin}/verify", json={"note": "lengkap"}, headers=admin_headers)
    assert verified.status_code < 300, verified.text
    disposed = await client.post(
        f"{admin}/dispose", json={"opd": "DUKCAPIL"}, headers=admin_headers
    )
    assert disposed.status_code < 300, disposed.text
    await drain("sla")
    [forwarded] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert forwarded["agency_responsible"] and forwarded["expected_datetime"]

    opd_headers = {"Authorization": f"Bearer {await make_token('opd', 'DUKCAPIL')}"}
    answer = "KTP-el sudah jadi, silakan ambil di kantor Disdukcapil."
    responded = await client.post(
        f"{admin}/respond", json={"message": answer, "final": True}, headers=opd_headers
    )
    assert responded.status_code < 300, responded.text
    [done] = (await client.get(f"{BASE}/requests/{tracking_id}.json")).json()
    assert done["status"] == "closed" and done["expected_datetime"] is None
    updates = (
        await client.get(
            f"{BASE}/servicerequestupdates.json", params={"service_request_id": tracking_id}
        )
    ).json()
    assert answer in [u["description"] for u in updates]
    assert updates[-1]["status"] == "closed"
    assert "lengkap" not in str(updates)  # the verification note is internal
