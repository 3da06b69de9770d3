"""Where a demo, a notebook or the test suite acts: the embedded sandbox unless told otherwise.

``TRUENAS_*`` variables say *how* to reach a NAS, never *whether* to: someone who exported
them for their scripts must not see ``make demo`` or a notebook deploy, upgrade or delete on
their NAS. The choice is explicit: each notebook's ``target`` parameter (papermill
``-p target nas``), or ``SCALE_PILOT_TARGET=nas`` in the environment. ``make demo`` and
``make test`` clear that variable, so they always run on the sandbox. Every run says where it
acts, first thing.
"""

from __future__ import annotations

import os
from typing import Literal

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.pilot.pilot import Pilot, connect, sandbox_pilot

__all__ = ["TARGET_ENV", "Target", "connect_target", "default_target"]

TARGET_ENV = "SCALE_PILOT_TARGET"
"""The one variable that moves notebooks onto a real NAS: ``SCALE_PILOT_TARGET=nas``."""

Target = Literal["sandbox", "nas"]
_TARGETS = ("sandbox", "nas")


def default_target() -> str:
    """``$SCALE_PILOT_TARGET`` when set, else ``"sandbox"`` (``TRUENAS_*`` alone change nothing)."""
    return os.environ.get(TARGET_ENV) or "sandbox"


def connect_target(target: str = "sandbox", *, seed: str | int = "demo") -> Pilot:
    """A :class:`Pilot` on ``target``, announced on stdout.

    Args:
        target: ``"sandbox"`` starts an embedded TrueNAS (``seed``: ``"demo"`` or a number of
            apps) with a private history; ``"nas"`` connects like :func:`connect` (arguments
            from ``TRUENAS_*``, the profile or ``.env``).
        seed: the sandbox's apps.

    Raises:
        ConfigError: ``target`` is neither ``"sandbox"`` nor ``"nas"``, or no NAS is configured.
    """
    if target not in _TARGETS:
        raise ConfigError(
            f"target must be 'sandbox' or 'nas', not {target!r}",
            hint=f"Set the notebook's target parameter, or {TARGET_ENV}=nas for a real NAS.",
        )
    if target == "sandbox":
        pilot = sandbox_pilot(seed)
        print(f"Target: embedded sandbox at {pilot.manager.client.url} (no real NAS is touched)")
    else:
        pilot = connect()
        print(f"Target: the real NAS at {pilot.manager.client.url} ({TARGET_ENV}=nas)")
    return pilot
