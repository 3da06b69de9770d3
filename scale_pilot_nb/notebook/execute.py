"""Run a notebook's code cells in this process, printing what a terminal can show.

``make demo`` uses it on the quickstart notebook so the demo *is* the notebook, with no Jupyter
kernel or server: each code cell runs in one in-process IPython shell from the notebook's own
folder; printed text and each cell's ``text/plain`` result go to standard output (widgets show
their text summaries, job progress prints as text lines).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["code_cells", "run_notebook"]


def code_cells(path: str | os.PathLike[str]) -> list[str]:
    """The sources of the notebook's code cells, in order."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def run_notebook(path: str | os.PathLike[str]) -> tuple[bool, dict[str, Any]]:
    """Run every code cell of ``path``; stop at the first failing one.

    Returns:
        Whether every cell ran, and the namespace the cells left behind (the caller closes
        what they opened).
    """
    from IPython.core.interactiveshell import InteractiveShell

    path = Path(path).resolve()
    shell = InteractiveShell.instance()
    here = Path.cwd()
    os.chdir(path.parent)
    try:
        for number, source in enumerate(code_cells(path), start=1):
            print(f"\n== [{number}] {_title(source)}", flush=True)
            if not shell.run_cell(source, store_history=True).success:
                return False, shell.user_ns
        return True, shell.user_ns
    finally:
        os.chdir(here)


def _title(source: str) -> str:
    """The first line of a cell that is not an nbval marker."""
    lines = [line for line in source.splitlines() if line and not line.startswith("# NBVAL")]
    return lines[0] if lines else ""
