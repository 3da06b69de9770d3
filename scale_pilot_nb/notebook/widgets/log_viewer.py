"""``pilot.log_viewer(app)``: follow an app's container logs in a bounded, scrolling view.

Lines arrive on the Pilot's loop (``app.container_log_follow``, one subscription per
container) and go into a ``deque`` that keeps only the last ``max_lines``, so memory is bounded
whatever the log rate. The page is not updated per line: a flusher re-renders the view at most
once per ``flush_interval`` (100 ms by default) and only when something arrived, so a chatty
container cannot flood the browser with comm messages. Each render puts the newest line at the
bottom of the box, in view (a ``column-reverse`` scroll box).

Lines wrap at spaces, never inside a word (only a token longer than the box breaks), and each
service's prefix has its own colour (:mod:`~scale_pilot_nb.notebook.widgets.log_lines`). The
search box narrows the view to the lines containing its text and marks it; the lines kept are
not touched, so clearing the search shows them all again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import deque
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.manager.logs import LogLine
from scale_pilot_nb.notebook.widgets._base import PilotWidget, error_html, stylesheet_widget
from scale_pilot_nb.notebook.widgets.log_lines import matching, view_html

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = ["ALL_SERVICES", "DEFAULT_FLUSH_INTERVAL", "LogViewer"]

#: The service selector's entry for "every container of the app".
ALL_SERVICES = "(all services)"

#: Seconds between two renders of the view at most.
DEFAULT_FLUSH_INTERVAL = 0.1


class LogViewer(PilotWidget):
    """Follows the logs of one app (all services, or one) until stopped.

    Following starts at construction. :meth:`stop` (or the Stop button) ends it;
    :meth:`follow` (or picking a service) starts again with a fresh view.

    Args:
        pilot: the connection to read through.
        app: the app whose containers to follow.
        service: one compose service, or ``None`` for all of them.
        max_lines: lines kept (older ones are dropped); also the history fetched at start.
        flush_interval: seconds between two renders of the view at most.
    """

    def __init__(
        self,
        pilot: Pilot,
        app: str,
        service: str | None = None,
        *,
        max_lines: int = 200,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
    ) -> None:
        if max_lines < 1:
            raise ValueError(f"max_lines must be at least 1, not {max_lines}")
        super().__init__(pilot)
        self.app = app
        self.max_lines = max_lines
        self.flush_interval = flush_interval
        self.services = sorted(
            {c.service_name for c in pilot.app(app).containers if c.service_name}
        )
        self.lines: deque[LogLine] = deque(maxlen=max_lines)
        #: Lines received since the last (re)start, including those already dropped.
        self.received = 0
        #: Times the view was re-rendered since the last (re)start.
        self.renders = 0
        self._service = service
        self._dirty = False
        # Bumped by every (re)start: cancelling the previous follower reaches the loop later,
        # and lines it still has buffered must not land in the fresh view.
        self._generation = 0
        self._following: concurrent.futures.Future[None] | None = None
        self.widget  # noqa: B018 - the view must exist before lines arrive
        self.follow(service)

    def _build(self) -> ipywidgets.Widget:
        import ipywidgets as widgets

        self.service_picker = widgets.Dropdown(
            options=[ALL_SERVICES, *self.services],
            value=self._service if self._service in self.services else ALL_SERVICES,
            description="Service",
        )
        self.stop_button = widgets.Button(description="Stop", icon="stop")
        self.status = widgets.Label(value="")
        self.search_box = widgets.Text(
            placeholder="search",
            continuous_update=True,
            layout=widgets.Layout(width="16em"),
        )
        self.search_box.add_class("sp-log-search")
        self.found = widgets.Label(value="")
        self.view = widgets.HTML(value=view_html([]))
        self.service_picker.observe(self._on_service, names="value")
        self.search_box.observe(self._on_search, names="value")
        self.stop_button.on_click(self._on_stop_button)
        controls = widgets.HBox(
            [self.service_picker, self.stop_button, self.status, self.search_box, self.found]
        )
        box = widgets.VBox([stylesheet_widget(), controls, self.view])
        box.add_class("sp-log-viewer")
        box.add_class("sp-widget")
        return box

    def __repr__(self) -> str:
        state = "following" if self.following else "stopped"
        service = self._service or "all services"
        return f"LogViewer({self.app!r}, {service}, {state}, last {self.max_lines} lines)"

    @property
    def following(self) -> bool:
        """True while lines are being followed."""
        return self._following is not None and not self._following.done()

    def follow(self, service: str | None = None) -> None:
        """(Re)start following ``service`` (``None``: all services) with an empty view."""
        self.stop()
        self._generation += 1  # before clearing, so no stale line lands after the clear
        generation = self._generation
        self._service = service
        self.lines.clear()
        self.received = 0
        self.renders = 0
        self.stop_button.description, self.stop_button.icon = "Stop", "stop"
        self.status.value = "following"
        self._following = self._submit(lambda: self._pump(service, generation), self._fail)

    def stop(self) -> None:
        """Stop following (idempotent); the lines shown so far stay."""
        if self._following is not None:
            self._following.cancel()
            self._following = None
        self.stop_button.description, self.stop_button.icon = "Follow", "play"
        self.status.value = "stopped"

    # -- on the loop thread ----------------------------------------------------------------

    async def _pump(self, service: str | None, generation: int) -> None:
        flusher = asyncio.create_task(self._flush_periodically())
        try:
            lines = self.pilot.manager.logs(self.app, service, tail=self.max_lines, follow=True)
            async for line in lines:
                if generation != self._generation:
                    return  # a newer follow() owns the view; its cancelling us is in flight
                self.lines.append(line)
                self.received += 1
                self._dirty = True
            self.status.value = "ended"  # the containers went away
            self.stop_button.description, self.stop_button.icon = "Follow", "play"
        finally:
            flusher.cancel()
            self._flush()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            self._flush()

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self._render()

    def _fail(self, exc: BaseException) -> None:
        self.status.value = "failed"
        self.view.value = error_html(exc)

    # -- helpers ---------------------------------------------------------------------------

    def _render(self) -> None:
        """Redraw the view from the lines kept, narrowed and marked by the search text."""
        query = self.search_box.value
        lines = list(self.lines)
        shown = matching(lines, query) if query else lines
        empty = f"(no line contains {query!r})" if query and lines else "(no lines yet)"
        self.view.value = view_html(shown, query, empty=empty)
        self.found.value = f"{len(shown)} of {len(lines)} lines" if query else ""
        self.renders += 1

    def _on_service(self, change: dict[str, Any]) -> None:
        self.follow(None if change["new"] == ALL_SERVICES else change["new"])

    def _on_search(self, _: dict[str, Any]) -> None:
        self._render()

    def _on_stop_button(self, _: object) -> None:
        if self.following:
            self.stop()
        else:
            picked = self.service_picker.value
            self.follow(None if picked == ALL_SERVICES else picked)
