"""What every validation rule sees: the normalised compose plus the checking options.

Rules are plain functions ``check(ctx) -> Iterator[Finding]`` in the ``rules_*`` modules. They read
the *normalised* compose (``docker compose config`` long syntax), so each rule handles one shape
only. :class:`RuleContext` also carries the pre-interpolation document for the few rules that must
know what the user literally wrote (a ``${VAR}`` reference is not a secret in plain text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scale_pilot_nb.compose.model import SourceMap, Yaml11Scalar, YamlPath, format_path
from scale_pilot_nb.compose.report import Finding, Severity

__all__ = ["Mode", "RuleContext", "as_dict", "as_list", "make_finding", "published_ports"]

Mode = Literal["compose", "ix-app"]


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty dict (rules never crash on odd shapes)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


@dataclass
class RuleContext:
    """The inputs of one validation run.

    Attributes:
        compose: the normalised compose dict (long syntax, implicit ``default`` network).
        raw: the loaded document before interpolation (what the user literally wrote).
        app_name: the TrueNAS app name to check, if any.
        mode: ``"compose"`` or ``"ix-app"``.
        split: whether a multi-service file will be split into one app per service.
        used_ports: host ports already taken on the NAS (from ``app.used_ports`` / inventory).
        allow_docker_socket: downgrade a docker socket mount from error to warning.
        source_map: document path → (line, column), used to locate findings.
        local_env_files: ``env_file`` paths (as written) that were read here and merged into
            ``environment``; conversion inlines them, so they need not exist on the NAS.
        written_paths: normalised path → path as written, for entries normalisation moved
            (``Normalised.written_paths``); findings are reported at the written path.
        yaml11: plain scalars that TrueNAS's YAML 1.1 reader takes differently
            (``LoadedCompose.yaml11``).
        host_ips: the addresses an ix-app may bind ports to (the NAS's ``app.ip_choices``);
            ``None`` when not known (offline validation).
        missing_host_paths: bind sources the NAS said do not exist (``filesystem.stat``);
            empty offline.
        ix_app_value_errors: ``(service, values path, message)``: converted ix-app values
            the NAS's catalog questions refuse; empty offline.
    """

    compose: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)
    app_name: str | None = None
    mode: Mode = "compose"
    split: bool = False
    used_ports: frozenset[int] = frozenset()
    allow_docker_socket: bool = False
    source_map: SourceMap = field(default_factory=dict)
    local_env_files: frozenset[str] = frozenset()
    written_paths: Mapping[YamlPath, YamlPath] = field(default_factory=dict)
    yaml11: tuple[Yaml11Scalar, ...] = ()
    host_ips: frozenset[str] | None = None
    missing_host_paths: frozenset[str] = frozenset()
    ix_app_value_errors: tuple[tuple[str, str, str], ...] = ()

    def services(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each service name with its (normalised) definition."""
        for name, service in as_dict(self.compose.get("services")).items():
            if isinstance(service, dict):  # anything else was reported by the normaliser
                yield str(name), service

    def raw_service(self, name: str) -> dict[str, Any]:
        """The service as written, before interpolation and normalisation."""
        return as_dict(as_dict(self.raw.get("services")).get(name))

    def finding(
        self, severity: Severity, rule: str, path: YamlPath, message: str, hint: str = ""
    ) -> Finding:
        """A finding at the written ``path``, located through the source map."""
        return make_finding(self.source_map, severity, rule, self.written(path), message, hint)

    def written(self, path: YamlPath) -> YamlPath:
        """``path`` of the normalised document as the user wrote it (port ranges expand)."""
        for end in range(len(path), 0, -1):
            written = self.written_paths.get(tuple(path[:end]))
            if written is not None:
                return (*written, *path[end:])
        return path


def make_finding(
    source_map: SourceMap,
    severity: Severity,
    rule: str,
    path: YamlPath,
    message: str,
    hint: str = "",
) -> Finding:
    """A finding at ``path``, with the line and column of its nearest ancestor in the source."""
    for end in range(len(path), -1, -1):
        position = source_map.get(tuple(path[:end]))
        if position is not None:
            return Finding(severity, rule, format_path(path), message, hint, *position)
    return Finding(severity, rule, format_path(path), message, hint)


def published_ports(published: Any) -> list[int] | None:
    """Host ports of a normalised ``published`` value (``"8080"``, ``"8000-8010"``, 8080).

    Returns ``[]`` when nothing is published, ``None`` when the value is not a port or range.
    """
    if published is None or published == "":
        return []
    if isinstance(published, bool):
        return None
    if isinstance(published, int):
        return [published] if 0 <= published <= 65535 else None
    text = str(published).strip()
    low, sep, high = text.partition("-")
    if not low.isdigit() or (sep and not high.isdigit()):
        return None
    first, last = int(low), int(high) if sep else int(low)
    if not (0 <= first <= last <= 65535):
        return None
    return list(range(first, last + 1))
