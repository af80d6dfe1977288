"""A category map proposed from the national masters list (``GET /masters/categories``):
each Simpul category gets the national category whose name is the same (normalised), else
the one whose name contains it or is contained in it. What matches nothing is left out
(it then goes to ``SIMPUL_LAPOR_DEFAULT_CATEGORY_ID``); an operator reviews the file
before pointing ``SIMPUL_LAPOR_CATEGORY_MAP_FILE`` at it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from services.sync.lapor.models import LaporCategory
from services.sync.lapor.profile import normalise_name


def propose_category_map(
    simpul: Iterable[tuple[str, str]], national: Iterable[LaporCategory]
) -> dict[str, int]:
    """``{simpul_code: national_id}`` for the Simpul ``(code, name)`` pairs that match."""
    national = list(national)
    by_name = {normalise_name(c.name): c.id for c in national}
    proposed: dict[str, int] = {}
    for code, name in simpul:
        wanted = normalise_name(name)
        if wanted in by_name:
            proposed[code] = by_name[wanted]
            continue
        near = [
            c
            for c in national
            if wanted and (wanted in normalise_name(c.name) or normalise_name(c.name) in wanted)
        ]
        if len(near) == 1:
            proposed[code] = near[0].id
    return proposed


def category_map_csv(mapping: dict[str, int]) -> str:
    """The map as the CSV ``SIMPUL_LAPOR_CATEGORY_MAP_FILE`` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["simpul_code", "national_id"])
    for code, national_id in sorted(mapping.items()):
        writer.writerow([code, national_id])
    return out.getvalue()
