"""Writing a file the way a half-written or redirected file cannot happen.

Files the SDK writes into a directory the user named (export files) are first written to a
fresh temporary file beside the target — created exclusively, so no symlink or file planted
there is followed — then renamed over the target. A rename replaces a symlink at the target
instead of writing through it, and a reader sees the old file or the new one, never a part.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["replace_file"]


def replace_file(directory: Path, name: str, text: str, private: bool) -> Path:
    """Atomically make ``directory/name`` hold ``text`` (UTF-8); owner-only when ``private``.

    ``name`` must be a plain file name (no ``/``): callers check names that come from outside.

    Raises:
        OSError: the directory cannot be written.
    """
    if os.sep in name or name in ("", ".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600 if private else 0o644)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        target = directory / name
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
