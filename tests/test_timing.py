import time

import pytest

from labs import timing


def test_median_time_runs_warmup_then_repeats():
    calls = []
    result = timing.median_time(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6
    assert len(result.runs) == 4
    assert result.median >= 0


def test_median_time_measures_a_known_delay():
    result = timing.median_time(lambda: time.sleep(0.02), repeats=3, warmup=0)
    assert 0.015 < result.median < 0.2
    assert "median of 3" in str(result)


def test_median_time_rejects_no_repeats():
    with pytest.raises(ValueError, match="repeats must be at least 1, got 0"):
        timing.median_time(lambda: None, repeats=0)


def test_matmul_rate_is_plausible():
    rate = timing.matmul_gflops(n=256, repeats=3)
    assert 0.1 < rate < 1e6
