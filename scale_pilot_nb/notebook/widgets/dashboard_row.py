"""One app's row of the dashboard: its cells, and which of its buttons may be pressed.

A row is built once per app and kept while the app exists, so filtering the table only picks
rows (no widgets are rebuilt) and a state change touches one row's cells and buttons.

The button rules follow what TrueNAS does with each state: Start is for an app that is not
up (STOPPED, CRASHED); Stop and Restart interrupt an app that is up or coming up (RUNNING,
DEPLOYING); STOPPING allows nothing until it has stopped. A disabled button says why in
its tooltip.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records._base import format_bytes

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

__all__ = ["ACTIONS", "BUTTON_WIDTH", "COLUMNS", "NO_VALUE", "AppRow", "why_disabled"]

#: Per-app actions, in button order.
ACTIONS = ("start", "stop", "restart", "logs")

#: Column titles before the buttons.
COLUMNS = ("app", "state", "version", "ports", "cpu", "memory")

#: Width of a row's button: "Restart" fits with narrow padding, so ten columns fit a notebook.
BUTTON_WIDTH = "4.6em"

#: What a cell shows when there is nothing to show (a stopped app's cpu, say).
NO_VALUE = "—"

#: States in which each state-changing action makes sense.
_ENABLED_IN: dict[str, frozenset[AppState]] = {
    "start": frozenset({AppState.STOPPED, AppState.CRASHED}),
    "stop": frozenset({AppState.RUNNING, AppState.DEPLOYING}),
    "restart": frozenset({AppState.RUNNING, AppState.DEPLOYING}),
}

#: States whose containers run, so that ``app.stats`` numbers mean something.
_MEASURED = frozenset({AppState.RUNNING, AppState.DEPLOYING})

_STATE_COLOURS = {
    "RUNNING": "var(--jp-success-color1,#388e3c)",
    "DEPLOYING": "var(--jp-info-color1,#0288d1)",
    "STOPPING": "var(--jp-warn-color1,#f57c00)",
    "STOPPED": "var(--jp-ui-font-color2,#757575)",
    "CRASHED": "var(--jp-error-color1,#d32f2f)",
}


def why_disabled(action: str, app: str, state: AppState, busy: str | None = None) -> str | None:
    """Why ``action`` cannot be pressed for ``app`` now, or ``None`` when it can.

    Args:
        busy: the action this dashboard is already running on ``app``, if any.
    """
    if action == "logs":
        return None
    if busy is not None:
        return f"{busy} {app} is in progress"
    if state in _ENABLED_IN[action]:
        return None
    if state is AppState.STOPPING:
        return f"{app} is STOPPING; wait until it has stopped"
    if action == "start" and state in _ENABLED_IN["stop"]:
        return f"{app} is already {state.value}"
    if action != "start" and state in _ENABLED_IN["start"]:
        return f"{app} is {state.value}: nothing to {action} (use Start)"
    return f"{app} is {state.value}"


class AppRow:
    """The cells and buttons of one app; :meth:`show` and :meth:`show_stats` update them.

    Args:
        app: the app as last seen.
        on_action: called with ``(action, app name)`` when a button is pressed.
    """

    def __init__(self, app: App, on_action: Callable[[str, str], object]) -> None:
        import ipywidgets as widgets

        self.app = app
        #: The action this dashboard is running on the app, if any (its buttons wait).
        self.busy: str | None = None
        self.state = widgets.HTML()
        self.version = widgets.Label()
        self.ports = widgets.Label()
        self.cpu = widgets.Label(NO_VALUE)
        self.memory = widgets.Label(NO_VALUE)
        self.buttons: dict[str, ipywidgets.Button] = {}
        for action in ACTIONS:
            button = widgets.Button(
                description=action.capitalize(),
                layout=widgets.Layout(width=BUTTON_WIDTH, padding="0 2px"),
            )
            button.add_class(f"sp-{action}-{app.name}")
            button.on_click(lambda _, action=action: on_action(action, self.app.name))
            self.buttons[action] = button
        name = widgets.HTML(f"<code>{html.escape(app.name)}</code>")
        self.cells: tuple[ipywidgets.Widget, ...] = (
            name,
            self.state,
            self.version,
            self.ports,
            self.cpu,
            self.memory,
            *self.buttons.values(),
        )
        self.show(app)

    def show(self, app: App) -> None:
        """Draw ``app`` (a newer reading of the same app): state, version, ports, buttons."""
        self.app = app
        self.state.value = state_html(app.state.value)
        self.version.value = app.human_version or ""
        self.ports.value = ports_text(app)
        if app.state not in _MEASURED:
            self.cpu.value = self.memory.value = NO_VALUE
        self.refresh_buttons()

    def show_stats(self, cpu_percent: float, memory_bytes: int) -> None:
        """Draw one ``app.stats`` reading (a dash while the app does not run)."""
        measured = self.app.state in _MEASURED
        self.cpu.value = f"{cpu_percent:.1f} %" if measured else NO_VALUE
        self.memory.value = format_bytes(memory_bytes) if measured else NO_VALUE

    def refresh_buttons(self) -> None:
        """Enable each button by the app's state (and :attr:`busy`), its tooltip saying why."""
        for action, button in self.buttons.items():
            reason = why_disabled(action, self.app.name, self.app.state, self.busy)
            button.disabled = reason is not None
            button.tooltip = reason or f"{action} {self.app.name}"

    def close(self) -> None:
        """Close the row's widgets (the app is gone)."""
        for cell in self.cells:
            cell.close()


def state_html(state: str) -> str:
    """The state word, coloured by tone."""
    colour = _STATE_COLOURS.get(state, "var(--jp-ui-font-color1,#000)")
    return (
        f'<span class="sp-state" style="color:{colour};font-weight:600">{html.escape(state)}</span>'
    )


def ports_text(app: App) -> str:
    """``30081->80/tcp, …``: host port(s) and the container port they reach."""
    return ", ".join(
        f"{','.join(map(str, p.published))}->{p.container_port}/{p.protocol}" for p in app.ports
    )
