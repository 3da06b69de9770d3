"""The embedded TrueNAS middleware simulator ("the moto of TrueNAS").

``Sandbox`` runs it on a background thread; ``scale-compose sandbox`` runs it from a shell.
The wire layer (``server``, ``session``, ``jsonrpc``, ``legacy``, ``dispatch``, ``jobs``,
``auth``, ``core``, ``events``) meets the NAS model (``state`` and the method modules) only
through ``contract``.
"""

from __future__ import annotations

from scale_pilot_nb.sandbox.embedded import Sandbox

__all__ = ["Sandbox"]
