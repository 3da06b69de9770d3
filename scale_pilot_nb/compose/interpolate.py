"""Interpolate a loaded compose document and resolve each service's environment.

Variables, as ``docker compose`` takes them: the explicit ``variables`` mapping wins, then the
process environment (only with ``use_environ=True``: a notebook's environment is rarely the
NAS's), then the ``.env`` file beside the compose file. ``.env`` values are interpolated
themselves, looking first at those two and then at the keys above them in the file. Every
string value of the document is interpolated with :mod:`~scale_pilot_nb.compose.template`
(keys never are, as in compose-go); the input is never modified.

Then, like ``docker compose config``, each service's environment is resolved: a bare ``KEY``
takes the variable's value (or stays unset: an ``env_file:`` value does not fill it), and
``env_file:`` contents are merged under ``environment``, which wins. ``env_file:`` values are
interpolated looking at the variables, then the service's ``environment``, then the keys read
before them; ``env_file:`` never feeds interpolation of the document. TrueNAS has neither
``.env`` nor the caller's files, so this is what makes the payload mean on the NAS what it
meant here. Whatever stays unresolved is reported by name and path, and every variable whose
value went into the result by name and source (its value is baked into the stored file) —
never by value.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    UsedVariable,
    VariableSource,
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


@dataclass
class _Variables:
    """The interpolation variables, where each came from, and what ``.env`` values carry.

    ``carries[KEY]`` lists the variables whose values the ``.env`` value of ``KEY`` holds
    (``KEY=${HOME}/data``): when ``KEY`` goes into the document, so do they.
    """

    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, VariableSource] = field(default_factory=dict)
    carries: dict[str, tuple[tuple[str, VariableSource], ...]] = field(default_factory=dict)

    def baked(self, names: list[str]) -> list[tuple[str, VariableSource]]:
        """``names`` (those that are variables) and what they carry, with their sources."""
        out: dict[str, VariableSource] = {}
        for name in names:
            if name in self.sources:
                out.setdefault(name, self.sources[name])
                for carried, source in self.carries.get(name, ()):
                    out.setdefault(carried, source)
        return list(out.items())


class _Collector:
    """Gathers what interpolation reports, keyed by variable name, in order of first use."""

    def __init__(self) -> None:
        self.unset: dict[str, list[YamlPath]] = {}
        self.missing: dict[str, tuple[str, list[YamlPath]]] = {}
        self.used: dict[str, tuple[VariableSource, list[YamlPath]]] = {}
        self.issues: list[Issue] = []
        self.room = MAX_INTERPOLATED_CHARS

    def note_unset(self, name: str, path: YamlPath) -> None:
        self.unset.setdefault(name, []).append(path)

    def note_used(self, baked: list[tuple[str, VariableSource]], path: YamlPath) -> None:
        for name, source in baked:
            paths = self.used.setdefault(name, (source, []))[1]
            if path not in paths:
                paths.append(path)

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
            used=tuple(
                UsedVariable(name, source, tuple(paths))
                for name, (source, paths) in sorted(self.used.items())
            ),
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
        use_environ: also take values from ``os.environ`` (below ``variables``, above ``.env``).
        env_files: read the ``.env`` beside the file and each service's ``env_file:``.

    Returns:
        Fresh data plus unset, missing and used variables and invalid expressions. Never raises
        for a problem in the document: every one is reported in the result.
    """
    if not isinstance(loaded, LoadedCompose):
        loaded = LoadedCompose(data=dict(loaded), file="<dict>")
    collector = _Collector()
    files: list[Path] = []
    project = _Variables()
    if use_environ:
        project.values.update(os.environ)
        project.sources.update(dict.fromkeys(os.environ, "environ"))
    project.values.update(variables or {})
    project.sources.update(dict.fromkeys(variables or {}, "variables"))
    if env_files and loaded.base_dir is not None:
        _read_dotenv(loaded.base_dir / ".env", project, collector, files)

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


def _walk(node: Any, path: YamlPath, project: _Variables, collector: _Collector) -> Any:
    if isinstance(node, str):
        value, used = _interpolate_string(node, path, project.values, collector)
        collector.note_used(project.baked(used), path)
        return value
    if isinstance(node, dict):
        return {key: _walk(value, (*path, key), project, collector) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item, (*path, index), project, collector) for index, item in enumerate(node)]
    return node


def _interpolate_string(
    text: str, path: YamlPath, lookup: Mapping[str, str], collector: _Collector
) -> tuple[str, list[str]]:
    """The interpolated text and the names whose values it holds; on error, ``text`` as is."""
    if "$" not in text:
        return text, []
    try:
        outcome = substitute(text, lookup.get, max_length=min(MAX_LENGTH, collector.room))
    except ExpansionLimitError as exc:
        collector.issues.append(Issue(path, str(exc), _SIZE_HINT))
        return text, []
    except TemplateError as exc:
        collector.issues.append(Issue(path, f"invalid interpolation: {exc}", _ESCAPE_HINT))
        return text, []
    collector.room -= len(outcome.value)
    for name in outcome.unset:
        collector.note_unset(name, path)
    for name, message in outcome.missing:
        collector.missing.setdefault(name, (message, []))[1].append(path)
    return outcome.value, outcome.used


def _read_dotenv(file: Path, project: _Variables, collector: _Collector, files: list[Path]) -> None:
    """Add the ``.env`` beside the compose file below the variables already in ``project``.

    As in compose-go, a value looks up the variables already known first, then the keys above
    it in the file; what each value holds is kept in ``project.carries``.
    """
    outer = dict(project.values)
    values: dict[str, str] = {}
    sources = project.sources
    carries: dict[str, tuple[tuple[str, VariableSource], ...]] = {}

    def note(key: str, used: list[str]) -> None:
        held: dict[str, VariableSource] = {}
        for name in used:
            if name in outer:
                held.setdefault(name, sources[name])
            else:  # a key above, in this file
                held.setdefault(name, ".env")
                for carried, source in carries.get(name, ()):
                    held.setdefault(carried, source)
        carries[key] = tuple(held.items())

    _read_env_file(file, (".env",), outer, values, collector, files, note)
    for key, value in values.items():
        if key not in project.values:
            project.values[key] = value
            project.sources[key] = ".env"
            project.carries[key] = carries[key]


def _resolve_environment(
    service: dict[str, Any],
    path: YamlPath,
    project: _Variables,
    base_dir: Path | None,
    read_files: bool,
    collector: _Collector,
    files: list[Path],
) -> None:
    """Merge ``env_file`` contents under ``environment`` and fill bare keys, in place."""
    declared = environment_mapping(service.get("environment", {}))
    if declared is None:  # a wrong type: left for validation to report
        return
    env_path = (*path, "environment")
    original = service.get("environment")
    resolved: dict[str, str | None] = {}
    for position, (key, value) in enumerate(declared.items()):
        where = (*env_path, position if isinstance(original, list) else key)
        if value is None:  # a bare KEY takes the variable, never an env_file value
            value = project.values.get(key)
            if value is None:
                collector.note_unset(key, where)
            else:
                collector.note_used(project.baked([key]), where)
        resolved[key] = value
    merged: dict[str, str | None] = {}
    if read_files and "env_file" in service:
        entries = env_file_entries(service["env_file"])
        listed = isinstance(service["env_file"], list)
        given = {key: value for key, value in resolved.items() if value is not None}
        outer = ChainMap(project.values, given)
        read: dict[str, str] = dict(given)  # compose-go reads the files into the environment
        for index, entry in enumerate(entries or []):
            entry_path = (*path, "env_file", index) if listed else (*path, "env_file")
            located = _locate(entry["path"], base_dir, entry["required"], entry_path, collector)
            if located is not None:

                def note(key: str, used: list[str], at: YamlPath = entry_path) -> None:
                    collector.note_used(project.baked(used), (*at, key))

                for key, value in _read_env_file(
                    located, entry_path, outer, read, collector, files, note
                ).items():
                    merged[key] = value
    merged.update(resolved)
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
    outer: Mapping[str, str],
    values: dict[str, str],
    collector: _Collector,
    files: list[Path],
    note: Callable[[str, list[str]], None],
) -> dict[str, str]:
    """Read a dotenv file with python-dotenv's parser, then interpolate as compose does.

    A value looks up ``outer`` first, then ``values`` (the keys read before it, which this
    call extends); single-quoted values are literal. ``note(key, names)`` hears which
    variables each value holds. Lines that are not ``KEY=VALUE`` are reported by line number
    (never by content). A file that does not exist yields nothing: ``.env`` is optional, and a
    required ``env_file`` was already reported by :func:`_locate`.

    Returns:
        The keys and values this file sets, in file order.
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
    lookup = ChainMap(dict(outer), values)
    own: dict[str, str] = {}
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
                value, used = binding.value, list[str]()
            else:
                entry = (*path, binding.key)
                value, used = _interpolate_string(binding.value, entry, lookup, collector)
            note(binding.key, used)
            values[binding.key] = own[binding.key] = value
    return own


def _single_quoted(line: str) -> bool:
    return line.partition("=")[2].lstrip().startswith("'")
