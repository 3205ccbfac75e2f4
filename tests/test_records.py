"""Tests of labs.records: atomic writes, broken files read as missing."""
import json

import pytest

from labs.experiments import Run
from labs.records import load_results, read_record, write_record
from grid_helpers import TINY, fake_record


def test_record_round_trip_is_atomic(tmp_path):
    record = fake_record(Run("vgg16", "sgd", "none"), TINY)
    path = write_record(tmp_path, record)
    assert path.name == "vgg16-sgd-none-seed0.json"
    assert read_record(path) == record
    assert load_results(tmp_path) == [record]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left behind
    with pytest.raises(ValueError, match="lacks the field"):
        write_record(tmp_path, {"run_id": "x"})


def test_broken_records_are_not_trusted(tmp_path):
    (tmp_path / "a.json").write_text('{"run_id": "a", "test_acc')  # cut off mid-write
    (tmp_path / "b.json").write_text(json.dumps({"run_id": "b"}))  # fields missing
    assert read_record(tmp_path / "a.json") is None and read_record(tmp_path / "b.json") is None
    assert read_record(tmp_path / "missing.json") is None
    assert load_results(tmp_path) == [] and load_results(tmp_path / "nowhere") == []
