"""The semester evaluation's shapes: its figures (and their order in files) and the publish body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

FIRST_YEAR = 2000
FORMATS = ("html", "csv", "xlsx")
RATINGS = (1, 2, 3, 4, 5)
#: Fewer ratings than this are not shown publicly (one rating can point at a person).
MIN_PUBLIC_RATINGS = 3
SUPPRESSED = f"<{MIN_PUBLIC_RATINGS}"
UNKNOWN_LABEL = "Tidak diketahui"
#: The figures of every evaluation row, in the order CSV/XLSX files carry them.
FIGURES = (
    "received",
    "resolved",
    "resolved_pct",
    "resolved_within_deadline",
    "resolved_within_deadline_pct",
    "breaches",
    "avg_wd_to_first_response",
    "avg_wd_to_resolution",
    "satisfaction_avg",
    "ratings",
    *(f"rating_{r}" for r in RATINGS),
)
EXPORT_COLUMNS = ("section", "key", "label", *FIGURES)
#: Figures whose change against the previous semester is shown.
TREND = FIGURES[:10]


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int
    semester: int
