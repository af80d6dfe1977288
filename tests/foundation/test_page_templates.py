"""Pages compile each template once per process: the environment with the pemda's
``waktu`` filter is made once per timezone (``shared.pages.with_local_time``), not per
request — an overlay made per request has an empty cache and compiled every template,
and the ones it extends and imports, on every page (100–300 ms a console page)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.console.pages import environment as console_environment
from services.intake.web.pages import environment as citizen_environment
from shared.pages import with_local_time

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")


def test_one_environment_per_timezone_and_its_templates_kept() -> None:
    for base, name in ((console_environment, "masuk.html"), (citizen_environment, "lapor.html")):
        env = with_local_time(base, WIB)
        assert with_local_time(base, WIB) is env
        assert env.get_template(name) is with_local_time(base, WIB).get_template(name)
        moment = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)
        assert env.filters["waktu"](moment) == "20 Maret 2026, 10.00 WIB"
        assert with_local_time(base, WITA).filters["waktu"](moment) == "20 Maret 2026, 11.00 WITA"
        assert env.filters["waktu"](moment) == "20 Maret 2026, 10.00 WIB"  # its own filters
        assert "waktu" not in base.filters
