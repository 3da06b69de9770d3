"""The async core: :class:`TrueNASDockerManager` and the operations it delegates to.

One module per operation (``deploy``, ``lifecycle``, ``health``, ``updates``, ``backups``,
``exports``, ``describe``, ``doctor``, ``logs`` with ``timefilter``, ``watch``, ``shells`` with
``exec_script``, ``sync``), the revision store (``history``, ``recorder``) and the plumbing every
change shares (``arguments``, ``changes``, ``waiting``, ``effects``, ``jobs``). The operation
modules see the manager only through the small protocol in :mod:`~scale_pilot_nb.manager.port`,
never the class, so imports run one way: ``manager.py`` imports the operations, not the reverse.

May import: ``errors``, ``config``, ``compose``, ``rpc``, ``records``. Never ``pilot``,
``notebook``, ``cli`` at module level.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scale_pilot_nb.manager.manager import TrueNASDockerManager

__all__ = ["TrueNASDockerManager"]


def __getattr__(name: str) -> Any:
    """Import ``manager.py`` on first use: a light module of this package (``scale-compose
    --help`` reads ``exec_script``'s defaults) must not load the wire and every operation."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module("scale_pilot_nb.manager.manager"), name)
    globals()[name] = value
    return value
