"""shared.phones: every row of channels.md section A6, plus the normaliser's own rules."""

from __future__ import annotations

import re

import pytest

from shared.phones import InvalidPhoneNumber, normalize_phone, try_normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("(0812) 3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),  # WhatsApp wa_id / Gammu style
        ("62812345678", "+62812345678"),  # the trap: phonenumbers alone gives +6262812345678
        ("+62812345678", "+62812345678"),
        ("+6208123456789", "+628123456789"),  # trunk 0 kept after the country code
        ("0062812345678", "+62812345678"),  # "00" international prefix mapped to "+"
        ("whatsapp:+6281234567890", "+6281234567890"),
        ("tel:+62-812-3456-7890", "+6281234567890"),
        ("0215551234", "+62215551234"),  # Jakarta fixed line
        ("0361234567", "+62361234567"),  # Denpasar fixed line
    ],
)
def test_a6_table_valid_rows_normalize_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["0811111", "14045", "081234567890123"])
def test_a6_table_invalid_rows_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalize_phone(raw)
    assert excinfo.value.reason


def test_bare_62_prefix_is_never_read_as_a_national_fixed_line() -> None:
    assert not normalize_phone("62812345678").startswith("+6262")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("TELKOMSEL", "contains letters"),
        ("+62+812345678", "'+' inside the number"),
        ("---", "no digits"),
        ("0" * 80, "too long"),
    ],
)
def test_garbage_is_rejected_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=re.escape(reason)):
        normalize_phone(raw)


def test_scheme_prefix_is_case_insensitive_and_whitespace_is_trimmed() -> None:
    assert normalize_phone("  WhatsApp:+6281234567890 ") == "+6281234567890"


def test_other_regions_use_their_own_country_code() -> None:
    assert normalize_phone("+1 650 555 1234") == "+16505551234"
    assert normalize_phone("6505551234", region="US") == "+16505551234"


def test_invalid_phone_number_is_a_value_error() -> None:
    assert issubclass(InvalidPhoneNumber, ValueError)


def test_try_normalize_phone_returns_none_instead_of_raising() -> None:
    assert try_normalize_phone("081234567890") == "+6281234567890"
    assert try_normalize_phone("14045") is None
    assert try_normalize_phone(None) is None
    assert try_normalize_phone("") is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+999123", "invalid country code"),
        ("+1", "unparseable"),
        ("+62", "unparseable"),
        ("0", "unparseable"),
        ("1234567890123456789012", "unparseable"),
    ],
)
def test_what_phonenumbers_cannot_parse_is_an_invalid_number_not_a_crash(raw, reason) -> None:
    with pytest.raises(InvalidPhoneNumber, match=re.escape(reason)):
        normalize_phone(raw)
    assert try_normalize_phone(raw) is None
