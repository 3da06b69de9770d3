"""``python -m benchmarks`` (``make bench``): run every benchmark and print one table.

Benchmarks run one after another in this process (the start-up one spawns interpreters);
each prints nothing itself. The machine description goes above the table so a pasted result
says where it was measured.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable

from benchmarks import (
    bench_bulk,
    bench_hygiene,
    bench_inventory,
    bench_logs,
    bench_scale,
    bench_startup,
    bench_validation,
)
from benchmarks._harness import TABLE_HEADER, Row

BENCHMARKS: list[tuple[str, Callable[[], list[Row]]]] = [
    ("inventory", bench_inventory.run),
    ("bulk lifecycle", bench_bulk.run),
    ("connection hygiene", bench_hygiene.run),
    ("validation", bench_validation.run),
    ("start-up", bench_startup.run),
    ("log streaming", bench_logs.run),
    ("scale", bench_scale.run),
]


def machine() -> str:
    """nproc, CPU model, memory and Python version, from /proc where it exists."""
    cpu = "unknown CPU"
    memory = "unknown memory"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
            memory = f"{kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory}, Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def main() -> None:
    print(f"Machine: {machine()}", flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for name, bench in BENCHMARKS:
        began = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        rows.extend(bench())
        print(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print(TABLE_HEADER)
    for row in rows:
        print(row.markdown())
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
