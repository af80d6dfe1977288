"""The library's surface: settings helper, immutability, doctests, benchmark."""

import datetime as dt
import doctest
import types

import pytest

import shared.calendar
import shared.calendar.working
from shared.calendar import Override, OverrideKind, WorkingCalendar, calendar_from_settings
from shared.calendar.bench import due_calc_per_second
from shared.config import Settings


def test_calendar_from_settings_reads_timezone_and_region():
    settings = Settings(_env_file=None, timezone="Asia/Makassar", region="ID-BA")
    monday = dt.date(2026, 11, 23)
    cal = calendar_from_settings(settings, overrides=[Override(monday, OverrideKind.ADD, "x")])
    assert cal.tz.key == "Asia/Makassar"
    assert cal.region == "ID-BA"
    assert not cal.is_working_day(dt.date(2026, 6, 17))  # Galungan
    assert not cal.is_working_day(monday)


def test_calendar_from_settings_accepts_any_object_with_the_fields():
    cal = calendar_from_settings(types.SimpleNamespace(timezone="Asia/Jayapura", region=""))
    assert cal.tz.key == "Asia/Jayapura"
    assert cal.is_working_day(dt.date(2026, 6, 17))


def test_the_calendar_is_immutable():
    cal = WorkingCalendar("Asia/Jakarta")
    with pytest.raises(AttributeError):
        cal._tz = None
    with pytest.raises(AttributeError):
        cal.tz = None
    with pytest.raises(AttributeError):
        cal.anything = 1


def test_values_are_frozen():
    override = Override(dt.date(2026, 11, 23), OverrideKind.ADD, "x")
    with pytest.raises(AttributeError):
        override.reason = "y"


def test_repr_names_the_configuration():
    assert repr(WorkingCalendar("Asia/Makassar", region="ID-BA")) == (
        "WorkingCalendar(tz='Asia/Makassar', region='ID-BA', regional_days=0, overrides=0)"
    )


@pytest.mark.parametrize("module", [shared.calendar, shared.calendar.working])
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_benchmark_runs_and_is_fast():
    # Loose bound: a bisect lookup should manage far more than 10k deadlines/s anywhere.
    assert due_calc_per_second(0.05) > 10_000
    with pytest.raises(ValueError):
        due_calc_per_second(0)
