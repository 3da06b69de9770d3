"""Shared timing harness: alternate SDK and baseline, several rounds, report medians.

Alternating the two in one process run keeps machine noise (other load, CPU frequency) on
both sides equally, so the ratio means something even when absolute times wander.

The garbage collector is paused while a sample runs (after a full collection), as ``timeit``
does. Both sides here decode multi-MiB answers into ~100,000 objects, and the embedded
sandbox keeps its whole NAS model in the same process, so a full collection (30-60 ms at
1,000 apps, collecting nothing) lands on whichever sample happens to cross the threshold:
with it on, the ratio of two equal workloads swung between 0.9 and 1.7 depending on phase.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the results table (every benchmark reports rows of this shape)."""

    benchmark: str
    measure: str
    sdk: str
    baseline: str
    result: str

    def markdown(self) -> str:
        return (
            f"| {self.benchmark} | {self.measure} | {self.sdk} | {self.baseline} | {self.result} |"
        )


TABLE_HEADER = "| benchmark | measure | SDK | baseline | result |\n|---|---|---|---|---|"


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
        sdk_times.append(timed(sdk))
        baseline_times.append(timed(baseline))
    return Comparison(
        name, statistics.median(sdk_times), statistics.median(baseline_times), baseline_label
    )


def timed(work: Callable[[], object]) -> float:
    """Wall seconds of one ``work()``, with the garbage collector paused (see the module)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        gc.enable()


def ms(seconds: float) -> str:
    """``12.3 ms`` (or ``1.23 s`` above one second)."""
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"
