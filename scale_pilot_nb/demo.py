"""``make demo``: the quickstart runbook against the embedded sandbox, in a terminal.

Starts a sandbox (demo seed), shows the NAS status, validates and deploys the nginx example,
tails its logs, stops it, and prints the app inventory. Exits 0 when every step worked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import scale_pilot_nb as sp

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nginx.yml"


def _step(title: str) -> None:
    print(f"\n== {title}")


def main() -> int:
    """Run the quickstart; return the exit status."""
    with sp.connect(sandbox=True) as pilot:
        _step("Connected")
        print(pilot)
        print(pilot.status())

        _step(f"Validate {EXAMPLE.name}")
        report = pilot.validate(EXAMPLE, "my-nginx")
        print(report)
        if not report.valid:
            return 1

        _step("Deploy my-nginx")
        result = pilot.deploy(
            EXAMPLE,
            "my-nginx",
            progress=lambda pct, text: text and print(f"  {pct or 0:5.1f}% {text}"),
        )
        print(result)

        _step("Last log lines")
        for line in pilot.logs("my-nginx", tail=5):
            print(f"  {line}")

        _step("Stop my-nginx")
        print(pilot.stop("my-nginx"))

        _step("App inventory")
        frame = pilot.apps()
        print(frame[["name", "state", "custom_app", "human_version", "containers"]].to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
