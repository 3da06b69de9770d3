"""The log viewer's markup: one block per line, service prefixes coloured, matches marked.

Pure functions from :class:`~scale_pilot_nb.manager.logs.LogLine` values to escaped HTML; the look
is in the widget stylesheet (``static/widgets.css``, ``sp-log-*`` classes), so the dark theme
gets its own colours.

A service keeps its colour across runs, kernels and machines: the colour is picked from the
service name's CRC-32 (Python's ``hash()`` of a string changes with every process).
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterable, Sequence

from scale_pilot_nb.manager.logs import LogLine

__all__ = ["PALETTE_SIZE", "matching", "service_class", "view_html"]

#: Distinct service colours in the stylesheet (``sp-svc-0`` …).
PALETTE_SIZE = 8


def service_class(service: str) -> str:
    """The stylesheet class colouring ``service``'s prefix (the same for the same name)."""
    return f"sp-svc-{zlib.crc32(service.encode('utf-8')) % PALETTE_SIZE}"


def matching(lines: Iterable[LogLine], query: str) -> list[LogLine]:
    """The lines whose text (service prefix included) contains ``query``, ignoring case."""
    wanted = query.casefold()
    return [line for line in lines if wanted in str(line).casefold()]


def view_html(lines: Sequence[LogLine], query: str = "", *, empty: str = "(no lines yet)") -> str:
    """The scroll box with ``lines`` (oldest first), ``query`` marked wherever it occurs.

    Args:
        lines: what to show; filter them with :func:`matching` first when searching.
        query: text to mark (case-insensitive); empty marks nothing.
        empty: what the box says when there are no lines.
    """
    pattern = re.compile(re.escape(query), re.IGNORECASE) if query else None
    body = "".join(_line_html(line, pattern) for line in lines)
    if not lines:
        body = f'<div class="sp-log-line sp-log-empty">{html.escape(empty)}</div>'
    # column-reverse anchors the content to the bottom: the newest line is what one sees.
    return f'<div class="sp-log-view"><div class="sp-log-lines">{body}</div></div>'


def _line_html(line: LogLine, pattern: re.Pattern[str] | None) -> str:
    service = _marked(line.service, pattern)
    return (
        f'<div class="sp-log-line"><span class="sp-log-service {service_class(line.service)}">'
        f"{service}</span> | {_marked(line.data, pattern)}</div>"
    )


def _marked(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` escaped, each match of ``pattern`` in a ``<mark>``."""
    if pattern is None:
        return html.escape(text)
    parts = []
    end = 0
    for found in pattern.finditer(text):
        parts.append(html.escape(text[end : found.start()]))
        parts.append(f'<mark class="sp-log-match">{html.escape(found.group())}</mark>')
        end = found.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)
