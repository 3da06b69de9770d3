"""What every scale-pilot widget shares: one display for three audiences, and loop plumbing.

A widget object (``DeployForm``, ``Dashboard``, ``LogViewer``) is not itself an ipywidget: it
owns one (built lazily, cached) and displays through :meth:`PilotWidget._repr_mimebundle_`,
which merges the ipywidget's view with our own ``text/html`` and ``text/plain``. JupyterLab
renders the live view; nbconvert, GitHub and nbval see the stable summary (nbval never compares
the widget-view key, and ipywidgets' own ``text/plain`` changes between versions).

Work started by a button runs on the Pilot's loop thread (:meth:`PilotWidget._submit`) so the
kernel stays responsive; what it produces reaches the page only by setting widget values or
``Output.append_*``, never by printing: output printed from a thread lands in whichever cell
ran last.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]

    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = [
    "Bundle",
    "PilotWidget",
    "error_html",
    "rich_bundle",
    "stylesheet_widget",
    "text_table",
]

T = TypeVar("T")

#: Inline styles only (no external assets), with JupyterLab theme variables and fallbacks.
_ERROR_STYLE = (
    "border-left:4px solid var(--jp-error-color1,#d32f2f);padding:4px 8px;"
    "background:var(--jp-layout-color2,#fdecea);color:var(--jp-content-font-color1,#000)"
)


class PilotWidget:
    """Base of the notebook widgets: lazy ipywidget, merged mimebundle, loop submission.

    Subclasses implement :meth:`_build` (the ipywidget tree) and :meth:`__repr__` (a concise
    text summary); :meth:`_summary_html` defaults to that text in a ``<pre>``.

    Args:
        pilot: the connection the widget acts through.
    """

    def __init__(self, pilot: Pilot) -> None:
        self.pilot = pilot
        self._widget: ipywidgets.Widget | None = None
        #: The future of the last action a button started (tests wait on it).
        self.pending: concurrent.futures.Future[Any] | None = None

    @property
    def widget(self) -> ipywidgets.Widget:
        """The ipywidget tree (built on first use, then reused by every display)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> ipywidgets.Widget:
        raise NotImplementedError

    def _summary_html(self) -> str:
        return f"<pre>{html.escape(repr(self))}</pre>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._summary_html()
        return bundle

    def _submit(
        self,
        action: Callable[[], Awaitable[T]],
        on_error: Callable[[BaseException], None],
    ) -> concurrent.futures.Future[T]:
        """Run ``action()`` on the Pilot's loop without blocking the kernel.

        ``on_error`` is called on the loop thread with any exception, so a failure becomes a
        message in the widget rather than a traceback printed into some other cell.
        Cancellation (stopping a follower, closing a dashboard) is not a failure.
        """

        async def guarded() -> T:
            try:
                return await action()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                on_error(exc)
                raise

        self.pending = self.pilot.submit(guarded())
        return self.pending


class Bundle:
    """A display object carrying HTML and its text twin, for ``Output.append_display_data``.

    Like ``IPython.display.HTML`` but with our own ``text/plain`` (what nbval compares and
    what a terminal shows), and without importing IPython.
    """

    def __init__(self, markup: str, text: str) -> None:
        self.markup = markup
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/html": self.markup, "text/plain": self.text}


def rich_bundle(obj: object) -> Bundle:
    """``obj`` for display: its own HTML repr when it has one, else its text in a ``<pre>``."""
    text = str(obj)
    render = getattr(obj, "_repr_html_", None)
    markup = render() if callable(render) else None
    return Bundle(markup or f"<pre>{html.escape(text)}</pre>", text)


def error_html(exc: BaseException) -> str:
    """A visible, escaped error box: the message and, for our errors, the hint."""
    title = type(exc).__name__
    message = getattr(exc, "message", None) or str(exc) or title
    hint = getattr(exc, "hint", None)
    hint_html = f"<div><b>hint:</b> {html.escape(hint)}</div>" if hint else ""
    return (
        f'<div class="sp-error" style="{_ERROR_STYLE}"><b>{html.escape(title)}</b>: '
        f"<span>{html.escape(message)}</span>{hint_html}</div>"
    )


def stylesheet_widget() -> ipywidgets.HTML:
    """The package and widget stylesheets as an invisible widget, for widgets styled by class.

    A ``<style>`` element applies to the whole page wherever it sits, so a hidden widget
    carrying it is enough; the stylesheet is sent once per widget, not with every update of
    a view that changes ten times a second.
    """
    import ipywidgets as widgets

    from scale_pilot_nb.notebook._markup import stylesheet, widget_stylesheet

    return widgets.HTML(
        f"<style>{stylesheet()}{widget_stylesheet()}</style>",
        layout=widgets.Layout(display="none"),
    )


def text_table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """Left-aligned plain-text columns (what terminals and nbval see of a table)."""
    lines = [[str(cell) for cell in header], *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
