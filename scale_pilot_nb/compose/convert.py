"""Compose file → ``app.create`` payloads: a custom compose app, ix-app values, or split apps.

* **compose mode** (default): ``{"custom_app": True, "app_name", "custom_compose_config_string"}``.
  Variables are resolved here, because TrueNAS keeps no ``.env`` beside the stored file; every
  remaining literal ``$`` is escaped as ``$$`` so the NAS does not interpolate it a second time.
* **ix-app mode**: ``{"app_name", "catalog_app": "ix-app", "train", "version", "values"}`` for the
  single-container "Custom App" wizard (see :mod:`scale_pilot_nb.compose.ixapp`).
* **split**: one app per service named ``<app>-<service>``, in ``depends_on`` order.

Conversion raises :class:`~scale_pilot_nb.errors.ComposeError` only for what it cannot turn into
a payload; everything it changes or drops on the way is returned as findings.
"""

from __future__ import annotations

import copy
import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scale_pilot_nb.compose.depgraph import dependency_graph, start_order
from scale_pilot_nb.compose.ixapp import service_values
from scale_pilot_nb.compose.model import YamlPath, format_path
from scale_pilot_nb.compose.paths import home_on_nas, is_home_path, is_relative
from scale_pilot_nb.compose.render import render
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import Mode, RuleContext, as_dict, as_list, make_finding
from scale_pilot_nb.compose.rules_mode import check as check_mode
from scale_pilot_nb.compose.rules_truenas import app_name_problem
from scale_pilot_nb.compose.validate import ComposeSource, Prepared, local_env_files, prepare
from scale_pilot_nb.errors import ComposeError

__all__ = ["AppPayload", "Conversion", "RelativePaths", "VolumeStrategy", "convert"]

VolumeStrategy = Literal["keep", "datasets"]
RelativePaths = Literal["reject", "resolve"]

IX_APP_TRAIN = "stable"
IX_APP_VERSION = "latest"
_MAX_LISTED = 5


@dataclass(frozen=True)
class AppPayload:
    """One ``app.create`` payload and what it needs.

    Attributes:
        app_name: the TrueNAS app name.
        mode: ``"compose"`` or ``"ix-app"``.
        payload: the exact argument of ``app.create`` (may contain secret values: never log it).
        services: the compose services this app runs.
        datasets: ZFS datasets to create before deploying (parents first), for
            ``volumes="datasets"``.
    """

    app_name: str
    mode: Mode
    payload: dict[str, Any] = field(repr=False)
    services: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-data summary; the payload itself is left out (it may hold secret values)."""
        return {
            "app_name": self.app_name,
            "mode": self.mode,
            "services": list(self.services),
            "datasets": list(self.datasets),
        }


@dataclass
class Conversion:
    """The payloads of one conversion, in the order they should be deployed.

    Attributes:
        apps: one app, or one per service when split (dependencies first).
        findings: what conversion changed or dropped (warnings and infos).
    """

    apps: list[AppPayload]
    findings: list[Finding] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any]:
        """The single ``app.create`` payload.

        Raises:
            ComposeError: the conversion was split into several apps (use ``apps``).
        """
        if len(self.apps) != 1:
            raise ComposeError(
                f"this conversion produced {len(self.apps)} apps, not one",
                hint="Iterate over conversion.apps to deploy each of them in order.",
            )
        return self.apps[0].payload

    @property
    def datasets(self) -> list[str]:
        """Every dataset to create before deploying, parents first, without repeats."""
        return list(dict.fromkeys(d for app in self.apps for d in app.datasets))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data summary for JSON output and AIHelper (no payloads, so no secrets)."""
        return {
            "apps": [app.to_dict() for app in self.apps],
            "datasets": self.datasets,
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def __repr__(self) -> str:
        names = ", ".join(app.app_name for app in self.apps)
        return (
            f"<Conversion apps=[{names}] datasets={len(self.datasets)} "
            f"findings={len(self.findings)}>"
        )


def convert(
    source: ComposeSource,
    name: str,
    *,
    mode: Mode = "compose",
    split: bool = False,
    variables: Mapping[str, str] | None = None,
    use_environ: bool = False,
    volumes: VolumeStrategy = "keep",
    dataset_parent: str | None = None,
    relative_paths: RelativePaths = "reject",
    nas_base_dir: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> Conversion:
    """Turn a compose file into the ``app.create`` payload(s) for TrueNAS.

    Args:
        source: a path, YAML text, or a mapping.
        name: the app name (``<name>-<service>`` for each app when split).
        mode: ``"compose"`` (custom app) or ``"ix-app"`` (single container catalog app).
        split: one app per service, ordered by ``depends_on``.
        variables: values for ``${VAR}``; they are baked into the payload.
        use_environ: also take variables from this process's environment.
        volumes: ``"keep"`` named volumes, or ``"datasets"``: bind each to a ZFS dataset
            ``<dataset_parent>/<name>/<volume>`` (returned in ``datasets``, to create first);
            split apps use the same datasets, so a volume they share stays shared.
        dataset_parent: parent dataset for ``volumes="datasets"``, e.g. ``"tank/apps"``.
        relative_paths: ``"reject"`` relative host paths, or ``"resolve"`` them against
            ``nas_base_dir``.
        nas_base_dir: absolute directory on the NAS that relative paths mean.
        base_dir: local directory for ``.env`` and ``env_file:`` of a string or mapping.

    Returns:
        The payloads in deploy order, and findings about what changed on the way.

    Raises:
        ComposeError: invalid app name, unreadable file, missing required variables, entries
            that cannot be read, relative paths with ``relative_paths="reject"``, several
            services in ix-app mode without ``split``, an ix-app service without ``image``,
            or a ``depends_on`` cycle when split.
        ValueError: an option has a value outside its documented choices.
    """
    if mode not in ("compose", "ix-app"):
        raise ValueError(f"mode must be 'compose' or 'ix-app', not {mode!r}")
    if volumes not in ("keep", "datasets") or relative_paths not in ("reject", "resolve"):
        raise ValueError("volumes must be 'keep'/'datasets'; relative_paths 'reject'/'resolve'")
    _check_name(name)
    prepared = prepare(source, variables=variables, use_environ=use_environ, base_dir=base_dir)
    _refuse_unconvertible(prepared)
    compose = copy.deepcopy(prepared.compose)
    findings = list(_inline_env_files(compose, prepared))
    _fix_relative_paths(compose, relative_paths, nas_base_dir)
    services = list(as_dict(compose.get("services")))
    if mode == "ix-app" and len(services) > 1 and not split:
        raise ComposeError(
            f"ix-app runs one container, but the file has {len(services)} services",
            hint="Use mode='compose' (one multi-service custom app) or split=True.",
        )
    ctx = RuleContext(
        compose=compose,
        raw=prepared.loaded.data,
        mode=mode,
        split=split,
        source_map=prepared.loaded.source_map,
        written_paths=prepared.normalised.written_paths,
    )
    findings.extend(check_mode(ctx))
    pieces = _split(compose, name) if split and len(services) > 1 else [(name, compose)]
    apps = []
    for app_name, piece in pieces:
        datasets: list[str] = []
        if volumes == "datasets":  # named after the whole stack, so split apps share them
            piece, datasets = _volumes_to_datasets(piece, name, dataset_parent)
        payload = _payload(piece, app_name, mode, prepared, findings)
        apps.append(
            AppPayload(app_name, mode, payload, tuple(as_dict(piece["services"])), tuple(datasets))
        )
    return Conversion(apps, findings)


def _check_name(name: str) -> None:
    problem = app_name_problem(name)
    if problem:
        raise ComposeError(
            problem[0].upper() + problem[1:],
            hint="Example of a valid name: my-app2 (pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$).",
        )


def _refuse_unconvertible(prepared: Prepared) -> None:
    missing = prepared.interpolation.missing
    if missing:
        raise ComposeError(
            "required variables are not set: " + ", ".join(m.name for m in missing),
            hint="Pass them with variables={...} or a .env beside the file.",
        )
    issues = prepared.blocking_issues
    if issues:
        listed = "; ".join(str(issue) for issue in issues[:_MAX_LISTED])
        raise ComposeError(
            f"{len(issues)} entr{'y' if len(issues) == 1 else 'ies'} cannot be read: {listed}",
            hint="Run validate() for the full list with line numbers.",
        )
    if not as_dict(prepared.compose.get("services")):
        raise ComposeError("the file defines no services", hint="Add a `services:` mapping.")


def _inline_env_files(compose: dict[str, Any], prepared: Prepared) -> list[Finding]:
    """Drop ``env_file`` entries whose contents were merged into ``environment`` locally."""
    inlined = set(local_env_files(prepared))
    findings = []
    for name, service in as_dict(compose.get("services")).items():
        kept = []
        for entry in as_list(service.get("env_file")):
            path = str(as_dict(entry).get("path") if isinstance(entry, dict) else entry)
            if path in inlined:
                continue
            kept.append(entry)
        if "env_file" in service and len(kept) != len(as_list(service.get("env_file"))):
            findings.append(
                make_finding(
                    prepared.loaded.source_map,
                    Severity.INFO,
                    "convert.env-file-inlined",
                    ("services", name, "env_file"),
                    f"The env_file contents of service {name!r} were merged into its "
                    "environment (the NAS cannot read local files).",
                    "Nothing to do; values in the payload are now visible in app.config.",
                )
            )
            if kept:
                service["env_file"] = kept
            else:
                del service["env_file"]
    return findings


def _fix_relative_paths(
    compose: dict[str, Any], policy: RelativePaths, nas_base_dir: str | None
) -> None:
    found = list(_host_paths(compose))
    home = [(path, str(holder[key])) for path, holder, key in found if is_home_path(holder[key])]
    if home:
        first = home[0][1]
        listed = ", ".join(format_path(path) for path, _ in home[:_MAX_LISTED])
        raise ComposeError(
            f"'~' in a host path is the home of root on the NAS ({first} would be "
            f"{home_on_nas(first)}): Compose expands '~' where it runs, and on TrueNAS the apps "
            f"middleware runs it as root, not as you: {listed}",
            hint="Write the absolute path under /mnt/<pool>/ that you mean.",
        )
    found = [(path, holder, key) for path, holder, key in found if is_relative(holder[key])]
    if not found:
        return
    if policy == "reject" or not nas_base_dir or not nas_base_dir.startswith("/"):
        listed = ", ".join(format_path(path) for path, _, _ in found[:_MAX_LISTED])
        raise ComposeError(
            f"relative host paths would resolve inside /mnt/.ix-apps on the NAS: {listed}",
            hint="Use absolute paths under /mnt/<pool>/, or relative_paths='resolve' with "
            "nas_base_dir='/mnt/<pool>/<dir>' saying where they are on the NAS.",
        )
    for _path, holder, key in found:
        holder[key] = posixpath.normpath(posixpath.join(nas_base_dir, str(holder[key])))


def _host_paths(compose: dict[str, Any]) -> Iterator[tuple[YamlPath, dict[str, Any], str]]:
    """Every host path the file names: (where it is, the mapping that holds it, its key)."""
    for name, service in as_dict(compose.get("services")).items():
        for index, volume in enumerate(as_list(service.get("volumes"))):
            source = as_dict(volume).get("source")
            if volume.get("type") == "bind" and isinstance(source, str):
                yield ("services", name, "volumes", index), volume, "source"
        for index, entry in enumerate(as_list(service.get("env_file"))):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield ("services", name, "env_file", index), entry, "path"
        build = as_dict(service.get("build"))
        context = build.get("context")
        if isinstance(context, str) and "://" not in context:
            yield ("services", name, "build"), build, "context"
    for kind in ("secrets", "configs"):
        for key, item in as_dict(compose.get(kind)).items():
            if isinstance(as_dict(item).get("file"), str):
                yield (kind, key), item, "file"


def _split(compose: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        order = start_order(dependency_graph(compose))
    except ValueError as exc:
        raise ComposeError(
            f"depends_on forms a cycle ({exc}); cannot order the split apps",
            hint="Remove one dependency of the cycle.",
        ) from None
    pieces = []
    for service in order:
        app_name = f"{name}-{service}"
        _check_name(app_name)
        pieces.append((app_name, _only_service(compose, service)))
    return pieces


def _only_service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    """A compose with one service and only the top-level objects it uses."""
    service = copy.deepcopy(compose["services"][name])
    service.pop("depends_on", None)
    service.pop("links", None)
    used: dict[str, set[Any]] = {
        "networks": set(as_dict(service.get("networks"))),
        "volumes": {
            v.get("source")
            for v in map(as_dict, as_list(service.get("volumes")))
            if v.get("type") == "volume"
        },
        "secrets": {as_dict(s).get("source") for s in as_list(service.get("secrets"))},
        "configs": {as_dict(c).get("source") for c in as_list(service.get("configs"))},
    }
    out: dict[str, Any] = {k: copy.deepcopy(v) for k, v in compose.items() if k.startswith("x-")}
    out["services"] = {name: service}
    for kind, names in used.items():
        subset = {k: copy.deepcopy(v) for k, v in as_dict(compose.get(kind)).items() if k in names}
        if subset:
            out[kind] = subset
    return out


def _volumes_to_datasets(
    compose: dict[str, Any], app_name: str, parent: str | None
) -> tuple[dict[str, Any], list[str]]:
    """Bind each local named volume to the dataset ``<parent>/<app>/<volume>``."""
    parent = _dataset_parent(parent)
    compose = copy.deepcopy(compose)
    top = as_dict(compose.get("volumes"))
    mapped = {
        key: f"{parent}/{app_name}/{key}"
        for key, spec in top.items()
        if not as_dict(spec).get("external")
        and as_dict(spec).get("driver") in (None, "local")
        and not as_dict(spec).get("driver_opts")
    }
    for service in as_dict(compose.get("services")).values():
        mounts = as_list(service.get("volumes"))
        for index, volume in enumerate(mounts):
            volume = as_dict(volume)
            if volume.get("type") != "volume" or volume.get("source") not in mapped:
                continue
            source = "/mnt/" + mapped[volume["source"]]
            subpath = as_dict(volume.get("volume")).get("subpath")
            bind: dict[str, Any] = {"type": "bind", "source": source, "target": volume["target"]}
            if subpath:
                bind["source"] = posixpath.join(source, str(subpath))
            if volume.get("read_only"):
                bind["read_only"] = True
            mounts[index] = bind
    for key in mapped:
        del top[key]
    if "volumes" in compose and not top:
        del compose["volumes"]
    datasets = [f"{parent}/{app_name}", *mapped.values()] if mapped else []
    return compose, datasets


def _dataset_parent(parent: str | None) -> str:
    cleaned = (parent or "").removeprefix("/mnt/").strip("/")
    parts = cleaned.split("/")
    if not cleaned or any(p in ("", ".", "..") for p in parts) or parts[0].startswith("."):
        raise ComposeError(
            f"volumes='datasets' needs a parent dataset, got {parent!r}",
            hint="Pass dataset_parent='<pool>/apps' (the datasets become "
            "<pool>/apps/<app>/<volume>).",
        )
    return cleaned


def _payload(
    compose: dict[str, Any],
    app_name: str,
    mode: Mode,
    prepared: Prepared,
    findings: list[Finding],
) -> dict[str, Any]:
    if mode == "compose":
        return {
            "custom_app": True,
            "app_name": app_name,
            "custom_compose_config_string": render(compose, escape_dollars=True),
        }
    (service_name, service), *_ = as_dict(compose["services"]).items()
    if not service.get("image"):
        raise ComposeError(
            f"ix-app pulls an image, but service {service_name!r} has none",
            hint="Build and push the image, then set `image:`; or deploy in compose mode, "
            "where TrueNAS can build.",
        )

    def note(
        path: YamlPath,
        message: str,
        *,
        rule: str = "convert.ix-app-adjusted",
        hint: str = "Deploy in compose mode to keep the exact setting.",
    ) -> None:
        findings.append(
            make_finding(
                prepared.loaded.source_map,
                Severity.WARNING,
                rule,
                path,
                message[0].upper() + message[1:] + ".",
                hint,
            )
        )

    return {
        "app_name": app_name,
        "catalog_app": "ix-app",
        "train": IX_APP_TRAIN,
        "version": IX_APP_VERSION,
        "values": service_values(compose, service_name, service, note),
    }
