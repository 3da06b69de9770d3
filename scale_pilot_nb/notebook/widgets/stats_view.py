"""``pilot.stats_view()``: a live chart of ``app.stats`` for the busiest apps.

Samples arrive on the Pilot's loop (``pilot.manager.stats(interval)``, one subscription) and
are folded into one ``deque`` per app that keeps only the last ``window`` samples, so memory is
bounded however long the view follows; apps missing from a sample (deleted) are dropped. Each
sample is turned into numbers by :func:`~scale_pilot_nb.notebook.tables.stats_frame`, the
same reading ``pilot.stats()`` shows, and all four metrics are kept, so switching the metric
redraws at once from the history.

The chart is inline SVG (:mod:`scale_pilot_nb.notebook.svg`) in a ``widgets.HTML``, redrawn
once per sample (and when the metric changes), never more: a sample every 2 s is a handful of
comm messages per minute.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import html
import threading
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.notebook.svg import Series, line_chart
from scale_pilot_nb.notebook.widgets._base import PilotWidget, error_html
from scale_pilot_nb.records._base import format_bytes

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = ["METRICS", "Metric", "StatsView"]


@dataclass(frozen=True)
class Metric:
    """One chartable quantity of ``app.stats``.

    Attributes:
        label: what the selector and the y axis call it.
        column: its column in :func:`~scale_pilot_nb.notebook.tables.stats_frame`.
        format: renders a value for the axis and the legend.
    """

    label: str
    column: str
    format: Callable[[float], str]


def _rate(value: float) -> str:
    return f"{format_bytes(round(value))}/s"


#: The metrics the selector offers, by the name ``stats_view(metric=…)`` takes.
METRICS: dict[str, Metric] = {
    "cpu": Metric("cpu %", "cpu_percent", "{:.1f} %".format),
    "memory": Metric("memory", "memory_bytes", lambda value: format_bytes(round(value))),
    "rx": Metric("rx rate", "rx_bytes_per_s", _rate),
    "tx": Metric("tx rate", "tx_bytes_per_s", _rate),
}

#: One app's reading in one sample: stats_frame column -> value.
Reading = dict[str, float]


class StatsView(PilotWidget):
    """Follows ``app.stats`` and charts the last ``window`` samples of the top ``top`` apps.

    Following starts at construction. :meth:`stop` (or the Stop button) ends the
    subscription and keeps the chart; :meth:`follow` (or Follow) starts again with an empty
    history; :meth:`close` stops for good (the chart stays, Follow is disabled).

    Args:
        pilot: the connection to read through.
        interval: seconds between samples (the NAS enforces at least 2).
        window: samples kept and drawn per app.
        metric: the charted metric, a key of :data:`METRICS`.
        top: apps drawn, the highest by the metric's mean over the window.

    Raises:
        ValueError: an unknown metric, or a window or top below 1.
    """

    def __init__(
        self,
        pilot: Pilot,
        *,
        interval: int = 2,
        window: int = 60,
        metric: str = "cpu",
        top: int = 5,
    ) -> None:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
        if window < 1 or top < 1:
            raise ValueError(f"window and top must be at least 1, not {window} and {top}")
        super().__init__(pilot)
        self.interval = max(2, interval)
        self.window = window
        self.top = top
        self.metric = metric
        #: Per app, its last ``window`` readings (oldest first).
        self.history: dict[str, deque[Reading]] = {}
        #: Samples received since the last (re)start.
        self.samples = 0
        #: Redraws caused by samples since the last (re)start (at most one per sample).
        self.renders = 0
        # The loop thread folds samples while the kernel thread may redraw for a new metric.
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        # Bumped by every (re)start: a sample of a cancelled subscription still in flight
        # must not land in the fresh history.
        self._generation = 0
        self._following: concurrent.futures.Future[None] | None = None
        self.widget  # noqa: B018 - the chart must exist before samples arrive
        self.follow()

    def _build(self) -> ipywidgets.Widget:
        import ipywidgets as widgets

        self.metric_picker = widgets.Dropdown(
            options=[(m.label, key) for key, m in METRICS.items()],
            value=self.metric,
            description="Metric",
        )
        self.stop_button = widgets.Button(description="Stop", icon="stop")
        self.status = widgets.Label(value="")
        self.chart = widgets.HTML(value=self._chart_svg())
        self.metric_picker.observe(self._on_metric, names="value")
        self.stop_button.on_click(self._on_stop_button)
        box = widgets.VBox(
            [widgets.HBox([self.metric_picker, self.stop_button, self.status]), self.chart]
        )
        box.add_class("sp-stats-view")
        return box

    def __repr__(self) -> str:
        return (
            f"StatsView({METRICS[self.metric].label}, top {self.top} of {len(self.history)} "
            f"apps, last {self.window} samples kept, {self.samples} received, {self.status.value})"
        )

    def _summary_html(self) -> str:
        return f"{self._chart_svg()}<pre>{html.escape(repr(self))}</pre>"

    @property
    def following(self) -> bool:
        """True while the ``app.stats`` subscription is open."""
        return self._following is not None and not self._following.done()

    def shown(self) -> list[str]:
        """The apps drawn: the top ones by the metric's mean over the window, then by name."""
        column = METRICS[self.metric].column
        with self._lock:
            means = {
                app: sum(r[column] for r in readings) / len(readings)
                for app, readings in self.history.items()
                if readings
            }
        return sorted(means, key=lambda app: (-means[app], app))[: self.top]

    def follow(self) -> None:
        """(Re)start following with an empty history."""
        self.stop()
        with self._lock:
            self.history.clear()
            self._generation += 1
            self.samples = 0
            self.renders = 0
        self.chart.value = self._chart_svg()
        self.stop_button.description, self.stop_button.icon = "Stop", "stop"
        self.status.value = "following"
        generation = self._generation
        self._following = self._submit(lambda: self._pump(generation), self._fail)

    def stop(self) -> None:
        """End the subscription (idempotent); the chart drawn so far stays."""
        if self._following is not None:
            self._following.cancel()
            self._following = None
        self.stop_button.description, self.stop_button.icon = "Follow", "play"
        self.status.value = "stopped"

    def close(self) -> None:
        """Stop following for good: the last chart and the metric picker stay usable.

        The ipywidgets themselves stay open, so displaying the view again still works.
        """
        self.stop()
        self.stop_button.disabled = True
        self.status.value = "closed"

    def wait(self, samples: int, timeout: float) -> bool:
        """Block until ``samples`` samples have arrived (or ``timeout`` s); True if they did.

        For scripts, tests and notebooks that want a chart before displaying it.
        """
        with self._arrived:
            return self._arrived.wait_for(lambda: self.samples >= samples, timeout)

    # -- on the loop thread ----------------------------------------------------------------

    async def _pump(self, generation: int) -> None:
        from scale_pilot_nb.notebook.tables import stats_frame

        async for items in self.pilot.manager.stats(self.interval):
            frame = stats_frame([(dt.datetime.now(dt.UTC), items)])
            columns = [m.column for m in METRICS.values()]
            if self._fold(generation, frame.set_index("app")[columns].to_dict("index")):
                self.chart.value = self._chart_svg()
                self.renders += 1
        self.status.value = "ended"  # the NAS ended the subscription (apps service gone)
        self.stop_button.description, self.stop_button.icon = "Follow", "play"

    def _fold(self, generation: int, readings: Mapping[Hashable, Mapping[Hashable, Any]]) -> bool:
        """Add one sample to the history; False (and nothing added) if it is from a stale run."""
        with self._arrived:
            if generation != self._generation:
                return False
            for gone in self.history.keys() - {str(app) for app in readings}:
                del self.history[gone]
            for app, reading in readings.items():
                kept = self.history.setdefault(str(app), deque(maxlen=self.window))
                kept.append({str(column): float(value) for column, value in reading.items()})
            self.samples += 1
            self._arrived.notify_all()
        return True

    def _fail(self, exc: BaseException) -> None:
        self.status.value = "failed"
        self.chart.value = error_html(exc)

    # -- helpers ---------------------------------------------------------------------------

    def _chart_svg(self) -> str:
        metric = METRICS[self.metric]
        apps = self.shown()
        with self._lock:
            series = [
                Series(app, [r[metric.column] for r in self.history.get(app, ())]) for app in apps
            ]
        return line_chart(
            series,
            slots=self.window,
            y_label=metric.label,
            x_label=f"last {self.window} samples, every {self.interval} s (newest at right)",
            format_value=metric.format,
        )

    def _on_metric(self, change: dict[str, Any]) -> None:
        self.metric = change["new"]
        self.chart.value = self._chart_svg()

    def _on_stop_button(self, _: object) -> None:
        if self.following:
            self.stop()
        else:
            self.follow()
