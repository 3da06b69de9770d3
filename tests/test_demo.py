"""``make demo`` runs the quickstart notebook (the notebook is the demo)."""

from __future__ import annotations

from scale_pilot_nb.notebook import demo
from scale_pilot_nb.notebook.execute import code_cells


def test_the_quickstart_is_what_make_demo_runs() -> None:
    sources = code_cells(demo.NOTEBOOK)
    assert "target = sp.default_target()" in sources[0]  # the parameters cell
    assert "sp.connect_target(target)" in sources[1]
    assert any("pilot.deploy(" in source for source in sources)
