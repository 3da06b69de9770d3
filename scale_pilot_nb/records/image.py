"""Docker images on the NAS, as ``app.image.query`` lists them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Self

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records._base import (
    Record,
    entry_of,
    flag,
    format_bytes,
    integer,
    strings,
    text,
    wire_datetime,
)
from scale_pilot_nb.records._types import Entry

__all__ = ["Image"]

_UNTAGGED = "<none>:<none>"


@dataclass(frozen=True, repr=False)
class Image(Record):
    """One image.

    Attributes:
        id: image id (``sha256:…``).
        repo_tags: tags, e.g. ``("jellyfin/jellyfin:10.10.7",)``; ``<none>:<none>`` removed.
        repo_digests: repository digests.
        size: bytes on disk.
        dangling: untagged and unused by name.
        update_available: TrueNAS found a newer image for a tag.
        created: creation time, when parseable.
        author: image author, if set.
        comment: image comment, if set.
    """

    id: str
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    size: int | None = None
    dangling: bool = False
    update_available: bool = False
    created: dt.datetime | None = None
    author: str | None = None
    comment: str | None = None

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse one ``app.image.query`` entry.

        Raises:
            TrueNASError: the entry is not an object or has no id.
        """
        entry = entry_of(entry, "image")
        image_id = text(entry.get("id"))
        if not image_id:
            raise TrueNASError(
                "The NAS sent an image without an id.",
                hint="The NAS answered with an unexpected shape; check its version is supported.",
            )
        return cls(
            id=image_id,
            repo_tags=tuple(t for t in strings(entry.get("repo_tags")) if t != _UNTAGGED),
            repo_digests=strings(entry.get("repo_digests")),
            size=integer(entry.get("size")),
            dangling=flag(entry.get("dangling")),
            update_available=flag(entry.get("update_available")),
            created=wire_datetime(entry.get("created")),
            author=text(entry.get("author")) or None,
            comment=text(entry.get("comment")) or None,
        )

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the id, as ``docker images`` shows it."""
        return self.id.removeprefix("sha256:")[:12]

    @property
    def name(self) -> str:
        """The first tag, or the short id for an untagged image."""
        return self.repo_tags[0] if self.repo_tags else self.short_id

    def __repr__(self) -> str:
        update = ", update available" if self.update_available else ""
        return f"Image({self.name!r}, size={format_bytes(self.size)!r}{update})"
