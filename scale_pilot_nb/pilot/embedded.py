"""The zero-config target: a demo sandbox and a manager connected to it.

``connect(sandbox=True)`` and ``AIHelper(sandbox=True)`` both start one. Its revision history
goes to a private temporary folder, so trying things out never writes to the user's real
history; the caller removes the folder when it stops the sandbox.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox

__all__ = ["EmbeddedNAS", "start_embedded"]


@dataclass(frozen=True)
class EmbeddedNAS:
    """A running demo sandbox, a manager for it (not yet connected) and its history folder."""

    sandbox: Sandbox
    manager: TrueNASDockerManager
    history_dir: Path


def start_embedded(*, tool: str = "sdk", seed: str | int = "demo") -> EmbeddedNAS:
    """Start a sandbox (the demo seed unless told) and a manager for it recording as ``tool``."""
    sandbox = Sandbox(seed=seed).start()
    history_dir = Path(tempfile.mkdtemp(prefix="scale-pilot-sandbox-history-"))
    manager = TrueNASDockerManager(
        sandbox.url,
        sandbox.api_key,
        username=sandbox.username,
        history=history_dir / "history.sqlite",
        tool=tool,
    )
    return EmbeddedNAS(sandbox, manager, history_dir)
