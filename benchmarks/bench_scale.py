"""7. Scale: ``Pilot.apps()`` at 10, 100, 1,000 and 5,000 apps, against the raw floor.

Growth is reported as time per app between sizes (flat = linear), and the sandbox counts the
request frames one ``apps()`` call sends (one, whatever the size: no per-app round trips).
"""

from __future__ import annotations

import pandas as pd

from benchmarks._harness import Row, compare, ms
from benchmarks._raw import RawClient
from benchmarks.bench_inventory import FLOOR
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox

SIZES = (10, 100, 1000, 5000)


def _one_size(apps: int, rounds: int) -> tuple[float, float, int]:
    """(SDK median s, floor median s, request frames per ``apps()`` call)."""
    with Sandbox(seed=apps) as sb, RawClient(sb) as raw, _pilot(sb) as pilot:
        before = sb.metrics.frames_in
        pilot.apps()
        requests = sb.metrics.frames_in - before

        def floor() -> pd.DataFrame:
            return pd.json_normalize(raw.call("app.query", [], {}))

        c = compare(f"{apps}", pilot.apps, floor, baseline_label=FLOOR, rounds=rounds)
        return c.sdk_seconds, c.baseline_seconds, requests


def _pilot(sb: Sandbox) -> Pilot:
    return Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))


def run(rounds: int = 5) -> list[Row]:
    rows = []
    previous: tuple[int, float] | None = None
    for apps in SIZES:
        sdk, floor, requests = _one_size(apps, rounds if apps < 5000 else 3)
        per_app = sdk / apps
        growth = ""
        if previous is not None:
            growth = f"; per-app time x{per_app / previous[1]:.2f} vs {previous[0]} apps"
        rows.append(
            Row(
                "7 scale",
                f"Pilot.apps() at {apps} apps",
                ms(sdk),
                f"{FLOOR} {ms(floor)}",
                f"ratio {sdk / floor:.2f}; {requests} request frame(s) per call; "
                f"{per_app * 1e6:.0f} us/app{growth}",
            )
        )
        previous = (apps, per_app)
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
