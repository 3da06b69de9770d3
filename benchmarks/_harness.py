"""Shared timing harness: alternate SDK and baseline, several rounds, report medians.

Alternating the two in one process run keeps machine noise (other load, CPU frequency) on
both sides equally, so the ratio means something even when absolute times wander.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Median wall times of the SDK and its baseline, and their ratio."""

    name: str
    sdk_seconds: float
    baseline_seconds: float
    baseline_label: str

    @property
    def ratio(self) -> float:
        """SDK time / baseline time (below 1: the SDK is faster)."""
        return self.sdk_seconds / self.baseline_seconds

    def row(self) -> str:
        return (
            f"| {self.name} | {self.sdk_seconds * 1000:.1f} ms | {self.baseline_label} "
            f"{self.baseline_seconds * 1000:.1f} ms | {self.ratio:.2f} |"
        )


def compare(
    name: str,
    sdk: Callable[[], object],
    baseline: Callable[[], object],
    *,
    baseline_label: str,
    rounds: int = 5,
    warmup: int = 1,
) -> Comparison:
    """Run ``sdk`` and ``baseline`` alternately ``rounds`` times (after a warm-up each)."""
    for _ in range(warmup):
        sdk()
        baseline()
    sdk_times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(rounds):
        sdk_times.append(_timed(sdk))
        baseline_times.append(_timed(baseline))
    return Comparison(
        name, statistics.median(sdk_times), statistics.median(baseline_times), baseline_label
    )


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
