"""Where compose results find their HTML renderer without importing the notebook layer.

``compose/`` sits below ``notebook/`` (house rule 2), so :class:`ValidationReport` and
:class:`DeployPlan` cannot import the HTML builders. Instead :mod:`scale_pilot_nb.notebook.html`
registers its renderers here when it is imported (``scale_pilot_nb`` imports it as soon as it is
loaded inside IPython), and the classes' ``_repr_html_`` asks :func:`html_of`. With no renderer
registered, ``html_of`` returns ``None`` and IPython shows the plain-text repr instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["html_of", "register_html"]

_renderers: dict[type, Callable[[Any], str]] = {}


def register_html(cls: type, renderer: Callable[[Any], str]) -> None:
    """Make ``renderer`` the HTML repr of ``cls`` and its subclasses (last registration wins)."""
    _renderers[cls] = renderer


def html_of(obj: object) -> str | None:
    """The HTML repr of ``obj`` from the registered renderer of its class, or ``None``."""
    for cls in type(obj).__mro__:
        renderer = _renderers.get(cls)
        if renderer is not None:
            return renderer(obj)
    return None
