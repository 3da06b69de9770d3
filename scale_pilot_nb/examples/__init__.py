"""The example compose files shipped with the package (``nginx.yml``, ``redis.yml``, ...).

They are package data, so the deploy form's picker, the notebooks and the tests find them the
same way in a source checkout and in an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["path"]


def path(name: str | None = None) -> Path:
    """The folder of the example compose files, or the example ``name`` (``"nginx.yml"``) in it."""
    folder = Path(__file__).parent
    return folder if name is None else folder / name
