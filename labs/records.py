"""Run records on disk: one ``OUT/RUN_ID.json`` per finished run, written atomically.

A record is written to a temporary file, flushed to disk, then renamed over the target with
``os.replace``: a reader sees the old file or the whole new one, never half of one. A record
that does not parse or lacks a field reads as ``None``, so it is trained again, not trusted.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

RECORD_FIELDS = ("run_id", "config", "test_accuracy", "best_val_accuracy", "epochs", "wall_seconds",
                 "images_per_second", "parameters", "history", "versions")


def record_path(out, run_id: str) -> Path:
    return Path(out) / f"{run_id}.json"


def write_record(out, record: dict) -> Path:
    """Write ``record`` as ``OUT/RUN_ID.json`` atomically: temporary file, fsync, ``os.replace``."""
    missing = [name for name in RECORD_FIELDS if name not in record]
    if missing:
        raise ValueError(f"record lacks the field(s) {missing}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = record_path(out, record["run_id"])
    handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{record['run_id']}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(record, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_record(path) -> dict | None:
    """The record in ``path``, or ``None`` when it is missing, not JSON or lacks a field."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or any(name not in record for name in RECORD_FIELDS):
        return None
    return record


def load_results(out) -> list[dict]:
    """Every valid record in ``out``, sorted by run id (broken files are skipped)."""
    out = Path(out)
    if not out.is_dir():
        return []
    records = (read_record(path) for path in sorted(out.glob("*.json")))
    return [record for record in records if record is not None]
