"""5. Start-up: how long a fresh process takes to be useful, vs ``python -c pass``.

Each command runs in a new interpreter (the venv's), alternating with the bare interpreter,
so the ratio is what importing the SDK, building the CLI parser and (for ``list --sandbox``)
starting an embedded NAS and listing it add to an empty Python start.
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

from benchmarks._harness import Row, compare, ms

BIN = Path(sys.executable).parent
COMMANDS: dict[str, list[str]] = {
    'python -c "import scale_pilot_nb"': [sys.executable, "-c", "import scale_pilot_nb"],
    "scale-compose --help": [str(BIN / "scale-compose"), "--help"],
    "scale-compose list --sandbox": [str(BIN / "scale-compose"), "list", "--sandbox"],
}
BARE = [sys.executable, "-c", "pass"]


def _runs(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, timeout=60, check=False).returncode == 0


def run(rounds: int = 5) -> list[Row]:
    rows = []
    for label, command in COMMANDS.items():
        if not _runs(command):
            rows.append(Row("5 start-up", label, "fails or missing", "-", "not measured"))
            continue
        c = compare(
            label,
            partial(_runs, command),
            partial(_runs, BARE),
            baseline_label="python -c pass",
            rounds=rounds,
        )
        rows.append(
            Row(
                "5 start-up",
                label,
                ms(c.sdk_seconds),
                f"python -c pass {ms(c.baseline_seconds)}",
                f"ratio {c.ratio:.1f}",
            )
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
