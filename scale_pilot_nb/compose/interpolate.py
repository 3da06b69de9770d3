"""Interpolate a loaded compose document and resolve each service's environment.

Variables, lowest precedence first: the ``.env`` file beside the compose file, the process
environment (only with ``use_environ=True``: a notebook's environment is rarely the NAS's),
then the explicit ``variables`` mapping. Every string value is interpolated (keys never are,
as in compose-go); the input is never modified.

Then, like ``docker compose config``, each service's environment is resolved: ``env_file:``
contents (themselves interpolated) are merged under ``environment``, which wins, and a bare
``KEY`` takes the variable's value. TrueNAS has neither ``.env`` nor the caller's files, so
this is what makes the payload mean on the NAS what it meant here. Whatever stays unresolved
is reported by name and path — never by value.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream

from scale_pilot_nb.compose.environment import env_file_entries, environment_mapping
from scale_pilot_nb.compose.model import (
    InterpolationResult,
    Issue,
    LoadedCompose,
    MissingVariable,
    UnsetVariable,
    YamlPath,
)
from scale_pilot_nb.compose.template import (
    MAX_LENGTH,
    ExpansionLimitError,
    TemplateError,
    substitute,
)

__all__ = ["MAX_ENV_FILE_BYTES", "MAX_INTERPOLATED_CHARS", "env_file_path", "interpolate"]

MAX_ENV_FILE_BYTES = 1024 * 1024
"""Largest ``.env`` / ``env_file`` read; anything bigger is reported, not parsed."""
MAX_INTERPOLATED_CHARS = 16 * 1024 * 1024
"""Most characters variable values may add to one document (aliases repeat a string)."""

_ESCAPE_HINT = "Write a literal '$' as '$$'."
_SIZE_HINT = "Variables may add at most 1 MiB to a value and 16 MiB to a document."


class _Collector:
    """Gathers what interpolation reports, keyed by variable name, in order of first use."""

    def __init__(self) -> None:
        self.unset: dict[str, list[YamlPath]] = {}
        self.missing: dict[str, tuple[str, list[YamlPath]]] = {}
        self.issues: list[Issue] = []
        self.room = MAX_INTERPOLATED_CHARS

    def note_unset(self, name: str, path: YamlPath) -> None:
        self.unset.setdefault(name, []).append(path)

    def result(self, data: dict[str, Any], files: list[Path]) -> InterpolationResult:
        return InterpolationResult(
            data=data,
            unset=tuple(
                UnsetVariable(name, tuple(paths)) for name, paths in sorted(self.unset.items())
            ),
            missing=tuple(
                MissingVariable(name, message, tuple(paths))
                for name, (message, paths) in sorted(self.missing.items())
            ),
            issues=tuple(self.issues),
            env_files=tuple(files),
        )


def interpolate(
    loaded: LoadedCompose | Mapping[str, Any],
    *,
    variables: Mapping[str, str] | None = None,
    use_environ: bool = False,
    env_files: bool = True,
) -> InterpolationResult:
    """Resolve ``$`` expressions and service environments.

    Args:
        loaded: the output of :func:`~scale_pilot_nb.compose.load`, or a plain mapping (then
            there is no base directory, so no ``.env`` and no relative ``env_file``).
        variables: explicit values; they win over everything else.
        use_environ: also take values from ``os.environ`` (below ``variables``).
        env_files: read the ``.env`` beside the file and each service's ``env_file:``.

    Returns:
        Fresh data plus unset and missing variables and invalid expressions. Never raises for
        a problem in the document: every one is reported in the result.
    """
    if not isinstance(loaded, LoadedCompose):
        loaded = LoadedCompose(data=dict(loaded), file="<dict>")
    collector = _Collector()
    files: list[Path] = []
    project: dict[str, str] = {}
    if env_files and loaded.base_dir is not None:
        dotenv = loaded.base_dir / ".env"
        project.update(_read_env_file(dotenv, (".env",), {}, collector, files))
    if use_environ:
        project.update(os.environ)
    project.update(variables or {})

    data = _walk(loaded.data, (), project, collector)
    services = data.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if isinstance(service, dict):
                base = loaded.base_dir if env_files else None
                _resolve_environment(
                    service, ("services", name), project, base, env_files, collector, files
                )
    return collector.result(data, files)


def _walk(node: Any, path: YamlPath, project: Mapping[str, str], collector: _Collector) -> Any:
    if isinstance(node, str):
        return _interpolate_string(node, path, project, collector)
    if isinstance(node, dict):
        return {key: _walk(value, (*path, key), project, collector) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item, (*path, index), project, collector) for index, item in enumerate(node)]
    return node


def _interpolate_string(
    text: str, path: YamlPath, project: Mapping[str, str], collector: _Collector
) -> str:
    if "$" not in text:
        return text
    try:
        outcome = substitute(text, project.get, max_length=min(MAX_LENGTH, collector.room))
    except ExpansionLimitError as exc:
        collector.issues.append(Issue(path, str(exc), _SIZE_HINT))
        return text
    except TemplateError as exc:
        collector.issues.append(Issue(path, f"invalid interpolation: {exc}", _ESCAPE_HINT))
        return text
    collector.room -= len(outcome.value)
    for name in outcome.unset:
        collector.note_unset(name, path)
    for name, message in outcome.missing:
        collector.missing.setdefault(name, (message, []))[1].append(path)
    return outcome.value


def _resolve_environment(
    service: dict[str, Any],
    path: YamlPath,
    project: Mapping[str, str],
    base_dir: Path | None,
    read_files: bool,
    collector: _Collector,
    files: list[Path],
) -> None:
    """Merge ``env_file`` contents under ``environment`` and fill bare keys, in place."""
    declared = environment_mapping(service.get("environment", {}))
    if declared is None:  # a wrong type: left for validation to report
        return
    merged: dict[str, str | None] = {}
    if read_files and "env_file" in service:
        entries = env_file_entries(service["env_file"])
        listed = isinstance(service["env_file"], list)
        for index, entry in enumerate(entries or []):
            entry_path = (*path, "env_file", index) if listed else (*path, "env_file")
            located = _locate(entry["path"], base_dir, entry["required"], entry_path, collector)
            if located is not None:
                merged.update(_read_env_file(located, entry_path, project, collector, files))
    env_path = (*path, "environment")
    original = service.get("environment")
    for position, (key, value) in enumerate(declared.items()):
        if value is None:
            value = merged[key] if key in merged else project.get(key)
            if value is None:
                where = position if isinstance(original, list) else key
                collector.note_unset(key, (*env_path, where))
        merged[key] = value
    if merged or "environment" in service:
        service["environment"] = merged


def env_file_path(name: str, base_dir: Path | None) -> Path:
    """Where ``env_file: name`` points on this machine: ``~/`` is the home directory (as in
    compose; ``~user`` is not expanded), other relative paths are below ``base_dir``."""
    candidate = Path(name)
    if name == "~" or name.startswith("~/"):
        with contextlib.suppress(RuntimeError):  # no home directory to expand to
            candidate = candidate.expanduser()
    if candidate.is_absolute() or base_dir is None:
        return candidate
    return base_dir / candidate


def _locate(
    name: str, base_dir: Path | None, required: bool, path: YamlPath, collector: _Collector
) -> Path | None:
    candidate = env_file_path(name, base_dir)
    if not candidate.is_absolute() and base_dir is None:
        if required:
            collector.issues.append(
                Issue(
                    path,
                    f"env_file '{name}' is relative but the document has no directory",
                    "Load the compose file from its path, or pass load(..., base_dir=...).",
                )
            )
        return None
    if candidate.is_file():
        return candidate
    if required:
        collector.issues.append(
            Issue(
                path,
                f"env_file '{name}' not found",
                "Create it, or mark it `required: false`.",
            )
        )
    return None


def _read_env_file(
    file: Path,
    path: YamlPath,
    project: Mapping[str, str],
    collector: _Collector,
    files: list[Path],
) -> dict[str, str]:
    """Read a dotenv file with python-dotenv's parser, then interpolate as compose does.

    Values may use earlier keys and the project variables; single-quoted values are literal.
    Lines that are not ``KEY=VALUE`` are reported by line number (never by content). A
    file that does not exist yields nothing: ``.env`` is optional, and a required
    ``env_file`` was already reported by :func:`_locate`.
    """
    if not file.is_file():
        return {}
    try:
        if file.stat().st_size > MAX_ENV_FILE_BYTES:
            collector.issues.append(
                Issue(path, f"'{file.name}' is larger than {MAX_ENV_FILE_BYTES} bytes; not read")
            )
            return {}
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        collector.issues.append(Issue(path, f"cannot read '{file.name}': {exc.strerror}"))
        return {}
    except UnicodeDecodeError:
        collector.issues.append(Issue(path, f"'{file.name}' is not valid UTF-8"))
        return {}
    files.append(file)
    values: dict[str, str] = {}
    lookup = ChainMap(values, dict(project))  # later keys may use earlier ones
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            collector.issues.append(
                Issue(
                    path,
                    f"line {binding.original.line} of '{file.name}' is not KEY=VALUE; ignored",
                )
            )
        elif binding.key is not None and binding.value is not None:
            if _single_quoted(binding.original.string):
                values[binding.key] = binding.value
            else:
                entry = (*path, binding.key)
                values[binding.key] = _interpolate_string(binding.value, entry, lookup, collector)
    return values


def _single_quoted(line: str) -> bool:
    return line.partition("=")[2].lstrip().startswith("'")
