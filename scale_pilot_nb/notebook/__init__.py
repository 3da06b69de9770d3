"""Notebook presentation: DataFrames, Styler presets, HTML reprs (and widgets).

pandas and ipywidgets are imported only here, and only when a frame or widget is built;
``style`` is light (it imports pandas only for types), so ``scale_pilot_nb.style`` is cheap.
"""

from __future__ import annotations

from scale_pilot_nb.notebook import style

__all__ = ["style"]
