"""Command line: ``python -m labs fetch NAME|all``, ``doctor``, ``colab-links``, ``grid``, ``release``, ``grade``, ``merge``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _fetch(args) -> int:
    from . import data

    names = list(data.DATASETS) if args.name == "all" else [args.name]
    for name in names:
        for path in data.fetch(name, force=args.force):
            print(f"{name}: {path} (verified)")
    return 0


def _doctor(args) -> int:
    from . import data, environment
    from .config import data_dir, profile

    print(f"profile        {profile()}")
    for package, version in environment.versions().items():
        print(f"{package:<14} {version}")
    print(f"backend        {environment.backend()}")
    print(f"devices        {', '.join(environment.devices())}")
    print(f"data directory {data_dir()}")
    states = data.status()
    for name, state in states.items():
        print(f"  {name:<12} {state}{_fetch_hint(name, state, states)}")
    return 0


def _fetch_hint(name: str, state: str, states: dict[str, str]) -> str:
    """For a data set that is not cached and verified: the command that fetches it (or why none is needed)."""
    from .data.cache import VERIFIED

    if state == VERIFIED or "python -m labs fetch" in state:  # a corrupt file's state names its command
        return ""
    other = {"mnist": "mnist-idx", "mnist-idx": "mnist"}.get(name)
    if other is not None and states.get(other) == VERIFIED:
        return f" (not needed: {other} is cached)"
    return f" - run `python -m labs fetch {name}`"


def _colab_links(args) -> int:
    from .colab import repository, rewrite_links

    root = Path(args.root)
    changed = rewrite_links(root, check=args.check)
    github, branch = repository(root)
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
    print(f"Colab links point at {github} ({branch}); {len(changed)} file(s) {'out of date' if args.check else 'changed'}")
    return 1 if args.check and changed else 0


def _grid(args) -> int:
    import os

    if args.profile:  # the data loaders read the profile too
        os.environ["LABS_PROFILE"] = args.profile
    from .config import profile
    from .experiments import default_workers, results_table, run_grid

    workers = args.workers if args.workers is not None else default_workers(args.profile or profile())
    try:
        records = run_grid(args.out, profile=args.profile, only=args.only, workers=workers)
    except KeyboardInterrupt:
        print(f"interrupted; finished runs are saved in {args.out}: run the same command to resume", file=sys.stderr)
        return 130
    print(results_table(records))
    print(f"{len(records)} record(s) in {args.out}")
    return 0


def _release(args) -> int:
    from .grading.release import release

    written = release(args.dest, labs=args.labs, github=args.github, branch=args.branch, workflow=not args.no_workflow)
    for path in written:
        print(f"wrote {path}")
    print(f"student copies of {len(written)} lab(s) in {args.dest}; no solution line left in any")
    return 0


def _grade(args) -> int:
    from .grading.grade import grade, parse_shard
    from .grading.reports import write_reports

    graded = grade(args.submissions, labs=args.labs, workers=args.workers, timeout=args.timeout,
                   profile=args.profile, shard=parse_shard(args.shard), progress=True)
    write_reports(graded, args.out)
    print(f"graded {len(graded['results'])} submission(s) of {len(graded['students'])} student(s); "
          f"reports in {args.out} (grades.csv, exercises.csv, summary.md, feedback/, junit/)")
    return 0


def _merge(args) -> int:
    from .grading.reports import merge

    merge(args.reports, args.out)
    print(f"merged {len(args.reports)} report(s) into {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m labs", description="CNN Labs helper commands")
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download and verify a data set into the data directory")
    fetch.add_argument("name", help="a data set name, or 'all'")
    fetch.add_argument("--force", action="store_true", help="download again even if a verified copy exists")
    fetch.set_defaults(handler=_fetch)

    doctor = commands.add_parser("doctor", help="versions, backend, devices, profile, data directory and data sets")
    doctor.set_defaults(handler=_doctor)

    colab = commands.add_parser("colab-links", help="rewrite Colab buttons and install lines from pyproject.toml")
    colab.add_argument("--root", default=".", help="repository root (default: the current directory)")
    colab.add_argument("--check", action="store_true", help="only report files that are out of date (exit 1 if any)")
    colab.set_defaults(handler=_colab_links)

    grid = commands.add_parser("grid", help="lab 06: train the CIFAR-100 grid (models × optimizers × "
                                            "regularization); resumes where it stopped")
    grid.add_argument("--out", required=True, help="results directory: one JSON record per run")
    grid.add_argument("--profile", choices=("quick", "full"), default=None,
                      help="recipe and data (default: LABS_PROFILE, else full)")
    grid.add_argument("--only", default=None, metavar="PATTERN",
                      help="train only run ids matching this glob, e.g. 'resnet18-*'")
    grid.add_argument("--workers", type=int, default=None, metavar="N",
                      help="runs trained at once, each in its own process (default: 2 in the quick "
                           "profile, at most one per core; 1 in full)")
    grid.set_defaults(handler=_grid)

    release = commands.add_parser("release", help="instructors: write the students' repository (solutions removed)")
    release.add_argument("dest", help="folder for the students' repository")
    release.add_argument("--labs", nargs="+", metavar="NN", help="only these labs (default: all)")
    release.add_argument("--github", metavar="OWNER/NAME", help="the students' repository, for the Colab buttons "
                                                               "and install line (default: no Colab button)")
    release.add_argument("--branch", default="main", help="its branch (default: main)")
    release.add_argument("--no-workflow", action="store_true", help="do not write .github/workflows/labs.yml")
    release.set_defaults(handler=_release)

    grade = commands.add_parser("grade", help="instructors: grade SUBMISSIONS/<student>/<NN_*.ipynb> per exercise")
    grade.add_argument("submissions", help="folder with one folder per student")
    grade.add_argument("--out", required=True, help="report folder")
    grade.add_argument("--labs", nargs="+", metavar="NN", help="only these labs (default: those handed in)")
    grade.add_argument("--workers", type=int, default=1, metavar="N", help="submissions graded at once (default 1)")
    grade.add_argument("--timeout", type=float, default=600, metavar="S",
                       help="time limit per notebook in seconds (default 600)")
    grade.add_argument("--profile", choices=("quick", "full"), default="quick", help="default: quick")
    grade.add_argument("--shard", default="1/1", metavar="K/N", help="grade every N-th student from the K-th")
    grade.set_defaults(handler=_grade)

    merge = commands.add_parser("merge", help="instructors: combine the reports of `grade --shard` runs")
    merge.add_argument("reports", nargs="+", help="the shards' report folders")
    merge.add_argument("--out", required=True, help="folder for the combined report")
    merge.set_defaults(handler=_merge)
    return parser


def main(argv=None) -> int:
    # TensorFlow's C++ log would bury the report: off (its errors reach Python as exceptions), and
    # the start-up lines it writes regardless are filtered (labs.environment.start_tensorflow).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    if args.command == "fetch":
        from . import data

        valid = ["all", *data.DATASETS]
        if args.name not in valid:
            print(f"unknown data set {args.name!r}; choose one of {', '.join(valid)}", file=sys.stderr)
            return 2
    try:
        return args.handler(args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
