"""Job progress for long work: a progress bar in a notebook, text lines in a terminal.

Both are :data:`~scale_pilot_nb.rpc.ProgressCallback` objects, so they plug straight into
``pilot.deploy(..., progress=...)`` and friends. :func:`job_progress` picks one the way
``tqdm.auto`` does: the widget only inside a Jupyter kernel (where a frontend can render it),
text everywhere else (scripts, the CLI, ``make demo``).

The callback is invoked on the loop thread. The bar only sets widget values (safe from any
thread); the text variant writes to its stream, which is a terminal's, not a notebook cell's.
"""

from __future__ import annotations

import html
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

__all__ = ["ProgressBar", "TextProgress", "in_notebook", "job_progress", "progress_wanted"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ``IPKernelApp`` is configured)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_wanted() -> bool:
    """The default of ``progress=``: a bar in a notebook or on a terminal, silence otherwise
    (scripts piping their output, CI logs, tests)."""
    if in_notebook():
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressBar:
    """An ``IntProgress`` plus a label with the job's latest description.

    Args:
        title: shown before the bar (e.g. ``"deploy my-nginx"``).
    """

    def __init__(self, title: str = "") -> None:
        import ipywidgets as widgets

        self.title = title
        self.bar = widgets.IntProgress(value=0, min=0, max=100, description=title)
        self.label = widgets.Label(value="")
        self.label.add_class("sp-progress-text")
        self.widget: ipywidgets.HBox = widgets.HBox([self.bar, self.label])
        self.display_handle: Any = None

    def __call__(self, percent: int | None, description: str) -> None:
        if percent is not None:
            self.bar.value = max(0, min(100, int(percent)))
        if description:
            self.label.value = description

    def finish(self, ok: bool, description: str | None = None) -> None:
        """Colour the bar green (done) or red (failed) and show the final words."""
        if ok:
            self.bar.value = 100
        self.bar.bar_style = "success" if ok else "danger"
        if description:
            self.label.value = description
        if self.display_handle is not None:
            # The stored output (a saved notebook, nbval's reference) shows the final state,
            # not the 0 % it was displayed with.
            self.display_handle.update(self)

    def __repr__(self) -> str:
        return f"{self.title} {_gauge(self.bar.value)} {self.label.value}".strip()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = f"<pre>{html.escape(repr(self))}</pre>"
        return bundle


class TextProgress:
    """Progress as text lines (``  60% pulling images``), one per new description.

    Args:
        title: printed once before the first line.
        stream: where to write; standard error by default, like tqdm.
    """

    def __init__(self, title: str = "", stream: TextIO | None = None) -> None:
        self.title = title
        self.stream = stream if stream is not None else sys.stderr
        self._last: tuple[int | None, str] | None = None

    def __call__(self, percent: int | None, description: str) -> None:
        if percent is None and self._last is not None:
            percent = self._last[0]  # a step without a percentage keeps the bar where it is
        if not description or (percent, description) == self._last:
            return
        if self._last is None and self.title:
            self.stream.write(f"{self.title}\n")
        self._last = (percent, description)
        self.stream.write(f"  {_gauge(percent)} {description}\n")
        self.stream.flush()

    def finish(self, ok: bool, description: str | None = None) -> None:
        """Write the final line (``done`` or ``failed``)."""
        self.stream.write(
            f"  {'done' if ok else 'failed'}{': ' + description if description else ''}\n"
        )
        self.stream.flush()


def _gauge(percent: int | None) -> str:
    """``[#####.....]  50%`` — how far the work is, for a reader skimming the lines."""
    if percent is None:
        return " " * 17
    filled = round(10 * percent / 100)
    return f"[{'#' * filled}{'.' * (10 - filled)}] {int(percent):3d}%"


def job_progress(title: str = "") -> ProgressBar | TextProgress:
    """A progress callback suited to where the code runs (widget in Jupyter, text elsewhere).

    In a notebook the bar is displayed at once in the current cell::

        pilot.deploy(examples.path("nginx.yml"), "web", progress=job_progress("deploy web"))
    """
    if in_notebook():
        from IPython.display import display

        bar = ProgressBar(title)
        bar.display_handle = display(bar, display_id=True)
        return bar
    return TextProgress(title)
