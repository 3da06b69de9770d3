"""``Styler`` presets for the inventory frames: states coloured, HTML deterministic.

    import scale_pilot_nb as sp
    pilot.apps().pipe(sp.style.apps)
    pilot.containers().pipe(sp.style.containers)

Colours are JupyterLab theme variables (with light fallbacks), so the dark theme works. pandas
gives every Styler a random ``uuid`` that ends up in the HTML ids; these presets derive it from
the frame's content instead, so the same frame always renders to the same bytes (nbval) while
two different tables in one notebook still get distinct ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["apps", "containers"]

# Lower-case state -> CSS of its cell.
_STATE_CSS = {
    "running": "color: var(--jp-success-color1, #2e7d32); font-weight: 600",
    "deploying": "color: var(--jp-warn-color1, #e65100); font-weight: 600",
    "starting": "color: var(--jp-warn-color1, #e65100); font-weight: 600",
    "stopping": "color: var(--jp-warn-color1, #e65100)",
    "created": "color: var(--jp-info-color1, #0277bd)",
    "stopped": "color: var(--jp-content-font-color2, rgba(0, 0, 0, 0.54))",
    "exited": "color: var(--jp-content-font-color2, rgba(0, 0, 0, 0.54))",
    "crashed": "color: var(--jp-error-color1, #c62828); font-weight: 600",
}
_FLAG_CSS = "color: var(--jp-warn-color1, #e65100); font-weight: 600"


def apps(frame: pd.DataFrame) -> Styler:
    """Style an ``apps()`` frame: states coloured, available upgrades and image updates marked."""
    styler = _styled(frame, "apps")
    flags: list[Hashable] = [
        c for c in ("upgrade_available", "image_updates_available") if c in frame.columns
    ]
    if flags:
        styler = styler.map(_flag_css, subset=flags)
    return styler


def containers(frame: pd.DataFrame) -> Styler:
    """Style a ``containers()`` frame: container states coloured."""
    return _styled(frame, "containers")


def _styled(frame: pd.DataFrame, kind: str) -> Styler:
    digest = hashlib.sha256(frame.to_csv().encode()).hexdigest()[:12]
    styler = frame.style.set_uuid(f"sp-{kind}-{digest}")
    if "state" in frame.columns:
        styler = styler.map(_state_css, subset=["state"])
    return styler


def _state_css(value: object) -> str:
    return _STATE_CSS.get(str(value).lower(), "")


def _flag_css(value: object) -> str:
    return _FLAG_CSS if bool(value) else ""
