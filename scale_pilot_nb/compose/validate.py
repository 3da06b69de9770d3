"""Validation: run the whole first half of the engine, then every rule, into one report.

``validate`` never raises for a bad compose file: unreadable YAML, hostile input, missing
variables and wrong types all become findings, so ``AIHelper`` and the CLI can always show a
report. It raises only for wrong *arguments* (an unknown mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scale_pilot_nb.compose.extends import ExtendsIssue, resolve_extends
from scale_pilot_nb.compose.interpolate import env_file_path, interpolate
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.loader_checks import loader_problems
from scale_pilot_nb.compose.model import (
    InterpolationResult,
    Issue,
    LoadedCompose,
    Normalised,
    SourceMap,
    YamlPath,
)
from scale_pilot_nb.compose.normalise import normalise_lenient
from scale_pilot_nb.compose.paths import host_binds
from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport
from scale_pilot_nb.compose.rules_base import Mode, RuleContext, as_dict, as_list, make_finding
from scale_pilot_nb.compose.rules_mode import check as check_mode
from scale_pilot_nb.compose.rules_security import check as check_security
from scale_pilot_nb.compose.rules_structure import check as check_structure
from scale_pilot_nb.compose.rules_truenas import app_name_finding, variable_findings
from scale_pilot_nb.compose.rules_truenas import check as check_truenas
from scale_pilot_nb.compose.schema import SchemaProblem, non_string_keys, schema_problems
from scale_pilot_nb.compose.unicity import enforce_unicity
from scale_pilot_nb.compose.yaml11 import check as check_yaml11
from scale_pilot_nb.errors import ComposeError, ComposeLoadError

__all__ = [
    "ComposeSource",
    "Prepared",
    "check_normalised",
    "host_bind_sources",
    "local_env_files",
    "prepare",
    "validate",
]

ComposeSource = str | os.PathLike[str] | Mapping[str, Any]
"""A path to a compose file, YAML text, or an already-parsed mapping."""

_MODES = ("compose", "ix-app")
_RULES = (check_structure, check_truenas, check_security, check_mode, check_yaml11)


@dataclass
class Prepared:
    """A compose file taken through load → interpolate → normalise, with what each step found.

    Attributes:
        loaded: the document as written (before interpolation), with its source map.
        interpolation: variables resolved; unset and missing ones listed by name.
        normalised: long syntax; entries that could not be normalised are listed as issues.
        findings: findings of these first steps (variables, invalid entries, unknown keys).
        blocking_issues: entries that cannot be turned into a payload (conversion refuses them).
    """

    loaded: LoadedCompose
    interpolation: InterpolationResult
    normalised: Normalised
    findings: list[Finding] = field(default_factory=list)
    blocking_issues: list[Issue] = field(default_factory=list)

    @property
    def compose(self) -> dict[str, Any]:
        """The normalised compose dict."""
        return self.normalised.data


def prepare(
    source: ComposeSource,
    *,
    variables: Mapping[str, str] | None = None,
    use_environ: bool = False,
    base_dir: str | os.PathLike[str] | None = None,
) -> Prepared:
    """Load, interpolate and normalise ``source``; report problems as findings.

    The steps run in compose-go's order: interpolation, repeated entries folded, the
    compose-spec schema and compose-go's own checks, then normalisation.

    Raises:
        ComposeLoadError: the YAML is unreadable, unsafe or oversized (with file:line:column).
    """
    loaded = load(source, base_dir=base_dir)
    interpolation = interpolate(loaded, variables=variables, use_environ=use_environ)
    extended, extends_issues = resolve_extends(interpolation.data)
    merged = enforce_unicity(extended)  # as compose-go: before its schema check
    normalised = normalise_lenient(merged)
    source_map = loaded.source_map
    on_nas = [i for i in interpolation.issues if _absolute_env_file(i, normalised.data)]
    blocking = [
        *(i for i in interpolation.issues if i not in on_nas),
        *extends_issues,
        *normalised.issues,
    ]
    problems = [
        *non_string_keys(loaded),
        *schema_problems(merged),
        *loader_problems(merged),
    ]
    findings = [
        *variable_findings(
            source_map, interpolation.unset, interpolation.missing, interpolation.used
        ),
        *(
            make_finding(source_map, Severity.ERROR, p.rule, p.path, p.message, p.hint)
            for p in problems
        ),
        *_issue_findings(source_map, _not_under(blocking, problems), interpolation.issues),
        *(_nas_env_file_finding(source_map, issue) for issue in on_nas),
    ]
    return Prepared(loaded, interpolation, normalised, findings, blocking)


def _not_under(issues: list[Issue], problems: list[SchemaProblem]) -> list[Issue]:
    """``issues`` less those the schema already reported at, above or below (one finding each)."""
    reported = [p.path for p in problems]
    return [i for i in issues if not any(_related(i.path, r) for r in reported)]


def _related(a: YamlPath, b: YamlPath) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _issue_findings(
    source_map: SourceMap, issues: Iterable[Issue], interpolation_issues: tuple[Issue, ...]
) -> Iterator[Finding]:
    for issue in issues:
        yield make_finding(
            source_map,
            Severity.ERROR,
            "interpolate.invalid" if issue in interpolation_issues else _issue_rule(issue),
            issue.path,
            _safe_message(issue),
            issue.hint or "Fix this entry; the Compose Specification documents its syntax.",
        )


def _absolute_env_file(issue: Issue, compose: dict[str, Any]) -> bool:
    """True for an ``env_file`` problem (not found, unreadable) about an absolute path.

    An absolute ``env_file`` is how TrueNAS users keep secrets out of the compose text: the
    file lives on the NAS, so not finding it on this machine is expected, not an error.
    """
    path = issue.path
    if len(path) != 4 or path[0] != "services" or path[2] != "env_file":
        return False
    entries = as_list(as_dict(as_dict(compose.get("services")).get(str(path[1]))).get("env_file"))
    index = path[3]
    if not isinstance(index, int) or not 0 <= index < len(entries):
        return False
    entry = entries[index]
    written = as_dict(entry).get("path") if isinstance(entry, dict) else entry
    return isinstance(written, str) and written.startswith("/")


def _nas_env_file_finding(source_map: SourceMap, issue: Issue) -> Finding:
    return make_finding(
        source_map,
        Severity.WARNING,
        "truenas.env-file-on-nas",
        issue.path,
        f"{issue.message[0].upper()}{issue.message[1:]} here; it must exist on the NAS, and its "
        "variables are not checked.",
        "Keep it under /mnt/<pool>/ with permissions 600; compose reads it on the NAS at deploy.",
    )


def _safe_message(issue: Issue) -> str:
    """The issue's message, unless it may quote an environment value (a possible secret)."""
    if "environment" in issue.path[:-1] or any(str(p).startswith("x-") for p in issue.path):
        return "This value cannot be read (it is not shown: environment values may be secrets)."
    return issue.message


def _issue_rule(issue: Issue) -> str:
    """A stable rule id for an entry the normaliser could not read, by where it sits."""
    if isinstance(issue, ExtendsIssue):
        return issue.rule
    parts = [p for p in issue.path if isinstance(p, str)]
    if len(parts) >= 3 and parts[0] == "services":
        if parts[2] in ("ports", "expose"):
            return "structure.invalid-port"
        if parts[2] in ("volumes", "tmpfs"):
            return "structure.invalid-volume"
        if parts[2] == "healthcheck":
            return "structure.invalid-healthcheck"
    return "structure.invalid-value"


def local_env_files(prepared: Prepared) -> Iterator[str]:
    """``env_file`` paths, as written, whose contents interpolation read and merged locally."""
    read = {path.resolve() for path in prepared.interpolation.env_files}
    base = prepared.loaded.base_dir or Path.cwd()
    for service in as_dict(prepared.compose.get("services")).values():
        for entry in as_list(as_dict(service).get("env_file")):
            path = as_dict(entry).get("path") if isinstance(entry, dict) else entry
            if isinstance(path, str) and env_file_path(path, base).resolve() in read:
                yield path


def host_bind_sources(prepared: Prepared) -> list[str]:
    """The absolute host paths the services bind (what ix-app turns into host-path storage)."""
    services = as_dict(prepared.compose.get("services")).values()
    return sorted({source for s in services for _, _, source in host_binds(as_dict(s))})


def check_normalised(
    prepared: Prepared,
    *,
    name: str | None = None,
    mode: Mode = "compose",
    used_ports: Iterable[int] = (),
    split: bool = False,
    allow_docker_socket: bool = False,
    host_ips: Iterable[str] | None = None,
    missing_host_paths: Iterable[str] = (),
    ix_app_value_errors: Iterable[tuple[str, str, str]] = (),
) -> list[Finding]:
    """Every rule's findings on an already prepared compose file (first-step findings included)."""
    ctx = RuleContext(
        compose=prepared.compose,
        raw=prepared.loaded.data,
        app_name=name,
        mode=mode,
        split=split,
        used_ports=frozenset(int(p) for p in used_ports),
        allow_docker_socket=allow_docker_socket,
        source_map=prepared.loaded.source_map,
        local_env_files=frozenset(local_env_files(prepared)),
        written_paths=prepared.normalised.written_paths,
        yaml11=prepared.loaded.yaml11,
        host_ips=None if host_ips is None else frozenset(host_ips),
        missing_host_paths=frozenset(missing_host_paths),
        ix_app_value_errors=tuple(ix_app_value_errors),
    )
    findings = list(prepared.findings)
    for rule in _RULES:
        findings.extend(rule(ctx))
    return findings


def validate(
    source: ComposeSource,
    *,
    name: str | None = None,
    mode: Mode = "compose",
    used_ports: Iterable[int] | None = None,
    split: bool = False,
    variables: Mapping[str, str] | None = None,
    use_environ: bool = False,
    allow_docker_socket: bool = False,
    host_ips: Iterable[str] | None = None,
    missing_host_paths: Iterable[str] = (),
    ix_app_value_errors: Iterable[tuple[str, str, str]] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> ValidationReport:
    """Check a compose file for everything that would fail or surprise on TrueNAS.

    Never raises for a bad file: load errors, missing variables and invalid entries become
    error findings. Findings never contain variable or secret values.

    Args:
        source: a path, YAML text, or a mapping.
        name: the app name to check against TrueNAS naming rules (skipped when None).
        mode: ``"compose"`` (custom app, any number of services) or ``"ix-app"``.
        used_ports: host ports already taken on the NAS (e.g. from ``pilot.ports()``).
        split: the file will be deployed as one app per service.
        variables: values for ``${VAR}``; TrueNAS has no ``.env``, so they are baked in.
        use_environ: also read variables from this process's environment.
        allow_docker_socket: a docker.sock mount is a warning instead of an error.
        host_ips: the addresses the NAS lets an ix-app bind to (``app.ip_choices``); a port
            bound elsewhere is an error in ix-app mode. ``None`` skips the check.
        missing_host_paths: bind sources that do not exist on the NAS (an error in ix-app
            mode, which refuses them).
        ix_app_value_errors: ``(service, values path, message)`` for each converted ix-app
            value the NAS's catalog questions refuse (``compose.questions.check_values``).
        base_dir: where ``.env`` and ``env_file:`` are looked up for strings and mappings.

    Returns:
        The report; ``report.valid`` is False when any error was found.

    Raises:
        ValueError: ``mode`` is not ``"compose"`` or ``"ix-app"``.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    report = ValidationReport(app_name=name, mode=mode)
    try:
        prepared = prepare(source, variables=variables, use_environ=use_environ, base_dir=base_dir)
    except ComposeLoadError as exc:
        name_finding = app_name_finding(name) if name is not None else None
        report.source = _file_name(exc.file)
        report.extend([_load_finding(exc), *([name_finding] if name_finding else [])])
        return report
    except ComposeError as exc:
        report.extend([Finding(Severity.ERROR, "load.error", "", exc.message, exc.hint or "")])
        return report
    report.source = _file_name(prepared.loaded.file)
    report.extend(
        check_normalised(
            prepared,
            name=name,
            mode=mode,
            used_ports=used_ports or (),
            split=split,
            allow_docker_socket=allow_docker_socket,
            host_ips=host_ips,
            missing_host_paths=missing_host_paths,
            ix_app_value_errors=ix_app_value_errors,
        )
    )
    return report


def _file_name(file: str | None) -> str | None:
    """The file a report names in its title: None for text or a dict, which the loader calls
    ``<string>`` / ``<dict>`` in its messages; the title then names the app instead."""
    if file is None or (file.startswith("<") and file.endswith(">")):
        return None
    return file


def _load_finding(exc: ComposeLoadError) -> Finding:
    where = ":".join(str(p) for p in (exc.file, exc.line, exc.column) if p is not None)
    message = exc.message.removeprefix(f"{where}: ")
    return Finding(
        Severity.ERROR,
        "load.error",
        "",
        message[0].upper() + message[1:] if message else message,
        exc.hint or "Fix the YAML at the position shown.",
        exc.line,
        exc.column,
    )
