"""``pilot.dashboard()``: the app inventory with per-app actions, kept live by events.

The table is filled once from ``app.query`` and then kept current by an ``app.query``
subscription on the Pilot's loop (``added`` / ``changed`` / ``removed`` events), not by
polling: a state change made anywhere (this dashboard, another cell, the TrueNAS UI) shows up
as soon as the NAS announces it.

Start runs at once. Stop and Restart interrupt a running service, so they first ask: a
confirmation bar appears and nothing happens until Confirm is pressed. Logs opens a
:class:`~scale_pilot_nb.notebook.widgets.log_viewer.LogViewer` under the table.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import html
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.notebook.widgets._base import (
    Bundle,
    PilotWidget,
    error_html,
    text_table,
)
from scale_pilot_nb.notebook.widgets.log_viewer import LogViewer
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records.outcome import OperationResult

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.pilot import Pilot
    from scale_pilot_nb.rpc.events import CollectionUpdate

__all__ = ["ACTIONS", "CONFIRMED_ACTIONS", "Dashboard", "PendingAction"]

#: Per-app actions, in button order.
ACTIONS = ("start", "stop", "restart", "logs")

#: Actions that interrupt a running app and therefore need a confirmation.
CONFIRMED_ACTIONS = frozenset({"stop", "restart"})

#: Rows shown by default.
DEFAULT_MAX_ROWS = 100

_COLUMNS = "minmax(9em,12em) 7.5em minmax(8em,9em) minmax(10em,13em) repeat(4,5.6em)"

_STATE_COLOURS = {
    "RUNNING": "var(--jp-success-color1,#388e3c)",
    "DEPLOYING": "var(--jp-info-color1,#0288d1)",
    "STOPPING": "var(--jp-warn-color1,#f57c00)",
    "STOPPED": "var(--jp-ui-font-color2,#757575)",
    "CRASHED": "var(--jp-error-color1,#d32f2f)",
}


@dataclass(frozen=True)
class PendingAction:
    """An action waiting for the user's confirmation."""

    action: str
    app: str


class Dashboard(PilotWidget):
    """Inventory table with Start / Stop / Restart / Logs per app, refreshed from events.

    Args:
        pilot: the connection to act through.
        max_rows: apps shown as rows (the first ones, in inventory order); a NAS with a
            thousand apps would otherwise build tens of thousands of widgets. Events still
            keep :attr:`apps` complete.
    """

    def __init__(self, pilot: Pilot, *, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        super().__init__(pilot)
        self.max_rows = max_rows
        self.apps: dict[str, App] = {app.name: app for app in pilot.list_apps()}
        self.pending_action: PendingAction | None = None
        self.log_viewer: LogViewer | None = None
        #: ``app.query`` events applied so far.
        self.events_seen = 0
        #: Set once the ``app.query`` subscription is established (events flow from then on).
        self.live = threading.Event()
        self._states: dict[str, ipywidgets.HTML] = {}
        self.widget  # noqa: B018 - rows must exist before the first event
        self._events = self._submit(self._watch, self._report)

    def _build(self) -> ipywidgets.Widget:
        import ipywidgets as widgets

        self.table = widgets.GridBox(
            layout=widgets.Layout(grid_template_columns=_COLUMNS, grid_gap="2px 6px")
        )
        self.confirm_text = widgets.HTML()
        self.confirm_button = widgets.Button(description="Confirm", button_style="danger")
        self.cancel_button = widgets.Button(description="Cancel")
        self.confirm_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.confirm_bar = widgets.HBox(
            [self.confirm_text, self.confirm_button, self.cancel_button],
            layout=widgets.Layout(display="none"),
        )
        self.messages = widgets.Output()
        self.log_area = widgets.VBox()
        self.more = widgets.HTML()
        self._render_rows()
        box = widgets.VBox([self.table, self.more, self.confirm_bar, self.messages, self.log_area])
        box.add_class("sp-dashboard")
        return box

    def __repr__(self) -> str:
        running = sum(1 for app in self.apps.values() if app.state.value == "RUNNING")
        rows = [
            (app.name, app.state.value, app.human_version or "", _ports(app))
            for app in self._shown()
        ]
        table = text_table(("app", "state", "version", "ports"), rows)
        return f"Dashboard: {len(self.apps)} apps ({running} running)\n{table}{self._more_text()}"

    def _summary_html(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("app", "state", "version", "ports"))
        body = "".join(
            f"<tr><td>{html.escape(app.name)}</td><td>{_state_html(app.state.value)}</td>"
            f"<td>{html.escape(app.human_version or '')}</td>"
            f"<td>{html.escape(_ports(app))}</td></tr>"
            for app in self._shown()
        )
        more = f"<p>{html.escape(self._more_text())}</p>" if self._more_text() else ""
        return f'<table class="sp-dashboard-summary"><tr>{head}</tr>{body}</table>{more}'

    # -- actions ---------------------------------------------------------------------------

    def request(self, action: str, app: str) -> concurrent.futures.Future[Any] | None:
        """What a row's button does: run ``action`` on ``app``, or ask first if it interrupts.

        Returns:
            The running action's future, or ``None`` when it waits for :meth:`confirm`
            (or only opened the log viewer).

        Raises:
            ValueError: an unknown action or app.
        """
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if app not in self.apps:
            raise ValueError(f"no app {app!r} on this dashboard")
        if action == "logs":
            self._open_logs(app)
            return None
        if action in CONFIRMED_ACTIONS:
            self.pending_action = PendingAction(action, app)
            self.confirm_text.value = (
                f"<b>{html.escape(action.capitalize())} {html.escape(app)}?</b> "
                "Its containers will be interrupted."
            )
            self.confirm_bar.layout.display = ""
            return None
        return self._run(action, app)

    def confirm(self) -> concurrent.futures.Future[Any] | None:
        """Run the action waiting for confirmation (nothing when none is waiting)."""
        pending, self.pending_action = self.pending_action, None
        self.confirm_bar.layout.display = "none"
        return self._run(pending.action, pending.app) if pending else None

    def cancel(self) -> None:
        """Drop the action waiting for confirmation."""
        self.pending_action = None
        self.confirm_bar.layout.display = "none"

    def close(self) -> None:
        """Stop listening for events and stop the log viewer (idempotent)."""
        self._events.cancel()
        if self.log_viewer is not None:
            self.log_viewer.stop()

    def _run(self, action: str, app: str) -> concurrent.futures.Future[Any]:
        calls: dict[str, Callable[[str], Coroutine[Any, Any, OperationResult]]] = {
            "start": self.pilot.manager.start_app,
            "stop": self.pilot.manager.stop_app,
            "restart": self.pilot.manager.restart_app,
        }
        self.messages.outputs = ()
        return self._submit(lambda: calls[action](app), self._report)

    def _open_logs(self, app: str) -> None:
        if self.log_viewer is not None:
            self.log_viewer.stop()
        self.log_viewer = LogViewer(self.pilot, app)
        import ipywidgets as widgets

        title = widgets.HTML(f"<b>Logs of {html.escape(app)}</b>")
        self.log_area.children = (title, self.log_viewer.widget)

    def _report(self, exc: BaseException) -> None:
        self.messages.append_display_data(Bundle(error_html(exc), str(exc)))

    # -- events (on the loop thread) -------------------------------------------------------

    async def _watch(self) -> None:
        async with self.pilot.manager.client.subscribe("app.query") as events:
            self.live.set()
            async for event in events:
                self.apply(event)

    def apply(self, event: CollectionUpdate) -> None:
        """Fold one ``app.query`` event into the table (added / changed / removed)."""
        self.events_seen += 1
        name = str(event.id) if event.id is not None else None
        fields = event.fields if isinstance(event.fields, dict) else {}
        if event.msg == "removed":
            if name in self.apps:
                del self.apps[name]
                self._render_rows()
            return
        if "name" in fields or "active_workloads" in fields:
            app = App.from_api(fields)
            is_new = app.name not in self.apps
            self.apps[app.name] = app
            if is_new:
                self._render_rows()
            else:
                self._show_state(app.name)
        elif name in self.apps and "state" in fields:
            # A partial event (only the changed keys): update what it carries.
            self.apps[name] = dataclasses.replace(
                self.apps[name], state=AppState(str(fields["state"]))
            )
            self._show_state(name)

    # -- rendering -------------------------------------------------------------------------

    def _render_rows(self) -> None:
        import ipywidgets as widgets

        cells: list[widgets.Widget] = [
            widgets.HTML(f"<b>{title}</b>") for title in ("app", "state", "version", "ports")
        ]
        cells.extend(widgets.HTML("") for _ in ACTIONS)
        self._states = {}
        for app in self._shown():
            state = widgets.HTML(_state_html(app.state.value))
            self._states[app.name] = state
            cells.extend(
                [
                    widgets.HTML(f"<code>{html.escape(app.name)}</code>"),
                    state,
                    widgets.Label(app.human_version or ""),
                    widgets.Label(_ports(app)),
                ]
            )
            cells.extend(self._button(action, app.name) for action in ACTIONS)
        self.table.children = tuple(cells)
        self.more.value = html.escape(self._more_text())

    def _shown(self) -> list[App]:
        return list(self.apps.values())[: self.max_rows]

    def _more_text(self) -> str:
        hidden = len(self.apps) - self.max_rows
        return f"\n… and {hidden} more apps (pilot.apps() has them all)" if hidden > 0 else ""

    def _show_state(self, name: str) -> None:
        label = self._states.get(name)  # None when the app is beyond max_rows
        if label is not None:
            label.value = _state_html(self.apps[name].state.value)

    def _button(self, action: str, app: str) -> ipywidgets.Button:
        import ipywidgets as widgets

        button = widgets.Button(
            description=action.capitalize(),
            tooltip=f"{action} {app}",
            layout=widgets.Layout(width="5.4em"),
        )
        button.add_class(f"sp-{action}-{app}")
        button.on_click(lambda _: self.request(action, app))
        return button


def _state_html(state: str) -> str:
    colour = _STATE_COLOURS.get(state, "var(--jp-ui-font-color1,#000)")
    return (
        f'<span class="sp-state" style="color:{colour};font-weight:600">{html.escape(state)}</span>'
    )


def _ports(app: App) -> str:
    """``30081->80/tcp, …``: host port(s) and the container port they reach."""
    return ", ".join(
        f"{','.join(map(str, p.published))}->{p.container_port}/{p.protocol}" for p in app.ports
    )
