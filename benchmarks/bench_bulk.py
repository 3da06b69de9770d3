"""Bulk lifecycle: the SDK's bounded-concurrency helper vs a sequential loop.

The sequential loop (one job at a time, waiting for each) is what the earlier tool and most
scripts do. With a sandbox job latency of L seconds, it costs ``apps × jobs × L``; the floor
for the bulk helper is ``ceil(apps / in-flight limit) × jobs × L``.
"""

from __future__ import annotations

import math
import time

from scale_pilot_nb.manager import DEFAULT_CONCURRENCY, TrueNASDockerManager
from scale_pilot_nb.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing


def run(apps: int = 50, latency: float = 0.2) -> dict[str, float]:
    """Stop then start ``apps`` apps both ways; return wall times, speedup and floor."""
    with Sandbox(seed=apps, timing=Timing.latency(latency)) as sb:
        pilot = Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))
        with pilot:
            names = list(pilot.apps()["name"])
            start = time.perf_counter()
            stopped, started = pilot.bulk("stop", names), pilot.bulk("start", names)
            bulk = time.perf_counter() - start
            assert stopped.ok and started.ok
            start = time.perf_counter()
            for name in names:
                pilot.stop(name)
            for name in names:
                pilot.start(name)
            sequential = time.perf_counter() - start
    floor = 2 * math.ceil(apps / DEFAULT_CONCURRENCY) * latency
    return {
        "apps": apps,
        "latency": latency,
        "bulk_s": bulk,
        "sequential_s": sequential,
        "speedup": sequential / bulk,
        "floor_s": floor,
        "bulk_over_floor": bulk / floor,
    }


if __name__ == "__main__":
    r = run()
    print(
        f"| stop+start {r['apps']:.0f} apps, job latency {r['latency']} s | bulk "
        f"{r['bulk_s']:.2f} s | sequential {r['sequential_s']:.2f} s | speedup "
        f"{r['speedup']:.1f}x | floor {r['floor_s']:.2f} s "
        f"(bulk/floor {r['bulk_over_floor']:.2f}) |"
    )
