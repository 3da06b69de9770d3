"""Frames captured from the official ``truenas_api_client`` (see truenas-protocol.md §10).

``C->S`` frames are exactly what the official client sent; ``S->C`` frames are what the
capture server answered and the official client accepted. Copied from the reference folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CAPTURES = Path(__file__).parents[1] / "captures"


@dataclass(frozen=True)
class Frame:
    """One captured text frame."""

    direction: str  # "C->S" or "S->C"
    text: str

    @property
    def message(self) -> dict[str, object]:
        value = json.loads(self.text)
        assert isinstance(value, dict)
        return value


def frames(name: str) -> list[Frame]:
    """The text frames of ``captures/<name>.jsonl`` (upgrade and close records left out)."""
    found = []
    for line in (CAPTURES / f"{name}.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "text" in record:
            found.append(Frame(record["dir"], record["text"]))
    return found


def client_frames(name: str) -> list[Frame]:
    return [f for f in frames(name) if f.direction == "C->S"]


def server_frames(name: str) -> list[Frame]:
    return [f for f in frames(name) if f.direction == "S->C"]
