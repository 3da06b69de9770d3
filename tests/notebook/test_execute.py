"""Running a notebook's code cells in-process (what ``make demo`` does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scale_pilot_nb.notebook.execute import code_cells, run_notebook


def _notebook(path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# title"]}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": []} for source in sources
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return path


def test_code_cells_skip_markdown_and_join_line_lists(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", ["a = 1\n", "b = 2"], "c = 3")
    assert code_cells(path) == ["a = 1\nb = 2", "c = 3"]


def test_cells_run_in_order_in_one_namespace_from_the_notebook_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data.txt").write_text("from the notebook's folder")
    path = _notebook(
        tmp_path / "nb.ipynb",
        "# NBVAL_IGNORE_OUTPUT\nvalue = open('data.txt').read()",
        "print(value)\nlen(value)",
    )
    ok, namespace = run_notebook(path)
    assert ok
    assert namespace["value"] == "from the notebook's folder"
    out = capsys.readouterr().out
    assert "== [1] value = open('data.txt').read()" in out
    assert "from the notebook's folder" in out
    assert "26" in out
    assert Path.cwd() != tmp_path


def test_a_failing_cell_stops_the_run(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "raise RuntimeError('boom')", "never = 1")
    ok, namespace = run_notebook(path)
    assert not ok
    assert "never" not in namespace
