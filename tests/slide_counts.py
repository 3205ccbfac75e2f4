"""Counts of the slides' numbers by status, per deck and per lab, from tests/slide_rows.json.

Run ``python tests/slide_counts.py``. Rows and their labs are those of the slides' checklist
(``labs.slides``: 146 rows); the status of each row is the project's mapping (row id →
notebook cell), which ``tests/test_slides.py`` holds to the notebooks.

Statuses: CC = computed and checked against the slide's value in every run (quick profile);
CF = checked only in the full profile, shown in quick; cited = a published result quoted
beside the lab's own measurement, not checked; CU = computed and printed beside the slide's
value, not checked; explained = cannot be computed from what the slides give, and the
notebook says why; absent = belongs to a lab that does not show it yet; pending = belongs to
a lab not yet written; uncovered = no lab covers the topic (listed in the README).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from labs import slides  # noqa: E402

STATUSES = ("CC", "CF", "CU", "cited", "explained", "absent", "pending", "uncovered")
MAPPING = ROOT / "tests" / "slide_rows.json"


def load_mapping() -> dict:
    return json.loads(MAPPING.read_text(encoding="utf-8"))


def counts(mapping: dict | None = None) -> dict[str, dict[str, Counter]]:
    """{"deck": {deck: Counter(status)}, "lab": {lab: Counter(status)}} over all rows."""
    rows = (mapping or load_mapping())["rows"]
    result = {"deck": {}, "lab": {}}
    for row in slides.ROWS.values():
        status = rows[row.id]["status"]
        for key, group in (("deck", row.deck), ("lab", row.lab)):
            result[key].setdefault(group, Counter())[status] += 1
    both = Counter()
    for deck in ("002", "004"):
        both.update(result["deck"][deck])
    result["deck"]["002 + 004"] = both
    result["deck"]["all"] = sum((result["deck"][d] for d in ("000", "001", "002", "003", "004")), Counter())
    return result


def table(groups: dict[str, Counter], title: str) -> str:
    lines = [f"| {title} | items | " + " | ".join(STATUSES) + " |", "|---|---|" + "---|" * len(STATUSES)]
    for name in sorted(groups, key=lambda g: (g in ("002 + 004", "all"), g)):
        c = groups[name]
        lines.append(f"| {name} | {sum(c.values())} | " + " | ".join(str(c[s]) for s in STATUSES) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = counts()
    print(table(result["deck"], "deck"))
    print()
    print(table(result["lab"], "lab"))
