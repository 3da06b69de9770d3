"""Job progress on stderr: a redrawn bar on a terminal, plain lines otherwise.

The library calls a progress callback with ``(percent, description)`` for every job update
(from its loop thread); :class:`ProgressPrinter` is such a callback. Plain lines are written
only when something changed, so a log file gets one line per step, not one per event.
Progress is drawn from the library's loop thread, hence the lock.
"""

from __future__ import annotations

import threading
from typing import TextIO

from scale_pilot_nb.cli.output import TABLE_WIDTH, is_terminal

__all__ = ["ProgressPrinter"]

_BAR = 20


class ProgressPrinter:
    """A progress callback drawing on ``stream``; call :meth:`finish` when the job is done.

    Args:
        stream: where to draw (stderr).
        terminal: redraw one bar in place; default: whether ``stream`` is a terminal.
    """

    def __init__(self, stream: TextIO, *, terminal: bool | None = None) -> None:
        self._stream = stream
        self._terminal = is_terminal(stream) if terminal is None else terminal
        self._last: tuple[int | None, str] | None = None
        self._drawn = False
        self._lock = threading.Lock()

    def __call__(self, percent: int | float | None, description: str) -> None:
        with self._lock:
            # TrueNAS sends bare percentages between steps: keep showing the last step
            state = (
                None if percent is None else int(percent),
                description or (self._last[1] if self._last else ""),
            )
            if state == self._last:
                return
            self._last = state
            if self._terminal:
                self._stream.write("\r" + _bar(*state).ljust(TABLE_WIDTH - 1)[: TABLE_WIDTH - 1])
                self._drawn = True
            elif state[1]:
                self._stream.write(_plain(*state) + "\n")
            self._stream.flush()

    def finish(self) -> None:
        """End the bar's line (a no-op for plain lines or when nothing was drawn)."""
        with self._lock:
            if self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False


def _bar(percent: int | None, description: str) -> str:
    filled = round(_BAR * (percent or 0) / 100)
    return f"[{'#' * filled}{'.' * (_BAR - filled)}] {_plain(percent, description)}"


def _plain(percent: int | None, description: str) -> str:
    amount = "  ?%" if percent is None else f"{percent:3d}%"
    return f"{amount} {description}".rstrip()
