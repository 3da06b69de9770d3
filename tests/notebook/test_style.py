"""Styler presets: states coloured, flags marked, HTML the same on every render."""

from __future__ import annotations

import re

import pandas as pd

import scale_pilot_nb as sp
from scale_pilot_nb.notebook import style
from scale_pilot_nb.notebook.tables import apps_frame, containers_frame
from tests.records import entries


def inventory() -> pd.DataFrame:
    return apps_frame([entries.jellyfin("25.10"), entries.custom_app(), entries.stopped_app()])


def test_the_preset_is_reachable_as_sp_style() -> None:
    assert sp.style.apps is style.apps
    assert "style" in dir(sp)


def css_of(html: str, cell: str) -> str:
    """The declarations of the CSS rule whose selector list names ``cell`` (``row0_col1``)."""
    pattern = r"[^{}]*_" + re.escape(cell) + r"\b[^{}]*\{([^}]*)\}"
    match = re.search(pattern, html)
    assert match, f"no CSS rule for {cell}"
    return " ".join(match.group(1).split())


def test_states_are_coloured_by_meaning() -> None:
    out = inventory().pipe(sp.style.apps).to_html()
    state = list(inventory().columns).index("state")
    assert "--jp-success-color1" in css_of(out, f"row0_col{state}")  # RUNNING
    assert "--jp-warn-color1" in css_of(out, f"row1_col{state}")  # DEPLOYING
    assert "--jp-content-font-color2" in css_of(out, f"row2_col{state}")  # STOPPED


def test_available_upgrades_are_marked() -> None:
    out = style.apps(inventory()).to_html()
    upgrade = list(inventory().columns).index("upgrade_available")
    assert "--jp-warn-color1" in css_of(out, f"row0_col{upgrade}")  # jellyfin has one
    assert f"_row2_col{upgrade} " not in out.split("</style>")[0]


def test_html_is_deterministic_and_distinct_per_table() -> None:
    first = style.apps(inventory()).to_html()
    assert first == style.apps(inventory()).to_html()
    assert 'id="T_sp-apps-' in first
    other = style.apps(inventory().head(1)).to_html()
    assert other.split('id="T_', 1)[1][:20] != first.split('id="T_', 1)[1][:20]


def test_container_states_are_coloured() -> None:
    frame = containers_frame([entries.jellyfin("25.10"), entries.custom_app()])
    out = style.containers(frame).to_html()
    assert 'id="T_sp-containers-' in out
    assert "var(--jp-success-color1" in out and "var(--jp-warn-color1" in out
