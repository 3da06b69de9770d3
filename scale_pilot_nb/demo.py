"""``make demo``: run ``notebooks/01-quickstart.ipynb`` in this process and show its output.

The quickstart notebook *is* the demo, so this module holds no copy of its steps: it runs each
code cell in one in-process IPython shell (no Jupyter kernel or server needed) from the
notebook's folder, prints what a terminal can show (printed text, each cell's ``text/plain``
result; widgets show their text summaries, job progress is printed as text lines), and ends
with the app inventory. Exits 0 when every cell ran, 1 at the first failing cell.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-quickstart.ipynb"

#: Inventory columns printed at the end.
INVENTORY_COLUMNS = ["name", "state", "custom_app", "human_version", "containers"]


def code_cells(path: Path) -> list[str]:
    """The sources of the notebook's code cells, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def _title(source: str) -> str:
    """The first line of a cell that is not an nbval marker."""
    lines = [line for line in source.splitlines() if line and not line.startswith("# NBVAL")]
    return lines[0] if lines else ""


def run(path: Path = NOTEBOOK) -> int:
    """Run the notebook's code cells in-process; print the inventory; return the exit status."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    namespace: dict[str, Any] = shell.user_ns
    here = Path.cwd()
    os.chdir(path.parent)
    try:
        for number, source in enumerate(code_cells(path), start=1):
            print(f"\n== [{number}] {_title(source)}", flush=True)
            if not shell.run_cell(source, store_history=True).success:
                return 1
        pilot = namespace.get("pilot")
        if pilot is not None:
            print("\n== App inventory")
            print(pilot.apps()[INVENTORY_COLUMNS].to_string())
        return 0
    finally:
        os.chdir(here)
        pilot = namespace.get("pilot")
        if pilot is not None:
            pilot.close()


def main() -> int:
    """Entry point of ``python -m scale_pilot_nb.demo``."""
    return run()


if __name__ == "__main__":
    sys.exit(main())
