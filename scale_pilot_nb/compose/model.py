"""Plain data types shared by every step of the compose engine.

These are the contract between the first half of the engine (``load`` → ``interpolate`` →
``normalise`` → ``render``) and the second half (``validate``, ``convert``, ``plan``, ``report``).
They carry no behaviour beyond formatting, so either half can change its internals freely.

Conventions:

* A *YAML path* is a tuple of keys and list indexes from the document root, e.g.
  ``("services", "web", "ports", 0)``. :func:`format_path` renders it as
  ``services.web.ports[0]``, the form findings show to users.
* Positions are 1-based ``(line, column)`` pairs, as editors count them.
* Nothing here ever holds a variable's *value*: unset and missing variables are reported by
  name and by where they are used, so a secret cannot leak through a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

__all__ = [
    "ImageRef",
    "InterpolationResult",
    "Issue",
    "LoadedCompose",
    "MissingVariable",
    "Normalised",
    "PortMapping",
    "Position",
    "SourceMap",
    "UnknownKey",
    "UnsetVariable",
    "UsedVariable",
    "VariableSource",
    "VolumeMount",
    "Yaml11Scalar",
    "YamlPath",
    "format_path",
]

YamlPath: TypeAlias = tuple[str | int, ...]
"""Keys and list indexes from the document root to one node."""

Position: TypeAlias = tuple[int, int]
"""1-based ``(line, column)`` of a node in its source text."""

SourceMap: TypeAlias = dict[YamlPath, Position]
"""Where each node of a loaded document starts; keys are YAML paths."""


def format_path(path: YamlPath) -> str:
    """Render a YAML path for people: ``("services", "web", 0)`` → ``services.web[0]``.

    Keys containing a dot are quoted so the result stays unambiguous (``labels["a.b"]``).
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or not part:
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class LoadedCompose:
    """A compose document read safely, plus what is needed to point back into its source.

    Attributes:
        data: the document as plain dicts, lists and scalars (merge keys resolved, ``x-`` kept).
        file: the file name shown in messages; ``"<string>"`` or ``"<dict>"`` when not from a file.
        base_dir: the directory that holds the file (``.env`` and relative paths resolve against
            it); ``None`` for strings and dicts unless the caller supplied one.
        source_map: where each node starts; empty for dicts.
        yaml11: scalars that YAML 1.1 (TrueNAS's reader) reads otherwise; empty for dicts.
        non_string_keys: paths of keys that YAML reads as a number, boolean or null (``1:``);
            they are text in ``data``; for a dict, see :func:`~.schema.non_string_keys`.
    """

    data: dict[str, Any] = field(repr=False)  # may hold passwords written in the file
    file: str = "<string>"
    base_dir: Path | None = None
    source_map: SourceMap = field(default_factory=dict, repr=False, compare=False)
    yaml11: tuple[Yaml11Scalar, ...] = field(default=(), repr=False, compare=False)
    non_string_keys: tuple[YamlPath, ...] = field(default=(), repr=False, compare=False)

    def position(self, path: YamlPath) -> Position | None:
        """Where ``path`` starts, or its nearest known ancestor; ``None`` without a source map.

        Findings about a key that normalisation added (e.g. a default) still point at the
        service that owns it.
        """
        for end in range(len(path), -1, -1):
            found = self.source_map.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class Yaml11Scalar:
    """A scalar that YAML 1.1 reads otherwise than compose's YAML 1.2 (``ports: [22:22]``).

    TrueNAS reads compose text with PyYAML (YAML 1.1), where that port is the integer 1342.

    Attributes:
        text: the scalar as written (it may be a secret: never shown under ``environment``).
        key: it is a mapping key, not a value.
        uses: each YAML path where the document uses it (aliases and ``<<`` merges repeat it),
            in document order; the first is where it is written.
        position: where it is written.
    """

    text: str = field(repr=False)
    key: bool
    uses: tuple[YamlPath, ...]
    position: Position


@dataclass(frozen=True)
class UnsetVariable:
    """A variable referenced without a value and without a default; it became ``""``.

    On TrueNAS there is no ``.env`` beside the stored compose file, so an unset variable
    silently becomes empty on the NAS too.

    Attributes:
        name: the variable name.
        paths: every YAML path whose value references it, in document order.
    """

    name: str
    paths: tuple[YamlPath, ...]


@dataclass(frozen=True)
class MissingVariable:
    """A required variable (``${VAR:?msg}`` / ``${VAR?msg}``) that has no usable value.

    Attributes:
        name: the variable name.
        message: the author's error text from the compose file (never a value).
        paths: every YAML path whose value requires it.
    """

    name: str
    message: str
    paths: tuple[YamlPath, ...]


VariableSource: TypeAlias = Literal["variables", "environ", ".env"]
"""Where a variable's value came from: the explicit ``variables`` mapping, the process
environment (``use_environ=True``) or the ``.env`` file beside the compose file."""


@dataclass(frozen=True)
class UsedVariable:
    """A variable whose value went into the document.

    TrueNAS keeps no environment and no ``.env`` for an app, so the value is written into the
    stored compose file: it is fixed at deploy time.

    Attributes:
        name: the variable name (never its value).
        source: where the value came from.
        paths: every YAML path whose value holds it, in document order (``.env`` keys and
            ``env_file`` entries for values that reach the document through them).
    """

    name: str
    source: VariableSource
    paths: tuple[YamlPath, ...]


@dataclass(frozen=True)
class InterpolationResult:
    """The outcome of :func:`scale_pilot_nb.compose.interpolate`.

    Attributes:
        data: the document with every ``$`` expression resolved (``$$`` became ``$``); a
            missing required variable resolves to ``""`` so the rest can still be checked.
        unset: variables used without value or default, sorted by name.
        missing: required variables without a value, sorted by name.
        issues: invalid expressions (``${}``, an unclosed ``${``) and unreadable required
            ``env_file`` files; the offending value is kept as written.
        env_files: the ``.env`` and ``env_file:`` files that were read, in reading order.
        used: variables whose values went into the data, sorted by name, with their source.
    """

    data: dict[str, Any]
    unset: tuple[UnsetVariable, ...] = ()
    missing: tuple[MissingVariable, ...] = ()
    issues: tuple[Issue, ...] = ()
    env_files: tuple[Path, ...] = ()
    used: tuple[UsedVariable, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no required variable is missing and every expression was valid."""
        return not self.missing and not self.issues

    def __repr__(self) -> str:
        # The data may hold secrets resolved from the environment: never show it.
        return (
            f"InterpolationResult(unset={[u.name for u in self.unset]}, "
            f"missing={[m.name for m in self.missing]}, issues={len(self.issues)})"
        )


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference such as ``ghcr.io:443/org/app:1.2@sha256:…``.

    Attributes:
        registry: the registry host (with port) when written, e.g. ``ghcr.io`` or
            ``localhost:5000``; ``None`` means Docker Hub.
        repository: the path inside the registry as written, e.g. ``nginx`` or
            ``linuxserver/plex`` (no ``library/`` is added).
        tag: the tag as written, or ``None``.
        digest: ``algorithm:hex`` as written, or ``None``.
    """

    registry: str | None
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Registry and repository without tag or digest (what ix-app calls ``repository``)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def effective_tag(self) -> str | None:
        """The tag Docker pulls: as written, else ``latest``; ``None`` for a bare digest."""
        if self.tag is not None:
            return self.tag
        return None if self.digest else "latest"

    @property
    def implicit_latest(self) -> bool:
        """True when neither tag nor digest was written, so ``latest`` is pulled silently."""
        return self.tag is None and self.digest is None

    @property
    def floating(self) -> bool:
        """True when the image can change under the same reference (``latest``, no digest)."""
        return self.digest is None and self.effective_tag == "latest"

    def __str__(self) -> str:
        out = self.name
        if self.tag is not None:
            out += f":{self.tag}"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out


@dataclass(frozen=True)
class PortMapping:
    """One published or exposed port in long syntax.

    Attributes:
        target: the container port.
        published: the host port or range as a string (compose keeps it a string), or ``None``
            when the engine picks one.
        host_ip: the host address to bind, or ``None`` for all addresses.
        protocol: ``tcp``, ``udp`` or ``sctp``.
        mode: ``ingress`` (default) or ``host``.
        name: optional human name of the port.
        app_protocol: optional application protocol hint (``http``, ``grpc`` …).
    """

    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"
    mode: str = "ingress"
    name: str | None = None
    app_protocol: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Compose long syntax; ``None`` fields are left out, as ``docker compose config`` does."""
        out: dict[str, Any] = {"target": self.target}
        for key in ("published", "host_ip", "protocol", "mode", "name", "app_protocol"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class VolumeMount:
    """One service volume in long syntax.

    Attributes:
        type: ``volume``, ``bind``, ``tmpfs``, ``npipe``, ``cluster`` or ``image``.
        target: the path inside the container.
        source: the volume name or host path; ``None`` for anonymous volumes and tmpfs.
        read_only: mounted read-only.
        bind: bind options (``propagation``, ``create_host_path``, ``selinux``) for binds.
        volume: volume options (``nocopy``, ``subpath``) for named and anonymous volumes.
        tmpfs: tmpfs options (``size``, ``mode``).
        consistency: the legacy macOS consistency flag, when given.
    """

    type: str
    target: str
    source: str | None = None
    read_only: bool = False
    bind: Mapping[str, Any] | None = None
    volume: Mapping[str, Any] | None = None
    tmpfs: Mapping[str, Any] | None = None
    consistency: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Compose long syntax; ``read_only`` always present, absent option groups left out."""
        out: dict[str, Any] = {"type": self.type}
        if self.source is not None:
            out["source"] = self.source
        out["target"] = self.target
        out["read_only"] = self.read_only
        for key in ("bind", "volume", "tmpfs"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value)
        if self.consistency is not None:
            out["consistency"] = self.consistency
        return out


@dataclass(frozen=True)
class UnknownKey:
    """A key the Compose Specification does not define (reported, never fatal).

    Attributes:
        path: the YAML path of the key itself, e.g. ``("services", "web", "imgae")``.
        key: the unknown key.
        suggestion: the closest known key, when one is close enough ("did you mean …").
    """

    path: YamlPath
    key: str
    suggestion: str | None = None

    @property
    def message(self) -> str:
        """One line for people: ``unknown key 'imgae' in services.web (did you mean 'image'?)``."""
        parent = format_path(self.path[:-1]) or "the top level"
        text = f"unknown key '{self.key}' in {parent}"
        return f"{text} (did you mean '{self.suggestion}'?)" if self.suggestion else text


@dataclass(frozen=True)
class Issue:
    """A problem found while interpolating or normalising, tied to one YAML path.

    Examples: ``ports: ["99999:80"]`` (invalid port), ``command: "cost $5"`` (invalid
    interpolation; ``$`` must be written ``$$``), a required ``env_file`` that does not exist.

    Attributes:
        path: the YAML path of the offending entry.
        message: what is wrong, naming the offending text.
        hint: how to fix it, when there is something useful to say.
    """

    path: YamlPath
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}"


@dataclass(frozen=True)
class Normalised:
    """The lenient outcome of normalisation: what could be normalised, plus what could not.

    Attributes:
        data: the document in long syntax; entries listed in ``issues`` are kept as written.
        issues: entries that are invalid (bad port, bad volume spec, wrong type …).
        written_paths: path of a normalised entry → path of the entry the user wrote, where
            they differ (a port range expands into one entry per port, shifting the rest).
    """

    data: dict[str, Any] = field(repr=False)  # may hold passwords
    issues: tuple[Issue, ...] = ()
    written_paths: Mapping[YamlPath, YamlPath] = field(default_factory=dict, repr=False)
