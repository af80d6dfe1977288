"""The simulator's store: plain dicts (JSON-serialisable), timestamps as unix seconds.

The :class:`~services.sync.simulator.service.Simulator` holds the lock around every change
and persists a snapshot to ``state_file`` when one is set.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FIRST_COMPLAINT_ID = 100_001
FIRST_FOLLOWUP_ID = 500_001
FIRST_DOC_ID = 700_001


class Store:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.complaints: dict[int, dict[str, Any]] = {}
        self.docs: dict[int, dict[str, Any]] = {}
        self.next_complaint_id = FIRST_COMPLAINT_ID
        self.next_followup_id = FIRST_FOLLOWUP_ID
        self.next_doc_id = FIRST_DOC_ID

    def new_complaint_id(self) -> int:
        complaint_id = self.next_complaint_id
        self.next_complaint_id += 1
        return complaint_id

    def new_followup_id(self) -> int:
        followup_id = self.next_followup_id
        self.next_followup_id += 1
        return followup_id

    def new_doc_id(self) -> int:
        doc_id = self.next_doc_id
        self.next_doc_id += 1
        return doc_id

    @property
    def followup_count(self) -> int:
        return sum(len(c["followups"]) for c in self.complaints.values())

    # -- persistence -----------------------------------------------------------------
    def snapshot(self) -> str:
        return json.dumps(
            {
                "complaints": list(self.complaints.values()),
                "docs": list(self.docs.values()),
                "next_complaint_id": self.next_complaint_id,
                "next_followup_id": self.next_followup_id,
                "next_doc_id": self.next_doc_id,
            },
            ensure_ascii=False,
        )

    def load(self, path: str) -> None:
        file = Path(path)
        if not file.exists():
            return
        state = json.loads(file.read_text(encoding="utf-8"))
        self.complaints = {int(c["id"]): c for c in state.get("complaints", [])}
        self.docs = {int(d["id"]): d for d in state.get("docs", [])}
        self.next_complaint_id = int(state.get("next_complaint_id", FIRST_COMPLAINT_ID))
        self.next_followup_id = int(state.get("next_followup_id", FIRST_FOLLOWUP_ID))
        self.next_doc_id = int(state.get("next_doc_id", FIRST_DOC_ID))


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace`` (no torn file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
