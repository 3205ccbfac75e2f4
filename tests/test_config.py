from pathlib import Path

import numpy as np
import pytest

import labs
from labs import config


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("LABS_PROFILE", raising=False)
    assert labs.profile() == "full"


@pytest.mark.parametrize("value, expected", [("quick", "quick"), ("FULL", "full"), (" quick ", "quick"), ("", "full")])
def test_profile_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setenv("LABS_PROFILE", value)
    assert labs.profile() == expected


def test_profile_rejects_unknown_value(monkeypatch):
    monkeypatch.setenv("LABS_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"LABS_PROFILE='fast' is not a profile.*quick.*full"):
        labs.profile()


def test_test_configuration_sets_quick():
    # conftest.py sets quick unless the caller chose otherwise; CI and the README rely on it.
    assert labs.profile() == "quick"


def test_pick_follows_the_profile(monkeypatch):
    monkeypatch.setenv("LABS_PROFILE", "quick")
    assert labs.pick(quick=1, full=15) == 1
    monkeypatch.setenv("LABS_PROFILE", "full")
    assert labs.pick(quick=1, full=15) == 15


def test_seed_makes_numpy_and_keras_repeatable():
    import keras

    def draw():
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        return np.random.rand(3), keras.ops.convert_to_numpy(layer.kernel)

    labs.seed(3)
    first = draw()
    labs.seed(3)
    second = draw()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        labs.seed(bad)


def test_data_dir_from_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path))
    assert labs.data_dir() == tmp_path.resolve()


def test_data_dir_defaults_to_repository_data(monkeypatch):
    monkeypatch.delenv("LABS_DATA_DIR", raising=False)
    assert labs.data_dir() == Path(__file__).resolve().parents[1] / "data"


def test_data_dir_outside_a_checkout_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("LABS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(config, "repository_root", lambda: None)
    assert labs.data_dir() == tmp_path / "cnn-labs"


def test_notice_prints_with_a_prefix(capsys):
    labs.notice("hello")
    assert capsys.readouterr().out == "[labs] hello\n"


def test_work_dir_defaults_to_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("LABS_WORK_DIR", raising=False)
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path))
    assert labs.work_dir() == tmp_path.resolve()
    monkeypatch.setenv("LABS_WORK_DIR", str(tmp_path / "out"))
    assert labs.work_dir() == (tmp_path / "out").resolve()


def test_labs_seed_shifts_every_seed(monkeypatch):
    monkeypatch.setenv("LABS_SEED", "3")
    assert labs.config.derived_seed(0) == 3 and labs.seed(2) == 5
    labs.seed(2)
    shifted = np.random.rand()
    monkeypatch.delenv("LABS_SEED")
    labs.seed(5)
    assert np.random.rand() == shifted
    assert labs.seed(2) == 2


def test_labs_seed_must_be_a_non_negative_integer(monkeypatch):
    monkeypatch.setenv("LABS_SEED", "-1")
    with pytest.raises(ValueError, match=r"LABS_SEED='-1' is not a non-negative integer"):
        labs.seed(0)
