"""Re-execute notebooks in place so their stored outputs (nbval's reference) are current.

    .venv/bin/python notebooks/refresh.py                    # every notebook
    .venv/bin/python notebooks/refresh.py 01-quickstart.ipynb

Run it (``make notebooks-refresh``) after changing what a notebook shows (an HTML repr, a
widget summary, the sandbox's demo data), then review the diff. Needs ``nbclient`` (installed
with the ``browser`` extra). Neither widget state nor cell timings are stored: static viewers
show the widgets' text/HTML summaries instead, and the files stay small and stable.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def refresh(path: Path) -> float:
    """Execute ``path`` in a fresh kernel from its own folder; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return time.monotonic() - started


def main(names: list[str]) -> int:
    paths = [HERE / name for name in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {refresh(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
