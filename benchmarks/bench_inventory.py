"""1. Inventory: ``Pilot.apps()`` on the 1,000-app seed vs the floor the wire allows.

The floor is one raw ``websockets`` JSON-RPC ``app.query`` on an already logged-in connection
plus ``pandas.json_normalize`` of the result: what a hand-written script would do, with no
records, dtypes or error handling. Both send the same request (``[[], {}]``), so the sandbox
does identical work for either side.
"""

from __future__ import annotations

import pandas as pd

from benchmarks._harness import Comparison, Row, compare, ms
from benchmarks._raw import RawClient
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox

FLOOR = "raw app.query + json_normalize"


def measure(apps: int, rounds: int, *, containers: bool = True) -> list[Comparison]:
    """Time ``Pilot.apps()`` (and ``Pilot.containers()``) against the raw floor."""
    with Sandbox(seed=apps) as sb, RawClient(sb) as raw:
        pilot = Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))
        with pilot:

            def floor() -> pd.DataFrame:
                return pd.json_normalize(raw.call("app.query", [], {}))

            results = [
                compare(
                    f"Pilot.apps() ({apps} apps)",
                    pilot.apps,
                    floor,
                    baseline_label=FLOOR,
                    rounds=rounds,
                )
            ]
            if containers:
                results.append(
                    compare(
                        f"Pilot.containers() ({apps} apps)",
                        pilot.containers,
                        floor,
                        baseline_label=FLOOR,
                        rounds=rounds,
                    )
                )
            return results


def run(apps: int = 1000, rounds: int = 7) -> list[Row]:
    return [
        Row(
            "1 inventory",
            c.name,
            ms(c.sdk_seconds),
            f"{FLOOR} {ms(c.baseline_seconds)}",
            f"ratio {c.ratio:.2f} (target <= 1.3)",
        )
        for c in measure(apps, rounds)
    ]


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
