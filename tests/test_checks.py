import numpy as np
import pytest

from labs import checks


def test_check_equal_passes_and_fails_with_the_values():
    checks.check_equal("count", 760, 760)
    checks.check_equal("shape", (2, 3), (2, 3))
    with pytest.raises(AssertionError, match=r"count: got 761, expected 760\. count the bias"):
        checks.check_equal("count", 761, 760, hint="count the bias")


def test_check_equal_compares_arrays_elementwise():
    checks.check_equal("a", np.array([1, 2]), [1, 2])
    with pytest.raises(AssertionError, match="a: got"):
        checks.check_equal("a", np.array([1, 2]), [1, 3])


def test_check_close_uses_tolerances():
    checks.check_close("x", 1.0 + 1e-9, 1.0)
    checks.check_close("x", [1.0, 2.0], [1.0, 2.001], rtol=1e-3)
    with pytest.raises(AssertionError, match=r"max abs error 0\.1"):
        checks.check_close("x", 1.1, 1.0, rtol=1e-3)
    with pytest.raises(AssertionError, match=r"x \(shape\)"):
        checks.check_close("x", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_check_bounds():
    checks.check_at_least("accuracy", 0.95, 0.9)
    checks.check_at_most("error", 0.01, 0.02)
    with pytest.raises(AssertionError, match="accuracy: got 0.5, expected at least 0.9"):
        checks.check_at_least("accuracy", 0.5, 0.9)
    with pytest.raises(AssertionError, match="expected at most"):
        checks.check_at_most("error", 0.5, 0.02)
    with pytest.raises(AssertionError):
        checks.check_at_least("nan", float("nan"), 0.0)
