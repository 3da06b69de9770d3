"""Type aliases shared across the package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

__all__ = ["Entry", "JSONDict"]

Entry: TypeAlias = Mapping[str, Any]
"""One object as the middleware sent it (after ejson decoding), e.g. an ``app.query`` item."""

JSONDict: TypeAlias = dict[str, Any]
"""A plain, JSON-serialisable dictionary, e.g. what ``to_dict()`` returns."""
