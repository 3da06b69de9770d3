"""Small pure builders of HTML fragments shared by every repr in :mod:`.html`.

Each returns a string and escapes every value it is given, so callers cannot forget to; only
arguments named ``*_html`` are trusted markup (fragments built here). Nothing here creates ids,
reads the clock or draws random numbers: the same input always gives the same bytes, which is
what nbval compares (house rule 9). Sections collapse with ``<details>``, so no ids are needed.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Literal

__all__ = [
    "DISPLAY_ENV",
    "DisplayStyle",
    "badge",
    "card",
    "display_style",
    "document",
    "esc",
    "facts",
    "section",
    "set_display_style",
    "stylesheet",
    "table",
    "tone_of",
    "widget_stylesheet",
]

DisplayStyle = Literal["html", "text"]

#: Environment variable that switches every repr to plain text (``text``), e.g. in CI.
DISPLAY_ENV = "SCALE_PILOT_DISPLAY"

#: Placeholder for a value the NAS did not report.
MISSING = "—"

_option: DisplayStyle | None = None

# State / severity / action (lower case) -> colour tone of its badge.
_TONES = {
    "running": "ok",
    "success": "ok",
    "healthy": "ok",
    "online": "ok",
    "created": "ok",
    "updated": "ok",
    "started": "ok",
    "restarted": "ok",
    "redeployed": "ok",
    "valid": "ok",
    "create": "ok",
    "deploying": "warn",
    "starting": "warn",
    "stopping": "warn",
    "waiting": "warn",
    "pending": "warn",
    "initializing": "warn",
    "migrating": "warn",
    "degraded": "warn",
    "warning": "warn",
    "update": "warn",
    "replace": "error",
    "crashed": "error",
    "failed": "error",
    "error": "error",
    "invalid": "error",
    "faulted": "error",
    "unavail": "error",
    "migration_failed": "error",
    "aborted": "error",
    "info": "info",
    "planned": "info",
}


def set_display_style(style: DisplayStyle | None) -> None:
    """Choose ``"html"`` or ``"text"`` reprs for this process; ``None`` defers to the environment.

    ``"text"`` makes every ``_repr_html_`` a plain ``<pre>``, so CI and nbval compare text only.
    """
    global _option
    if style not in ("html", "text", None):
        raise ValueError(f"display style must be 'html', 'text' or None, not {style!r}")
    _option = style


def display_style() -> DisplayStyle:
    """The active style: the option if set, else ``$SCALE_PILOT_DISPLAY``, else ``"html"``."""
    if _option is not None:
        return _option
    return "text" if os.environ.get(DISPLAY_ENV, "").strip().lower() == "text" else "html"


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The package stylesheet, read once from package data."""
    return resources.files(__package__).joinpath("static/style.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def widget_stylesheet() -> str:
    """The widgets' rules (``static/widgets.css``), which use :func:`stylesheet`'s variables."""
    return resources.files(__package__).joinpath("static/widgets.css").read_text(encoding="utf-8")


def esc(value: object) -> str:
    """Escape any value for HTML text and attributes; ``None`` becomes a dash."""
    return MISSING if value is None else html.escape(str(value), quote=True)


def tone_of(word: str) -> str:
    """The colour tone (ok, warn, error, info, muted) of a state, severity or action."""
    return _TONES.get(word.lower(), "muted")


def badge(label: object, tone: str | None = None) -> str:
    """A coloured label; the tone is derived from the label unless given."""
    text = MISSING if label is None else str(label)
    return f'<span class="sp-badge sp-tone-{tone or tone_of(text)}">{esc(text)}</span>'


def facts(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table of ``(label, value_html)``; labels are escaped, values are markup."""
    body = "".join(f"<tr><th>{esc(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="sp-table sp-facts"><tbody>{body}</tbody></table>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table with escaped headers and cells given as markup (escape them with :func:`esc`)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="sp-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(title: str, body_html: str, *, count: int | None = None, expanded: bool = False) -> str:
    """A collapsible ``<details>`` section (expanded when ``expanded``)."""
    number = f' <span class="sp-count">({count})</span>' if count is not None else ""
    state = " open" if expanded else ""
    return (
        f'<details class="sp-section"{state}><summary>{esc(title)}{number}</summary>'
        f'<div class="sp-body">{body_html}</div></details>'
    )


def card(kind: str, title: str, header_html: str, body_html: str) -> str:
    """A bordered card: kind label, title, header extras (badges), then the body."""
    return (
        f'<div class="sp-card"><div class="sp-header"><span class="sp-kind">{esc(kind)}</span>'
        f'<span class="sp-title">{esc(title)}</span>{header_html}</div>{body_html}</div>'
    )


def document(text: str, body_html: str) -> str:
    """The complete repr: stylesheet, a ``<pre>`` text fallback, and the hidden rich card.

    Viewers that drop ``<style>`` (untrusted notebooks, GitHub) show the fallback text; with
    the stylesheet the fallback is hidden and the card revealed. In ``text`` display style only
    the ``<pre>`` is returned.
    """
    fallback = f'<pre class="sp-text-fallback">{esc(text)}</pre>'
    if display_style() == "text":
        return f"<pre>{esc(text)}</pre>"
    return (
        f"<style>{stylesheet()}</style>"
        f'<div class="sp-root">{fallback}<div class="sp-wrap" style="display:none">'
        f"{body_html}</div></div>"
    )
