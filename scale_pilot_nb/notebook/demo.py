"""``make demo``: run ``notebooks/01-quickstart.ipynb`` in this process, then print the inventory.

The quickstart notebook *is* the demo, so this module holds no copy of its steps: it runs the
notebook's code cells in-process (``notebook.execute``; no Jupyter kernel or server needed) on
the embedded sandbox, then prints the app inventory. Exits 0 when every cell ran, 1 at the
first failing cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01-quickstart.ipynb"

#: Inventory columns printed at the end.
INVENTORY_COLUMNS = ["name", "state", "custom_app", "human_version", "containers"]


def run(path: Path = NOTEBOOK) -> int:
    """Run the notebook; print the inventory of the ``pilot`` it opened; return the exit status."""
    from scale_pilot_nb.notebook.execute import run_notebook

    ok, namespace = run_notebook(path)
    pilot = namespace.get("pilot")
    try:
        if ok and pilot is not None:
            print("\n== App inventory")
            print(pilot.apps()[INVENTORY_COLUMNS].to_string())
    finally:
        if pilot is not None:
            pilot.close()
    return 0 if ok else 1


def main() -> int:
    """Entry point of ``python -m scale_pilot_nb.notebook.demo``."""
    return run()


if __name__ == "__main__":
    sys.exit(main())
