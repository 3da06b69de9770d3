"""``pilot.dashboard()``: the app inventory with per-app actions, kept live by events.

The table is filled once from ``app.query`` and then kept current by an ``app.query``
subscription on the Pilot's loop (``added`` / ``changed`` / ``removed`` events), not by
polling: a state change made anywhere (this dashboard, another cell, the TrueNAS UI) shows up
as soon as the NAS announces it.

CPU and memory come from an ``app.stats`` subscription on the same loop: each sample is shown
as it arrives (one sample, no averaging, nothing waits for it); an app that does not run
shows a dash. The header names the NAS and counts apps by state; the filter box narrows the
rows to apps whose name or state contains its text.

Each button is enabled only in the states where its action makes sense (see
:mod:`~scale_pilot_nb.notebook.widgets.dashboard_row`), and while an action this dashboard
started on the app runs. Start runs at once. Stop and Restart interrupt a running service, so
they first ask: a confirmation bar appears and nothing happens until Confirm is pressed. Logs
opens a :class:`~scale_pilot_nb.notebook.widgets.log_viewer.LogViewer` under the table.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import html
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.notebook.widgets._base import (
    Bundle,
    PilotWidget,
    error_html,
    text_table,
)
from scale_pilot_nb.notebook.widgets.dashboard_row import (
    ACTIONS,
    BUTTON_WIDTH,
    COLUMNS,
    AppRow,
    ports_text,
    state_html,
    why_disabled,
)
from scale_pilot_nb.notebook.widgets.log_viewer import LogViewer
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records.outcome import OperationResult

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.pilot.pilot import Pilot
    from scale_pilot_nb.records.system import SystemInfo
    from scale_pilot_nb.rpc.events import CollectionUpdate

__all__ = ["ACTIONS", "CONFIRMED_ACTIONS", "Dashboard", "PendingAction"]

#: Actions that interrupt a running app and therefore need a confirmation.
CONFIRMED_ACTIONS = frozenset({"stop", "restart"})

#: Rows shown by default.
DEFAULT_MAX_ROWS = 100

#: Seconds between two ``app.stats`` samples (the NAS's minimum).
STATS_INTERVAL = 2

#: The order states are counted in, in the header and the text summary.
_STATE_ORDER = [state.value for state in AppState]

_COLUMNS = (
    "minmax(8.5em,12em) 6.4em minmax(6.5em,9em) minmax(9em,13em) 4em 5.4em "
    f"repeat({len(ACTIONS)},{BUTTON_WIDTH})"
)

#: The text columns of the summary (cpu and memory change every sample: the widget shows them).
_SUMMARY_COLUMNS = COLUMNS[:4]


@dataclass(frozen=True)
class PendingAction:
    """An action waiting for the user's confirmation."""

    action: str
    app: str


class Dashboard(PilotWidget):
    """Inventory table with Start / Stop / Restart / Logs per app, refreshed from events.

    Args:
        pilot: the connection to act through.
        max_rows: apps shown as rows (the first ones matching the filter, in inventory
            order); a NAS with a thousand apps would otherwise build tens of thousands of
            widgets. Events still keep :attr:`apps` complete.
    """

    def __init__(self, pilot: Pilot, *, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        super().__init__(pilot)
        self.max_rows = max_rows
        self.system: SystemInfo = pilot.status().info
        self.apps: dict[str, App] = {app.name: app for app in pilot.list_apps()}
        self.pending_action: PendingAction | None = None
        self.log_viewer: LogViewer | None = None
        #: ``app.query`` events applied so far.
        self.events_seen = 0
        #: ``app.stats`` samples shown so far.
        self.samples_seen = 0
        #: When the table last changed from the NAS's news (load, event or stats sample).
        self.refreshed_at = dt.datetime.now()
        #: Set once the ``app.query`` subscription is established (events flow from then on).
        self.live = threading.Event()
        # Row widgets, built once per app shown; events (loop thread) and the filter box
        # (kernel thread) both pick which rows the table holds.
        self._rows: dict[str, AppRow] = {}
        self._rows_lock = threading.RLock()
        self.widget  # noqa: B018 - rows must exist before the first event
        self._events = self._submit(self._watch, self._report)
        self._stats = self._submit(self._watch_stats, self._report)

    def _build(self) -> ipywidgets.Widget:
        import ipywidgets as widgets

        self.header = widgets.HTML()
        self.header.add_class("sp-dashboard-header")
        self.filter_box = widgets.Text(
            description="Filter",
            placeholder="name or state",
            continuous_update=True,
            layout=widgets.Layout(width="22em"),
        )
        self.filter_box.observe(lambda _: self._render_rows(), names="value")
        self._titles = [widgets.HTML(f"<b>{title}</b>") for title in COLUMNS]
        self._titles.extend(widgets.HTML("") for _ in ACTIONS)
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
        box = widgets.VBox(
            [
                self.header,
                self.filter_box,
                self.table,
                self.more,
                self.confirm_bar,
                self.messages,
                self.log_area,
            ]
        )
        box.add_class("sp-dashboard")
        box.add_class("sp-widget")
        return box

    def __repr__(self) -> str:
        rows = [
            (app.name, app.state.value, app.human_version or "", ports_text(app))
            for app in self._shown()
        ]
        table = text_table(_SUMMARY_COLUMNS, rows)
        return f"{self._title()}{self._filter_text()}\n{table}{self._more_text()}"

    def _summary_html(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in _SUMMARY_COLUMNS)
        body = "".join(
            f"<tr><td>{html.escape(app.name)}</td><td>{state_html(app.state.value)}</td>"
            f"<td>{html.escape(app.human_version or '')}</td>"
            f"<td>{html.escape(ports_text(app))}</td></tr>"
            for app in self._shown()
        )
        more = f"<p>{html.escape(self._more_text())}</p>" if self._more_text() else ""
        return (
            f"<p><b>{html.escape(self._title())}</b></p>"
            f'<table class="sp-dashboard-summary"><tr>{head}</tr>{body}</table>{more}'
        )

    # -- actions ---------------------------------------------------------------------------

    def request(self, action: str, app: str) -> concurrent.futures.Future[Any] | None:
        """What a row's button does: run ``action`` on ``app``, or ask first if it interrupts.

        An action the app's state does not allow (its button is disabled) is not run: the
        reason appears under the table instead.

        Returns:
            The running action's future, or ``None`` when it waits for :meth:`confirm`,
            only opened the log viewer, or is not allowed now.

        Raises:
            ValueError: an unknown action or app.
        """
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if app not in self.apps:
            raise ValueError(f"no app {app!r} on this dashboard")
        if self._refused(action, app):
            return None
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
        """Run the action waiting for confirmation (nothing when none is waiting, or when the
        app's state changed meanwhile so that it no longer applies)."""
        pending, self.pending_action = self.pending_action, None
        self.confirm_bar.layout.display = "none"
        if pending is None or pending.app not in self.apps:
            return None
        if self._refused(pending.action, pending.app):
            return None
        return self._run(pending.action, pending.app)

    def cancel(self) -> None:
        """Drop the action waiting for confirmation."""
        self.pending_action = None
        self.confirm_bar.layout.display = "none"

    def close(self) -> None:
        """Stop listening for events and stats and stop the log viewer (idempotent)."""
        self._events.cancel()
        self._stats.cancel()
        if self.log_viewer is not None:
            self.log_viewer.stop()

    def _refused(self, action: str, app: str) -> bool:
        """Show why ``action`` is not allowed on ``app`` now; False when it is."""
        row = self._rows.get(app)
        busy = row.busy if row is not None else None
        reason = why_disabled(action, app, self.apps[app].state, busy)
        if reason is not None:
            self.messages.outputs = ()
            self.messages.append_display_data(Bundle(f"<i>{html.escape(reason)}</i>", reason))
        return reason is not None

    def _run(self, action: str, app: str) -> concurrent.futures.Future[Any]:
        calls: dict[str, Callable[[str], Coroutine[Any, Any, OperationResult]]] = {
            "start": self.pilot.manager.start_app,
            "stop": self.pilot.manager.stop_app,
            "restart": self.pilot.manager.restart_app,
        }
        self.messages.outputs = ()
        row = self._rows.get(app)
        if row is not None:
            row.busy = action
            row.refresh_buttons()
        future = self._submit(lambda: calls[action](app), self._report)
        future.add_done_callback(lambda _: self._done(app))
        return future

    def _done(self, app: str) -> None:
        row = self._rows.get(app)
        if row is not None:
            row.busy = None
            row.refresh_buttons()

    def _open_logs(self, app: str) -> None:
        if self.log_viewer is not None:
            self.log_viewer.stop()
        self.log_viewer = LogViewer(self.pilot, app)
        import ipywidgets as widgets

        title = widgets.HTML(f"<b>Logs of {html.escape(app)}</b>")
        self.log_area.children = (title, self.log_viewer.widget)

    def _report(self, exc: BaseException) -> None:
        self.messages.append_display_data(Bundle(error_html(exc), str(exc)))

    # -- events and stats (on the loop thread) ---------------------------------------------

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
            self.apps[app.name] = app
        elif name in self.apps and "state" in fields:
            # A partial event (only the changed keys): update what it carries.
            self.apps[name] = dataclasses.replace(
                self.apps[name], state=AppState(str(fields["state"]))
            )
        else:
            return
        # A row joins or leaves the filtered view when the state changes, so pick rows again.
        self._render_rows()

    async def _watch_stats(self) -> None:
        from scale_pilot_nb.notebook.tables import stats_frame

        async for items in self.pilot.manager.stats(STATS_INTERVAL):
            frame = stats_frame([(dt.datetime.now(dt.UTC), items)]).set_index("app")
            self.apply_stats(frame[["cpu_percent", "memory_bytes"]].to_dict("index"))

    def apply_stats(self, readings: Mapping[Any, Mapping[Any, Any]]) -> None:
        """Show one ``app.stats`` sample: app -> ``{"cpu_percent", "memory_bytes"}``."""
        self.samples_seen += 1
        with self._rows_lock:
            for name, reading in readings.items():
                row = self._rows.get(str(name))
                if row is not None:
                    row.show_stats(float(reading["cpu_percent"]), int(reading["memory_bytes"]))
        self._touch()

    # -- rendering -------------------------------------------------------------------------

    def _render_rows(self) -> None:
        """Put the rows of the apps to show into the table, building only missing rows."""
        with self._rows_lock:
            shown = self._shown()
            for gone in self._rows.keys() - self.apps.keys():
                self._rows.pop(gone).close()
            cells: list[ipywidgets.Widget] = list(self._titles)
            for app in shown:
                row = self._rows.get(app.name)
                if row is None:
                    row = self._rows[app.name] = AppRow(app, self.request)
                elif row.app != app:
                    row.show(app)
                cells.extend(row.cells)
            self.table.children = tuple(cells)
        self.more.value = html.escape(self._more_text())
        self._touch()

    def _touch(self) -> None:
        """Note that the table was just refreshed, and redraw the header."""
        self.refreshed_at = dt.datetime.now()
        self.header.value = (
            f"<b>{html.escape(self._title())}</b>"
            f'<span style="color:var(--jp-ui-font-color2,#757575)"> · updated '
            f"{self.refreshed_at:%H:%M:%S}</span>"
        )

    def _title(self) -> str:
        """``Dashboard of truenas (TrueNAS 25.10.1): 9 apps (5 running, 1 stopped, …)``."""
        counts = Counter(app.state.value for app in self.apps.values())
        by_state = ", ".join(
            f"{counts[state]} {state.lower()}" for state in _STATE_ORDER if counts[state]
        )
        return (
            f"Dashboard of {self.system.hostname} (TrueNAS {self.system.version}): "
            f"{len(self.apps)} apps" + (f" ({by_state})" if by_state else "")
        )

    def _filter_text(self) -> str:
        query = self.filter_box.value.strip()
        matching = sum(1 for _ in self._matching())
        return f"\nfilter {query!r}: {matching} of {len(self.apps)} apps" if query else ""

    def _matching(self) -> list[App]:
        wanted = self.filter_box.value.strip().casefold()
        return [
            app
            for app in self.apps.values()
            if wanted in app.name.casefold() or wanted in app.state.value.casefold()
        ]

    def _shown(self) -> list[App]:
        return self._matching()[: self.max_rows]

    def _more_text(self) -> str:
        hidden = len(self._matching()) - self.max_rows
        return f"\n… and {hidden} more apps (pilot.apps() has them all)" if hidden > 0 else ""
