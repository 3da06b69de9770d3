"""Parse image references the way the Docker distribution library does.

Grammar: ``[registry[:port]/]path[:tag][@algorithm:hex]``. The first path component is a
registry when it contains a ``.`` or a ``:`` or is ``localhost``; otherwise the image lives on
Docker Hub. Path components are lowercase; tags are at most 128 word characters, dots and
dashes. A reference with neither tag nor digest pulls ``latest``.
"""

from __future__ import annotations

import re

from scale_pilot_nb.compose.model import ImageRef
from scale_pilot_nb.errors import ComposeError

__all__ = ["parse_image"]

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_REGISTRY = re.compile(
    r"^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_MAX_NAME = 255


def parse_image(ref: str) -> ImageRef:
    """Split an image reference into registry, repository, tag and digest.

    Args:
        ref: e.g. ``nginx``, ``linuxserver/plex:1.40``, ``localhost:5000/app@sha256:…``.

    Returns:
        The parts as written; see :class:`ImageRef` for the implicit ``latest``.

    Raises:
        ComposeError: the reference is not valid, naming the offending part.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise _invalid(ref, "it is empty")
    if ref != ref.strip():
        raise _invalid(ref, "it has leading or trailing spaces")
    rest, _, digest = ref.partition("@")
    if digest and not _DIGEST.match(digest):
        raise _invalid(ref, f"digest '{digest}' is not algorithm:hex")
    name, tag = rest, None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise _invalid(ref, f"tag '{tag}' may only use letters, digits, '_', '.', '-'")
    if len(name) > _MAX_NAME:
        raise _invalid(ref, f"the name is longer than {_MAX_NAME} characters")
    registry, path = _split_registry(name)
    if registry is not None and not _REGISTRY.match(registry):
        raise _invalid(ref, f"registry '{registry}' is not a host name with an optional port")
    for component in path.split("/"):
        if not _COMPONENT.match(component):
            reason = "must be lowercase" if component.lower() != component else "is not valid"
            raise _invalid(ref, f"repository part '{component}' {reason}")
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest or None)


def _split_registry(name: str) -> tuple[str | None, str]:
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def _invalid(ref: object, reason: str) -> ComposeError:
    return ComposeError(
        f"invalid image reference {ref!r}: {reason}",
        hint="Use [registry[:port]/]name[:tag][@sha256:digest], e.g. nginx:1.27.",
    )
