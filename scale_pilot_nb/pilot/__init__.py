"""The synchronous face: :class:`Pilot`, its loop runner and stream pump, targets and fleets.

A :class:`Pilot` owns one :class:`~scale_pilot_nb.manager.TrueNASDockerManager` on a background
event loop (``runner``), turns async streams into iterators (``stream_pump``), starts the
embedded sandbox (``embedded``), resolves the explicit target (``targets``) and fans out over
several NAS (``fleets``).

May import: everything below it (``errors``, ``config``, ``compose``, ``rpc``, ``records``,
``manager``). The notebook layer only inside the methods that return frames or widgets.
"""

from __future__ import annotations

from scale_pilot_nb.pilot.pilot import ConfirmationRequired, Pilot, connect, sandbox_pilot

__all__ = ["ConfirmationRequired", "Pilot", "connect", "sandbox_pilot"]
