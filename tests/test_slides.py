"""The slides' numbers: one table (labs.slides), a mapping row → notebook cell, and the notebooks
held to both: a cell that checks a row still checks it, and no notebook misquotes a slide."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from labs import slides

ROOT = Path(__file__).resolve().parents[1]
MAPPING = json.loads((ROOT / "tests" / "slide_rows.json").read_text(encoding="utf-8"))
ROWS = MAPPING["rows"]
NOTEBOOKS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
CHECK_CALL = re.compile(r"slides\.(?:check|check_correction)\(")
CITE_CALL = re.compile(r"slides\.cite\(")
ANY_CALL = re.compile(r"slides\.(value|quote|check|check_correction|cite|row)\(\s*[\"'](D\d-\d\d)[\"']")
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\d)")
UNIT = re.compile(r"\s*(?:(?:thousand|million|billion)\s+)?(?:ms|s|min|h|minutes?|seconds?|hours?|[kMG]i?B|[MG]?MACs?|G?FLOP(?:/s)?|×)(?![\w])")


def _cell(notebook, cell_id):
    cells = [c for c in NOTEBOOKS[notebook]["cells"] if c.get("id") == cell_id]
    return "".join(cells[0]["source"]) if cells else None


# ---- the table ---------------------------------------------------------------------------

def test_table_has_every_checklist_row():
    per_deck = {}
    for row in slides.ROWS.values():
        per_deck[row.deck] = per_deck.get(row.deck, 0) + 1
    assert per_deck == {"000": 18, "001": 15, "002": 59, "003": 33, "004": 21}, per_deck
    for row in slides.ROWS.values():
        assert row.quote and row.lab in {"01", "02", "03", "04", "05", "06", "07", "none"}, row.id
        assert (row.correct is None) == (not row.why), f"{row.id}: a correction needs its reason, and a reason a correction"


def test_values_are_the_slides():
    # a few values read off the decks, to catch an edit of the table itself
    assert slides.value("D2-18") == 756_560 and slides.value("D2-19") == 3_860
    assert slides.value("D2-30") == 0.64 and slides.row("D2-30").correct == pytest.approx(0.6827, abs=1e-4)
    assert slides.value("D2-28") == 387_072 and slides.value("D2-53") == 107_786
    assert slides.value("D2-57") == {"hours": 0.8, "parameters": 11_535_114, "accuracy": 0.9964}
    assert slides.value("D2-14", "filter") == ((-1, -1, -1), (-1, 9, 1), (-1, -1, -1))
    assert slides.value("D2-48")["SGD none"] == 0.5714 and slides.value("D4-21") == ((4.25, 5.25), (2, 2))
    assert [len(slides.value("D2-01", c)) for c in ("red", "green", "blue")] == [231, 258, 221]


def test_check_catches_a_wrong_value_and_returns_both():
    assert "756,560" in slides.check("D2-18", 756_560)
    with pytest.raises(AssertionError, match="D2-18"):
        slides.check("D2-18", 756_561)
    slides.check("D2-16", (26, 26, 8), "valid/1")
    slides.check("D2-16", np.array([26, 26, 8]), "valid/1")
    with pytest.raises(AssertionError):
        slides.check("D2-16", (26, 26, 8), "valid/2")
    slides.check("D2-10", 14, args=dict(i=32, k=8, s=2, p=1))
    with pytest.raises(ValueError, match="formula"):
        slides.check("D2-10", 14)
    with pytest.raises(ValueError, match="no part"):
        slides.value("D2-16", "same/2")
    with pytest.raises(ValueError, match="no slide row"):
        slides.value("D2-99")


def test_corrections_and_citations_cannot_pass_as_checks():
    with pytest.raises(ValueError, match="check_correction"):
        slides.check("D2-30", 0.64)
    line = slides.check_correction("D2-30", 0.682689, rtol=1e-5)
    assert "0.64" in line and "0.6827" in line
    with pytest.raises(AssertionError):
        slides.check_correction("D2-30", 0.64, rtol=1e-5)
    with pytest.raises(ValueError, match="published"):
        slides.check("D2-02", 2.251, "SENet")
    assert "published" in slides.cite("D2-02")


# ---- the mapping -------------------------------------------------------------------------

def test_mapping_covers_every_row_once():
    assert set(ROWS) == set(slides.ROWS)
    for row_id, entry in ROWS.items():
        assert entry["status"] in {"CC", "CF", "CU", "cited", "explained", "absent", "pending", "uncovered"}, row_id
        if entry["status"] in {"absent", "pending", "uncovered"}:
            assert entry.get("why"), f"{row_id}: say why it is {entry['status']}"
        if slides.row(row_id).published:
            assert entry["status"] not in {"CC", "CF"}, f"{row_id} is a published result: cite it, do not count it as checked"


@pytest.mark.parametrize("row_id", sorted(r for r, e in ROWS.items() if e.get("notebook")))
def test_mapped_cell_checks_its_row(row_id):
    entry = ROWS[row_id]
    assert entry["notebook"] in NOTEBOOKS, f"{row_id}: {entry['notebook']} is not in notebooks/"
    source = _cell(entry["notebook"], entry["cell"])
    assert source is not None, f"{row_id}: cell {entry['cell']} no longer exists in {entry['notebook']}: update tests/slide_rows.json"
    if "anchor" in entry:   # a check written without labs.slides (a formula, a structure, a full-profile check)
        assert entry["anchor"] in source, f"{row_id}: {entry['notebook']} cell {entry['cell']} no longer holds {entry['anchor']!r}"
        return
    assert f'"{row_id}"' in source or f"'{row_id}'" in source, f"{row_id}: not named in {entry['notebook']} cell {entry['cell']}"
    if entry["status"] in {"CC", "CF"}:
        assert CHECK_CALL.search(source), f"{row_id}: {entry['notebook']} cell {entry['cell']} does not call slides.check"
    elif entry["status"] == "cited":
        assert CITE_CALL.search(source), f"{row_id}: {entry['notebook']} cell {entry['cell']} does not call slides.cite"


def test_uncovered_rows_are_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"D\d-\d\d", readme))
    for deck, first, last in re.findall(r"(D\d)-(\d\d) to \1-(\d\d)", readme.replace("\n", " ")):
        listed |= {f"{deck}-{n:02d}" for n in range(int(first), int(last) + 1)}
    missing = [r for r, e in ROWS.items() if e["status"] in {"uncovered", "pending"} and r not in listed]
    assert not missing, f"list these rows in the README's 'not yet covered': {missing}"


def test_decks_002_and_004_remainder_is_explained():
    # every row of the main deck and the seminar is checked, or a notebook cell says why not (or lab 08 is pending)
    for row_id, entry in ROWS.items():
        if row_id[:2] in {"D2", "D4"} and entry["status"] not in {"CC", "CF", "pending"}:
            assert entry.get("notebook"), f"{row_id} ({entry['status']}): no notebook cell explains it"


# ---- the notebooks -----------------------------------------------------------------------

def test_notebooks_name_only_existing_rows():
    for name, notebook in NOTEBOOKS.items():
        for cell in notebook["cells"]:
            for _, row_id in ANY_CALL.findall("".join(cell["source"])):
                assert row_id in slides.ROWS, f"{name}: slides row {row_id} does not exist"


def _known_numbers():
    def flatten(v):
        if callable(v) or isinstance(v, bool) or v is None:
            return []
        if isinstance(v, dict):
            return [x for k, i in v.items() for x in flatten(k) + flatten(i)]
        if isinstance(v, (list, tuple)):
            return [x for i in v for x in flatten(i)]
        if isinstance(v, (int, float)):
            return [float(v)]
        return [float(m.group(1).replace(",", "")) for m in NUMBER.finditer(str(v))]
    known = set()
    for row in slides.ROWS.values():
        for x in flatten(row.value) + flatten(row.correct) + flatten(row.quote):
            known |= {round(x, 6), round(x * 100, 6), round(x / 100, 6)}
    return known


def test_no_notebook_misquotes_a_slide():
    # Every number in a markdown sentence that mentions the slides must be one of the table's
    # (as printed, or as a percentage/fraction of it), a small count (0–12), a year, or be listed for
    # that notebook in slide_rows.json's "not_slide_numbers" (numbers from other sources).
    known = _known_numbers()
    allowed = MAPPING.get("not_slide_numbers", {})
    problems = []
    for name, notebook in NOTEBOOKS.items():
        extra = set(allowed.get(name[:2], []))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for sentence in re.split(r"(?<=[.;!?])\s+|\n\n", "".join(cell["source"])):
                if not re.search(r"\bslides\b|\bslide['’]s\b|\b(?:the|this|a) slide\b", sentence, re.I):
                    continue
                text = re.sub(r"D\d-\d\d", "", sentence)   # row ids are not values
                for match in NUMBER.finditer(text):
                    if UNIT.match(text, match.end()):        # a measured time, size or cost, not a slide value
                        continue
                    x = float(match.group(1).replace(",", ""))
                    small_or_year = x.is_integer() and (x <= 12 or 1950 <= x <= 2030)
                    if round(x, 6) not in known and not small_or_year and match.group(1) not in extra:
                        problems.append(f"{name} cell {cell.get('id')}: {match.group(1)!r} in “{sentence.strip()[:120]}”")
    assert not problems, ("numbers beside 'slides' that the slides' table does not hold (quote the slide exactly, "
                          "or list the number under not_slide_numbers if it is from another source):\n" + "\n".join(problems))


def test_counts_do_not_fall():
    # The rows computed and checked (every run, or full profile + shown in quick) may only grow.
    import slide_counts
    result = slide_counts.counts(MAPPING)
    for group, floor in MAPPING["minimum_checked"].items():
        counted = result["deck"][group]
        assert counted["CC"] + counted["CF"] >= floor, f"decks {group}: {counted['CC'] + counted['CF']} rows checked, was {floor}"
