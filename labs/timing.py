"""Timing that can be trusted: warm-up, several runs, the median."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Seconds of each run; ``median`` is what the labs report."""

    runs: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def spread(self) -> float:
        """max - min over the runs, in seconds."""
        return max(self.runs) - min(self.runs)

    def __str__(self) -> str:
        return f"{_format_seconds(self.median)} (median of {len(self.runs)}, spread {_format_seconds(self.spread)})"


def median_time(function, *, repeats: int = 5, warmup: int = 1) -> Timing:
    """Call ``function()`` ``warmup`` times untimed, then ``repeats`` times timed."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    for _ in range(warmup):
        function()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return Timing(runs)


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The machine's float32 matrix-product rate with TensorFlow: 2n³ / median time, in GFLOP/s."""
    import tensorflow as tf

    a = tf.random.uniform((n, n), dtype=tf.float32)
    b = tf.random.uniform((n, n), dtype=tf.float32)
    timing = median_time(lambda: tf.linalg.matmul(a, b).numpy(), repeats=repeats)
    return 2 * n**3 / timing.median / 1e9


def _format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"
