"""The LAPOR! adapter against faked HTTP (respx): errors, retries, mapping, privacy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import respx

from services.sync.lapor import LaporProfile, mapping, signing
from services.sync.lapor.client import LaporClient
from services.sync.lapor.errors import (
    InvalidLaporDate,
    LaporAuthError,
    LaporError,
    LaporNotFound,
    LaporTerminalError,
    LaporTransientError,
    LaporUnavailable,
    LaporUncertainOutcome,
    UnknownSimpulStatus,
    UnknownStatusCode,
    UnknownStatusName,
)
from services.sync.lapor.models import CaseForLapor, LaporFile
from services.sync.lapor.resilience import BreakerState, CircuitBreaker, TokenBucket
from services.sync.lapor.transport import parse_retry_after
from services.sync.simulator import national

BASE = "https://lapor.test/lapor/3.0.0"
NIK = "3201234567890001"
PHONE = "0812-3456-7890"
ADDRESS = "Jl. Melati No. 7, RT 03/RW 05"


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (or we tick)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def lapor(clock: FakeClock):
    client = LaporClient(
        BASE,
        "key-123",
        "guid-456",
        timeout_s=2,
        rate_limit_per_s=0,  # off, except where a test is about it
        retry_attempts=3,
        breaker_failure_threshold=100,
        clock=clock,
        sleep=clock.sleep,
    )
    yield client
    await client.aclose()


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


def complaint_body(complaint_id: int = 7, status_code: int = 3, **extra) -> dict:
    data = {
        "id": complaint_id,
        "title": "Jalan rusak",
        "content": "Berlubang",
        "status_code": status_code,
        "status_name": "Ditindaklanjuti",
        "disposition_id": 9001,
        "tags_raw": "#simpul-ABC123",
        "is_anonymous": 0,
        "is_secret": 0,
        "created_at": "17-08-2024 14:30:00",
        "updated_at": "18-08-2024 09:00:05",
        **extra,
    }
    logs = [
        {
            "institution_from": "Pelapor",
            "institution_to": "Pemda",
            "content": "dibuat",
            "status_old": None,
            "status_new": 0,
            "date": "17-08-2024 14:30:00",
        }
    ]
    return {"results": {"data": data, "data_logs": logs}}


def case(**overrides) -> CaseForLapor:
    values = {
        "tracking_id": "abc123",
        "title": "Jalan rusak",
        "description": "Jalan berlubang di depan sekolah.",
        "kind": "pengaduan",
        "category_code": "JALAN",
        "reporter_name": "Budi Santoso",
    }
    values.update(overrides)
    return CaseForLapor(**values)


# -- auth and the create answer -----------------------------------------------------------
async def test_every_call_carries_the_two_static_headers(lapor, api):
    route = api.get("/complaints/7/complaint").respond(200, json=complaint_body())
    await lapor.get_complaint(7)
    request = route.calls.last.request
    assert request.headers["Authorization"] == "key-123"  # as issued, nothing added
    assert request.headers["token"] == "guid-456"


async def test_the_auth_header_name_and_create_path_come_from_the_profile(api):
    profile = LaporProfile(auth_header="auth", create_path="/complaints/complaint-simpul")
    async with LaporClient(BASE, "Bearer key-123", "guid-456", profile=profile) as lapor:
        route = api.post("/complaints/complaint-simpul").respond(200, json={"complaint_id": 5})
        assert await lapor.create_complaint(case()) == 5
    request = route.calls.last.request
    assert request.headers["auth"] == "Bearer key-123"
    assert "Authorization" not in request.headers


@pytest.mark.parametrize(
    "answer",
    [
        {"results": {"complaint_id": 41}},
        {"complaint_id": 41},
        {"results": {"data": {"complaint_id": 41}, "data_logs": []}},
        {"data": {"complaint_id": "41"}},
        {"results": {"complaint": {"id": 41}}},
        {"data": {"results": {"complaint": {"id": 41}}}},
    ],
    ids=[
        "results.complaint_id",
        "complaint_id",
        "results.data",
        "data",
        "results.complaint",
        "data.results.complaint.id",
    ],
)
async def test_create_reads_every_answer_shape(lapor, api, answer):
    route = api.post("/complaints/complaint").respond(200, json=answer)
    assert await lapor.create_complaint(case()) == 41
    sent = json.loads(route.calls.last.request.content)
    assert sent["tags_raw"] == "#simpul-ABC123"
    assert sent["disposition_id"] == 9001
    assert sent["category_id"] == LaporProfile().category_id_for("JALAN") == 141
    assert sent["content"].splitlines()[0] == "#simpul-ABC123"


async def test_create_answer_without_an_id_is_an_uncertain_outcome(lapor, api):
    api.post("/complaints/complaint").respond(200, json={"results": {"message": "ok"}})
    with pytest.raises(LaporUncertainOutcome):
        await lapor.create_complaint(case())


# -- error classes --------------------------------------------------------------------------
async def test_create_timeout_is_uncertain_and_never_retried(lapor, api):
    route = api.post("/complaints/complaint").mock(side_effect=httpx.ReadTimeout)
    with pytest.raises(LaporUncertainOutcome) as caught:
        await lapor.create_complaint(case())
    assert route.call_count == 1
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_create_dropped_connection_is_uncertain(lapor, api):
    api.post("/complaints/complaint").mock(side_effect=httpx.RemoteProtocolError)
    with pytest.raises(LaporUncertainOutcome):
        await lapor.create_complaint(case())


async def test_create_5xx_after_sending_is_uncertain(lapor, api):
    route = api.post("/complaints/complaint").respond(500, json={"results": {"message": "boom"}})
    with pytest.raises(LaporUncertainOutcome) as caught:
        await lapor.create_complaint(case())
    assert caught.value.status_code == 500
    assert route.call_count == 1


async def test_create_connection_refused_is_transient_as_nothing_was_sent(lapor, api):
    api.post("/complaints/complaint").mock(side_effect=httpx.ConnectError)
    with pytest.raises(LaporTransientError):
        await lapor.create_complaint(case())


async def test_maintenance_503_is_transient_with_retry_after(lapor, api):
    api.post("/complaints/complaint").respond(503, headers={"Retry-After": "120"})
    with pytest.raises(LaporTransientError) as caught:
        await lapor.create_complaint(case())
    assert caught.value.status_code == 503
    assert caught.value.retry_after == 120


async def test_follow_up_timeout_is_uncertain(lapor, api):
    api.post("/complaints/followup/add").mock(side_effect=httpx.ReadTimeout)
    with pytest.raises(LaporUncertainOutcome):
        await lapor.add_followup(7, "Sudah diperbaiki")


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, LaporAuthError), (403, LaporAuthError), (404, LaporNotFound), (422, LaporTerminalError)],
)
async def test_4xx_is_terminal_keeps_the_body_and_is_not_retried(lapor, api, status, error):
    body = {"results": {"message": "nope"}}
    route = api.get("/complaints/7/complaint").respond(status, json=body)
    with pytest.raises(error) as caught:
        await lapor.get_complaint(7)
    assert caught.value.status_code == status
    assert caught.value.body == body
    assert "nope" in str(caught.value)
    assert route.call_count == 1


def test_errors_share_one_base():
    for error in (
        LaporTransientError,
        LaporUncertainOutcome,
        LaporTerminalError,
        LaporUnavailable,
        UnknownStatusCode,
    ):
        assert issubclass(error, LaporError)


# -- retries of safe calls --------------------------------------------------------------------
async def test_get_is_retried_with_backoff_then_succeeds(lapor, api, clock):
    route = api.get("/complaints/7/complaint").mock(
        side_effect=[
            httpx.Response(502),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json=complaint_body()),
        ]
    )
    complaint = await lapor.get_complaint(7)
    assert complaint.complaint_id == 7
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert all(0 < s <= 8 + 0.5 for s in clock.sleeps)


async def test_get_retries_are_bounded(lapor, api):
    route = api.get("/complaints/7/complaint").respond(500)
    with pytest.raises(LaporTransientError):
        await lapor.get_complaint(7)
    assert route.call_count == 3


async def test_retry_after_is_honoured(lapor, api, clock):
    api.get("/complaints/7/followups").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json={"results": {"data": [], "data_logs": []}}),
        ]
    )
    assert await lapor.get_followups(7) == []
    assert clock.sleeps == [7.0]


async def test_a_long_retry_after_goes_to_the_caller_instead_of_sleeping(lapor, api, clock):
    route = api.get("/complaints/7/complaint").respond(503, headers={"Retry-After": "3600"})
    with pytest.raises(LaporTransientError) as caught:
        await lapor.get_complaint(7)
    assert caught.value.retry_after == 3600
    assert route.call_count == 1
    assert clock.sleeps == []


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("5") == 5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = datetime.now(UTC) + timedelta(seconds=90)
    seconds = parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert seconds is not None and 0 < seconds <= 90


# -- the circuit breaker ---------------------------------------------------------------------
async def test_breaker_opens_after_consecutive_failures_and_half_opens(clock, api):
    async with LaporClient(
        BASE,
        "k",
        "t",
        rate_limit_per_s=0,
        retry_attempts=1,
        breaker_failure_threshold=3,
        breaker_reset_timeout_s=30,
        clock=clock,
        sleep=clock.sleep,
    ) as lapor:
        route = api.get("/complaints/7/complaint").mock(
            side_effect=[httpx.Response(500)] * 3 + [httpx.Response(200, json=complaint_body())]
        )
        for _ in range(3):
            with pytest.raises(LaporTransientError):
                await lapor.get_complaint(7)
        assert lapor.breaker_state is BreakerState.OPEN
        assert lapor.breaker.gauge_value == 2

        with pytest.raises(LaporUnavailable):
            await lapor.get_complaint(7)
        assert route.call_count == 3  # nothing was sent while open

        clock.tick(30)
        assert lapor.breaker_state is BreakerState.HALF_OPEN
        assert lapor.breaker.gauge_value == 1
        assert (await lapor.get_complaint(7)).complaint_id == 7
        assert lapor.breaker_state is BreakerState.CLOSED
        assert lapor.breaker.gauge_value == 0


def test_breaker_half_open_lets_one_trial_through_and_reopens_on_failure(clock):
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.tick(10)
    breaker.before_call()  # the trial
    with pytest.raises(LaporUnavailable):
        breaker.before_call()  # a second caller waits for the trial
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_breaker_ignores_rate_limiting_and_client_errors(clock):
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()  # a 4xx: the server is up
    breaker.record_failure()
    breaker.record_neutral()  # a 429
    assert breaker.state is BreakerState.CLOSED


async def test_429_does_not_open_the_breaker(clock, api):
    async with LaporClient(
        BASE,
        "k",
        "t",
        rate_limit_per_s=0,
        retry_attempts=1,
        breaker_failure_threshold=1,
        clock=clock,
        sleep=clock.sleep,
    ) as lapor:
        api.get("/complaints/7/complaint").respond(429, headers={"Retry-After": "1"})
        with pytest.raises(LaporTransientError):
            await lapor.get_complaint(7)
        assert lapor.breaker_state is BreakerState.CLOSED


# -- the rate limiter ------------------------------------------------------------------------
async def test_token_bucket_spaces_calls_at_the_rate(clock):
    bucket = TokenBucket(10, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert len(clock.sleeps) == 4
    assert clock.sleeps == pytest.approx([0.1] * 4)


async def test_token_bucket_allows_a_burst_then_waits(clock):
    bucket = TokenBucket(2, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert clock.sleeps == []
    await bucket.acquire()
    assert clock.sleeps == pytest.approx([0.5])


async def test_token_bucket_bursts_a_tenth_of_a_second_by_default(clock):
    """Paced at the server's own limit, the client must not empty the server's bucket
    with a whole second's burst: later jitter would then come back as 429s."""
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert clock.sleeps == []
    for _ in range(3):
        await bucket.acquire()
    assert clock.sleeps == pytest.approx([0.02] * 3)


async def test_token_bucket_keeps_what_a_late_caller_left_up_to_the_burst(clock):
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    clock.tick(0.07)  # the event loop came back late: three and a half calls accrued
    for _ in range(3):
        await bucket.acquire()
    assert clock.sleeps == []


async def test_all_calls_of_a_client_share_one_limiter(clock, api):
    async with LaporClient(
        BASE, "k", "t", rate_limit_per_s=1, clock=clock, sleep=clock.sleep
    ) as lapor:
        api.get("/complaints/7/complaint").respond(200, json=complaint_body())
        api.get("/complaints/7/followups").respond(200, json={"results": {"data": []}})
        api.get("/masters/categories").respond(200, json={"results": {"data": []}})
        await lapor.get_complaint(7)
        await lapor.get_followups(7)
        await lapor.list_categories()
    assert clock.sleeps == pytest.approx([1.0, 1.0])


# -- statuses ---------------------------------------------------------------------------------
async def test_an_unknown_status_name_raises_never_guessed(lapor, api):
    api.get("/complaints/7/complaint").respond(
        200, json=complaint_body(status_code=3, status_name="Baru")
    )
    complaint = await lapor.get_complaint(7)
    assert complaint.status_code == 3 and complaint.national_status is None
    with pytest.raises(UnknownStatusName) as caught:
        _ = complaint.simpul_status
    assert caught.value.status_name == "Baru"
    assert isinstance(caught.value, UnknownStatusCode)  # one "unknown status" family


async def test_statuses_are_read_by_name_whatever_the_code(lapor, api):
    api.get("/complaints/7/complaint").respond(
        200, json=complaint_body(status_code=77, status_name="  dalam   PROSES ")
    )
    assert (await lapor.get_complaint(7)).simpul_status == "in_progress"


@pytest.mark.parametrize("code", [99, -1, "3x", None, True])
def test_simpul_status_for_rejects_unknown_codes_without_a_name(code):
    with pytest.raises(UnknownStatusCode):
        mapping.simpul_status_for(code)


def test_the_status_name_table_is_configurable():
    from shared.config import Settings

    profile = LaporProfile.from_settings(
        Settings(_env_file=None, lapor_status_names={"Sedang Diproses Instansi": "in_progress"})
    )
    assert mapping.simpul_status_for(None, "sedang diproses instansi", profile) == "in_progress"
    assert mapping.simpul_status_for(None, "Selesai", profile) == "resolved"  # built-in kept
    with pytest.raises(UnknownStatusName):
        mapping.simpul_status_for(None, "Sedang Diproses Instansi")


def test_status_table_agrees_with_the_simulator_and_simpul_statuses():
    assert mapping.STATUS_NAMES == national.STATUS_NAMES
    for name in national.STATUS_NAMES.values():
        assert mapping.simpul_status_for(None, name) in mapping.SIMPUL_STATUSES
    assert set(mapping.NATIONAL_CODE_BY_SIMPUL_STATUS) == set(mapping.SIMPUL_STATUSES)
    for code in mapping.NATIONAL_CODE_BY_SIMPUL_STATUS.values():
        assert code is None or code in national.STATUS_NAMES
    assert mapping.simpul_status_for("4") == "resolved"
    assert mapping.national_code_for("closed") == mapping.STATUS_SELESAI
    assert mapping.national_code_for("forwarded_national") is None
    with pytest.raises(UnknownSimpulStatus):
        mapping.national_code_for("lost")


def test_every_mapped_category_exists_nationally():
    profile = LaporProfile()
    assert set(profile.category_ids.values()) <= national.CATEGORY_IDS
    assert profile.default_category_id in national.CATEGORY_IDS
    assert profile.category_id_for("jalan") == profile.category_ids["JALAN"]
    assert profile.category_id_for("NOT-A-CODE") == profile.default_category_id
    assert profile.category_id_for(None) == profile.default_category_id
    assert set(profile.classification_ids.values()) == national.CLASSIFICATION_IDS


# -- dates --------------------------------------------------------------------------------------
def test_lapor_dates_are_read_as_jakarta_and_stored_as_utc():
    parsed = mapping.parse_lapor_date("17-08-2024 14:30:00")
    assert parsed == datetime(2024, 8, 17, 7, 30, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_lapor_dates_cross_midnight_and_the_year():
    assert mapping.parse_lapor_date("01-01-2025 03:00:00") == datetime(
        2024, 12, 31, 20, 0, tzinfo=UTC
    )


def test_formatting_writes_jakarta_time():
    moment = datetime(2024, 12, 31, 20, 0, 59, tzinfo=UTC)
    assert mapping.format_lapor_date(moment) == "01-01-2025 03:00:59"
    wita = timezone(timedelta(hours=8))
    assert mapping.format_lapor_date(datetime(2024, 8, 17, 15, 30, tzinfo=wita)) == (
        "17-08-2024 14:30:00"
    )
    assert mapping.format_lapor_date(datetime(2024, 8, 17, 7, 30)) == "17-08-2024 14:30:00"
    assert mapping.parse_lapor_date(mapping.format_lapor_date(moment)) == moment


@pytest.mark.parametrize("value", ["2024-08-17T14:30:00", "17/08/2024 14:30", "", None, 12])
def test_bad_dates_raise(value):
    with pytest.raises(InvalidLaporDate):
        mapping.parse_lapor_date(value)


async def test_complaint_dates_come_back_as_utc(lapor, api):
    api.get("/complaints/7/complaint").respond(200, json=complaint_body())
    complaint = await lapor.get_complaint(7)
    assert complaint.created_at == datetime(2024, 8, 17, 7, 30, tzinfo=UTC)
    assert complaint.updated_at == datetime(2024, 8, 18, 2, 0, 5, tzinfo=UTC)
    assert complaint.logs[0].date == datetime(2024, 8, 17, 7, 30, tzinfo=UTC)
    assert complaint.tracking_id == "ABC123"
    assert complaint.simpul_status == "in_progress"


async def test_list_sends_updated_since_in_jakarta_time(lapor, api):
    route = api.get("/complaints").respond(
        200, json={"results": {"data": [], "pagination": {"total": 0}}}
    )
    await lapor.list_complaints(updated_since=datetime(2024, 8, 17, 7, 30, tzinfo=UTC))
    params = route.calls.last.request.url.params
    assert params["updated_since"] == "17-08-2024 14:30:00"
    assert params["disposition_id"] == "9001"


# -- privacy ------------------------------------------------------------------------------------
def test_create_payload_never_carries_nik_phone_or_address_in_content():
    payload = mapping.build_create_payload(
        case(
            title=f"Hubungi {PHONE}",
            description=(
                f"Saya (NIK {NIK}, HP {PHONE}, +62 812 3456 7890, budi@example.id) "
                f"tinggal di {ADDRESS}. Jalan berlubang sejak 2023."
            ),
            private_terms=(NIK, PHONE, ADDRESS),
        ),
        LaporProfile(user_id=77),
    )
    text = payload["title"] + " " + payload["content"]
    for secret in (
        NIK,
        "3201234567890001",
        PHONE,
        "081234567890",
        "812 3456 7890",
        "budi@example.id",
        "Melati",
    ):
        assert secret not in text
    assert "Jalan berlubang sejak 2023." in payload["content"]
    assert payload["reporter_name"] == "Budi Santoso"
    assert payload["is_anonymous"] == 0 and payload["is_secret"] == 0


def test_anonymous_case_carries_no_reporter_identity_at_all():
    payload = mapping.build_create_payload(
        case(
            anonymous=True,
            confidential=True,
            reporter_name="Budi Santoso",
            description="Budi Santoso melapor pungli di kantor desa.",
        ),
        LaporProfile(user_id=77),
    )
    assert payload["is_anonymous"] == 1
    assert payload["is_secret"] == 1
    assert not [key for key in payload if "reporter" in key or "name" in key]
    assert "Budi" not in json.dumps(payload)


def test_create_payload_fields():
    payload = mapping.build_create_payload(
        case(
            kind="permintaan_informasi",
            occurred_at=datetime(2024, 8, 17, 7, 30, tzinfo=UTC),
            attachment_ids=(12, 13),
            copy_institution_ids=(2,),
        ),
        LaporProfile(
            user_id=77,
            channel_id=26,
            classification_ids={"permintaan_informasi": 6},
            location_id=34,
        ),
    )
    assert payload["classification_id"] == 6
    assert payload["channel"] == 26
    assert payload["location_id"] == 34
    assert payload["user_id"] == 77 and payload["is_new_user_slider"] is False
    assert payload["disposition_id"] == 9001
    assert payload["attachments"] == "[12,13]"
    assert payload["copy_externals"] == "[2]"
    assert payload["date_of_incident"] == "17-08-2024 14:30:00"
    assert isinstance(payload["is_anonymous"], int) and isinstance(payload["is_secret"], int)


# -- other calls -------------------------------------------------------------------------------
async def test_follow_up_is_multipart_with_every_field(lapor, api):
    route = api.post("/complaints/followup/add").respond(
        200, json={"results": {"data": {"id": 900}, "data_logs": []}}
    )
    followup_id = await lapor.add_followup(
        7,
        f"Sudah diperbaiki. Hubungi {PHONE}.",
        status_code=mapping.national_code_for("resolved"),
        attachments=[LaporFile("foto.jpg", b"\xff\xd8", "image/jpeg")],
    )
    assert followup_id == 900
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content.decode("latin-1")
    fields = dict(
        (part.split(b'name="')[1].split(b'"')[0].decode(), part.split(b"\r\n\r\n", 1)[1][:-2])
        for part in request.content.split(
            b"--" + request.headers["content-type"].split("=")[1].encode()
        )
        if b'name="' in part and b"filename" not in part
    )
    assert fields["user_id"] == str(LaporProfile().admin_user_id).encode()  # the admin user
    assert fields["template_code"] == LaporProfile().reply_template_code.encode()
    assert fields["rating"] == b"0"
    for name in (
        "user_id",
        "institution_from_id",
        "institution_to_id",
        "complaint_id",
        "info_disposition",
        "template_code",
        "rating",
        "is_secret",
        "content",
        "status_code",
        "attachment[0]",
    ):
        assert f'name="{name}"' in body
    assert PHONE not in body


async def test_upload_then_ids(lapor, api):
    route = api.post("/complaints/complaint/file").respond(
        200, json={"results": {"docs": [{"id": 12}, {"id": 13}]}}
    )
    ids = await lapor.upload_files([LaporFile("a.pdf", b"%PDF"), LaporFile("b.pdf", b"%PDF")])
    assert ids == [12, 13]
    assert route.calls.last.request.content.count(b'name="attachments[]"') == 2


async def test_a_photo_only_upload_answers_images(lapor, api):
    api.post("/complaints/complaint/file").respond(
        200, json={"results": {"images": [{"id": 31, "path": "/img/31.jpg"}]}}
    )
    assert await lapor.upload_files([LaporFile("a.jpg", b"\xff\xd8", "image/jpeg")]) == [31]


async def test_an_upload_answer_in_no_known_shape_is_transient_with_its_body(lapor, api):
    api.post("/complaints/complaint/file").respond(200, json={"results": {"files": [1]}})
    with pytest.raises(LaporTransientError) as caught:
        await lapor.upload_files([LaporFile("a.jpg", b"\xff\xd8", "image/jpeg")])
    assert "files" in caught.value.redacted_body


async def test_reject_not_authority_sends_the_documented_body(lapor, api):
    route = api.post("/complaints/process/7/reject").respond(200, json={"results": {}})
    await lapor.reject_not_authority(7, 3, "Kewenangan Kementerian Kesehatan")
    assert json.loads(route.calls.last.request.content) == {
        "is_request": 1,
        "reason": 3,
        "reason_description": "Kewenangan Kementerian Kesehatan",
        "not_authority": 1,
    }


async def test_find_by_tag_matches_the_exact_tag_and_returns_the_oldest(lapor, api):
    items = [
        complaint_body(12, tags_raw="#simpul-ABC123")["results"]["data"],
        complaint_body(10, tags_raw="#simpul-ABC1234")["results"]["data"],
        complaint_body(11, tags_raw="banjir #SIMPUL-abc123")["results"]["data"],
    ]
    route = api.get("/complaints").respond(
        200, json={"results": {"data": items, "pagination": {"total": 3}}}
    )
    found = await lapor.find_by_tag("abc123")
    assert found is not None and found.complaint_id == 11
    assert [c.complaint_id for c in await lapor.find_all_by_tag("ABC123")] == [11, 12]
    params = route.calls.last.request.url.params
    assert params["tags"] == "#simpul-ABC123"
    assert "disposition_id" not in params  # national admins may have moved it


async def test_masters(lapor, api):
    api.get("/masters/institutions/external").respond(
        200, json={"results": {"data": [{"id": 3, "name": "Kemenkes"}]}}
    )
    api.get("/masters/templates").respond(
        200, json={"results": {"data": [{"code": "T1", "name": "Terima"}]}}
    )
    assert (await lapor.list_institutions())[0].name == "Kemenkes"
    assert (await lapor.list_templates())[0].code == "T1"


# -- callback signatures ----------------------------------------------------------------------
def test_signature_round_trip_and_failures():
    body = b'{"event_id":"e1","type":"complaint.status_changed"}'
    header = signing.sign("s3cret", 1_700_000_000, body)
    assert header.startswith("v1=")
    signing.verify("s3cret", "1700000000", header, body, now=1_700_000_100)
    with pytest.raises(signing.SignatureMismatch):
        signing.verify("s3cret", "1700000000", header, body + b" ", now=1_700_000_000)
    with pytest.raises(signing.SignatureMismatch):
        signing.verify("other", "1700000000", header, body, now=1_700_000_000)
    with pytest.raises(signing.StaleTimestamp):
        signing.verify("s3cret", "1700000000", header, body, now=1_700_000_301)
    with pytest.raises(signing.MissingSignature):
        signing.verify("s3cret", None, header, body)
    with pytest.raises(signing.MalformedSignature):
        signing.verify("s3cret", "yesterday", header, body)
    with pytest.raises(signing.MalformedSignature):
        signing.verify("s3cret", "1700000000", "sha256=abc", body, now=1_700_000_000)


def test_signature_accepts_any_of_several_values_for_secret_rotation():
    body = b"{}"
    header = signing.sign("old", 10, body) + "," + signing.sign("new", 10, body)
    signing.verify("new", "10", header, body, now=10)
    assert issubclass(signing.SignatureMismatch, signing.CallbackSignatureError)


# -- configuration -------------------------------------------------------------------------------
async def test_client_from_settings_uses_the_lapor_settings():
    from shared.config import Settings

    settings = Settings(
        lapor_base_url="https://splp.example.go.id/lapor/3.0.0/",
        lapor_institution_id=1234,
        lapor_user_id=55,
        lapor_timeout_s=3,
        lapor_auth_header="auth",
        lapor_create_path="complaints/complaint-simpul",
        lapor_admin_user_id=66,
        lapor_reply_template_code="reply_simpul",
        lapor_search=True,
        lapor_category_map={"jalan": 436},
    )
    async with LaporClient.from_settings(settings) as lapor:
        assert lapor.base_url == "https://splp.example.go.id/lapor/3.0.0"
        assert (lapor.institution_id, lapor.user_id) == (1234, 55)
        assert lapor.profile.auth_header == "auth"
        assert lapor.profile.create_path == "/complaints/complaint-simpul"
        assert lapor.profile.admin_user_id == 66 and lapor.profile.search
        assert lapor.profile.category_id_for("JALAN") == 436
        assert lapor.create_timeout.read == 90 and lapor._http.timeout.read == 3


async def test_client_refuses_empty_credentials():
    with pytest.raises(ValueError):
        LaporClient(BASE, "", "t")


def test_simulator_kwargs_follow_the_settings():
    from services.sync.simulator import simulator_kwargs_from_settings
    from shared.config import Settings

    kwargs = simulator_kwargs_from_settings(Settings(public_base_url="http://127.0.0.1:8000/"))
    assert kwargs["callback_url"] == "http://127.0.0.1:8000/webhooks/lapor"
    assert kwargs["auth_key"] == "demo-auth-key" and kwargs["institution_id"] == 9001
