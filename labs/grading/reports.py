"""Reports of a graded class: grades.csv, exercises.csv, summary.md (+ figure), feedback, JUnit XML.

Everything is written from ``results.json`` (``grade.grade``'s dict), so ``merge`` of shard
reports writes exactly what grading the class at once would.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree


def _number(value) -> str:
    return f"{value:g}"


def _status(results: list[dict]) -> str:
    bad = [f"{r['lab'][:2]}: {r['status']}" for r in results if r["status"] != "ok"]
    return "; ".join(bad) or "ok"


def write_reports(graded: dict, out) -> Path:
    """Write every report of ``graded`` into ``out``; return ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(graded["results"], key=lambda r: (r["student"], r["lab"]))
    graded = {**graded, "results": results, "students": sorted(graded["students"])}
    (out / "results.json").write_text(json.dumps(graded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    columns = [(lab, e["exercise"], e["max"]) for lab, listed in graded["labs"].items() for e in listed]
    maximum = sum(m for _, _, m in columns)
    by_student: dict[str, list[dict]] = {s: [] for s in graded["students"]}
    for result in results:
        by_student.setdefault(result["student"], []).append(result)

    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", *[c[1] for c in columns], "total", "percent", "status", "flags"])
        writer.writerow(["points", *[_number(c[2]) for c in columns], _number(maximum), "100", "", ""])
        for student, own in by_student.items():
            points = {(r["lab"], row["exercise"]): row["points"] for r in own for row in r["exercises"]}
            scores = [points.get((lab, exercise), 0) for lab, exercise, _ in columns]
            total = sum(scores)
            writer.writerow([student, *map(_number, scores), _number(total),
                             _number(round(100 * total / maximum, 1)) if maximum else "0", _status(own),
                             "; ".join(f for r in own for f in r["flags"])])

    with open(out / "exercises.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "lab", "exercise", "points", "max", "outcome", "message"])
        for result in results:
            for row in result["exercises"]:
                writer.writerow([result["student"], result["lab"], row["exercise"], _number(row["points"]),
                                 _number(row["max"]), row["outcome"], row["message"]])

    _summary(graded, columns, out)
    for result in results:
        _feedback(result, out / "feedback" / result["student"] / f"{result['lab']}.md")
        _junit(result, out / "junit" / result["student"] / f"{result['lab']}.xml")
    return out


def _summary(graded: dict, columns, out: Path) -> None:
    results, count = graded["results"], len(graded["students"])
    titles = {e["exercise"]: e["title"] for listed in graded["labs"].values() for e in listed}
    passed = {c[1]: 0 for c in columns}
    for result in results:
        for row in result["exercises"]:
            if row["outcome"] == "passed":
                passed[row["exercise"]] += 1
    rates = {exercise: (passed[exercise] / count if count else 0.0) for exercise in passed}
    lines = [f"# Grades: {count} student(s), lab(s) {', '.join(graded['labs'])}, profile {graded['profile']}", "",
             "![pass rate per exercise](pass_rate.png)", "",
             "| exercise | title | points | passed | pass rate |", "|---|---|---|---|---|"]
    lines += [f"| {exercise} | {titles[exercise]} | {_number(maximum)} | {passed[exercise]} of {count} | "
              f"{rates[exercise]:.0%} |" for _, exercise, maximum in columns]
    problems = [r for r in results if r["status"] != "ok"]
    lines += ["", f"## Submissions that did not run cleanly ({len(problems)})", ""]
    lines += [f"- {r['student']}, {r['lab']}: {r['status']}" for r in problems] or ["none"]
    flags = [(r, f) for r in results for f in r["flags"]]
    lines += ["", f"## Flags: code to read before trusting a score ({len(flags)})", ""]
    lines += [f"- {r['student']}, {r['lab']}, {f}" for r, f in flags] or ["none"]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _figure(rates, out / "pass_rate.png")


def _figure(rates: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(4, 0.5 * len(rates) + 1.5), 3))
    axis = figure.subplots()
    axis.bar(list(rates), [100 * r for r in rates.values()], color="tab:blue")
    axis.set(ylim=(0, 100), ylabel="passed (%)", title="Pass rate per exercise")
    axis.tick_params(axis="x", rotation=90 if len(rates) > 12 else 0)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _feedback(result: dict, path: Path) -> None:
    total = sum(row["points"] for row in result["exercises"])
    maximum = sum(row["max"] for row in result["exercises"])
    lines = [f"# {result['lab']}: {_number(total)} of {_number(maximum)} points", ""]
    if result["status"] != "ok":
        lines += [f"Status: {result['status']}", ""]
    for row in result["exercises"]:
        head = f"- **{row['exercise']} {row['title']}**: {row['outcome']} ({_number(row['points'])}/{_number(row['max'])})"
        lines.append(head + (f"\n  {row['message']}" if row["outcome"] != "passed" and row["message"] else ""))
    if result["notes"]:
        lines += ["", "Notes:", *[f"- {note}" for note in result["notes"]]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _junit(result: dict, path: Path) -> None:
    rows = result["exercises"]
    suite = ElementTree.Element("testsuite", name=f"{result['student']}.{result['lab']}", tests=str(len(rows)),
                                failures=str(sum(r["outcome"] == "failed" for r in rows)),
                                errors=str(sum(r["outcome"] not in ("passed", "failed") for r in rows)),
                                time=f"{result['seconds']:.2f}")
    for row in rows:
        case = ElementTree.SubElement(suite, "testcase", classname=result["lab"],
                                      name=f"{row['exercise']} {row['title']}")
        if row["outcome"] == "failed":
            ElementTree.SubElement(case, "failure", message=row["message"][:500]).text = row["message"]
        elif row["outcome"] != "passed":
            ElementTree.SubElement(case, "error", message=f"{row['outcome']}: {row['message'][:480]}").text = row["message"]
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def merge(reports, out) -> Path:
    """Combine shard reports (folders holding ``results.json``) into one report in ``out``."""
    merged = None
    seen = set()
    for folder in reports:
        path = Path(folder) / "results.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: pass the --out folders of `grade --shard`")
        graded = json.loads(path.read_text(encoding="utf-8"))
        if merged is None:
            merged = {**graded, "results": [], "students": []}
        elif graded["labs"] != merged["labs"] or graded["profile"] != merged["profile"]:
            raise ValueError(f"{path}: graded other labs or another profile than {Path(reports[0]) / 'results.json'}")
        for result in graded["results"]:
            key = (result["student"], result["lab"])
            if key in seen:
                raise ValueError(f"{path}: {key[0]}'s {key[1]} is in two shards")
            seen.add(key)
        merged["results"] += graded["results"]
        merged["students"] += graded["students"]
    if merged is None:
        raise ValueError("merge needs at least one report folder")
    return write_reports(merged, out)
