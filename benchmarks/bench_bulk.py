"""2. Bulk lifecycle: the SDK's bounded-concurrency helper vs a sequential loop.

Restarting an app is two TrueNAS jobs in our manager (``app.stop`` then ``app.start``: TrueNAS
has no restart of its own). The sequential loop (one app at a time, waiting for each job) is
what the earlier tool and most scripts do; it costs ``apps × 2 × L`` at a job latency of L
seconds. The floor for the bulk helper is ``ceil(apps / in-flight limit) × 2 × L``.

The sequential loop takes minutes, so it runs once, between two bulk runs (bulk median).
"""

from __future__ import annotations

import math
import statistics

from benchmarks._harness import Row, timed
from scale_pilot_nb.manager.manager import DEFAULT_CONCURRENCY, TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

#: Jobs per restart in our manager (stop + start).
JOBS_PER_RESTART = 2


def measure(apps: int, latency: float) -> dict[str, float]:
    """Restart ``apps`` apps both ways; wall times, speedup and floor."""
    with Sandbox(seed=apps, timing=Timing.latency(latency)) as sb:
        pilot = Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))
        with pilot:
            inventory = pilot.apps()  # the seed's running apps (it also has stopped ones)
            names = list(inventory[inventory["state"] == "RUNNING"]["name"])

            def bulk() -> None:
                result = pilot.bulk("restart", names)
                assert result.ok, result

            def sequential() -> None:
                for name in names:
                    pilot.restart(name)

            bulk_times = [timed(bulk)]
            sequential_s = timed(sequential)
            bulk_times.append(timed(bulk))
    bulk_s = statistics.median(bulk_times)
    floor = math.ceil(len(names) / DEFAULT_CONCURRENCY) * JOBS_PER_RESTART * latency
    return {"bulk_s": bulk_s, "sequential_s": sequential_s, "floor_s": floor, "apps": len(names)}


def run(apps: int = 100, latency: float = 0.5) -> list[Row]:
    r = measure(apps, latency)
    restarted = int(r["apps"])
    return [
        Row(
            "2 bulk lifecycle",
            f"restart the {restarted} running apps of a {apps}-app seed "
            f"(stop+start = {JOBS_PER_RESTART} jobs each), "
            f"job latency {latency} s, {DEFAULT_CONCURRENCY} in flight",
            f"pilot.bulk {r['bulk_s']:.2f} s",
            f"sequential pilot.restart loop {r['sequential_s']:.1f} s",
            f"speedup {r['sequential_s'] / r['bulk_s']:.1f}x; floor "
            f"ceil({restarted}/{DEFAULT_CONCURRENCY})x{JOBS_PER_RESTART}x{latency} = "
            f"{r['floor_s']:.2f} s, bulk/floor {r['bulk_s'] / r['floor_s']:.2f}",
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
