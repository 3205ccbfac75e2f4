"""Checks for notebooks and exercises: an ``AssertionError`` whose message helps the student."""
from __future__ import annotations

import numpy as np


def check_equal(name: str, got, expected, hint: str = "") -> None:
    """Raise ``AssertionError`` unless ``got == expected`` (arrays compared element-wise)."""
    same = np.array_equal(np.asarray(got), np.asarray(expected)) if _is_array(got, expected) else got == expected
    if not same:
        raise AssertionError(_message(name, got, expected, hint))


def check_close(name: str, got, expected, *, rtol: float = 1e-6, atol: float = 0.0, hint: str = "") -> None:
    """Raise unless ``|got - expected| <= atol + rtol * |expected|`` everywhere."""
    got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape and got_array.size != 1 and expected_array.size != 1:
        raise AssertionError(_message(f"{name} (shape)", got_array.shape, expected_array.shape, hint))
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        error = float(np.max(np.abs(got_array - expected_array)))
        raise AssertionError(_message(name, got, expected, hint) + f" (max abs error {error:.3g})")


def check_at_least(name: str, got: float, minimum: float, hint: str = "") -> None:
    """Raise unless ``got >= minimum``."""
    if not got >= minimum:
        raise AssertionError(f"{name}: got {got!r}, expected at least {minimum!r}. {hint}".rstrip())


def check_at_most(name: str, got: float, maximum: float, hint: str = "") -> None:
    """Raise unless ``got <= maximum``."""
    if not got <= maximum:
        raise AssertionError(f"{name}: got {got!r}, expected at most {maximum!r}. {hint}".rstrip())


def _is_array(*values) -> bool:
    return any(isinstance(v, (np.ndarray, list, tuple)) for v in values)


def _message(name, got, expected, hint) -> str:
    return f"{name}: got {got!r}, expected {expected!r}. {hint}".rstrip()
