"""The compose engine: pure functions from compose text to TrueNAS payloads.

No network and no pandas here; only :func:`load` opens files (the compose file, and
:func:`interpolate` reads ``.env`` / ``env_file:`` files beside it). The steps, in compose-go's
order, each callable and testable on its own::

    load(source, *, max_bytes=1 MiB, max_aliases=1_000, max_depth=64,
         max_keys=100_000, max_nodes=100_000, base_dir=None)           -> LoadedCompose
    interpolate(loaded, *, variables=None, use_environ=False,
                env_files=True)                                         -> InterpolationResult
    normalise(data, *, environment=None)                                -> dict (raises on issues)
    normalise_lenient(data, *, environment=None)                        -> Normalised
    render(data, *, escape_dollars=False)                               -> str (YAML)
    parse_image(ref) -> ImageRef ; parse_ports(spec) -> list[PortMapping]
    parse_volume(spec) -> VolumeMount ; find_unknown_keys(data) -> list[UnknownKey]

Contract between this first half and ``validate`` / ``convert`` / ``plan`` / ``report``:

* ``load`` accepts a path (``str``/``PathLike`` naming an existing file), YAML text, or a dict.
  It raises :class:`~scale_pilot_nb.errors.ComposeLoadError` (``file``, ``line``, ``column``,
  ``key``) for anything unsafe or malformed, and never returns a non-mapping. YAML follows the
  1.2 core schema as compose-go does (``yes``/``no``/``on``/``off`` and ``22:22`` stay strings).
  Aliases share objects: treat ``LoadedCompose.data`` as read-only.
* ``interpolate`` never raises for problems in the document: it reports them (names and YAML
  paths, never values) in ``unset`` / ``missing`` / ``issues`` and returns fresh data. Like
  ``docker compose config`` it also resolves each service's ``environment`` into a mapping:
  bare ``KEY`` entries take the variable's value (``None`` and reported as unset when there is
  none) and, with ``env_files=True``, ``env_file:`` contents are merged under it
  (``environment`` wins). ``env_file`` itself is kept so validation can judge it;
  ``InterpolationResult.env_files`` lists the files actually read.
* ``normalise`` turns short syntax into long syntax with the defaults spelled out, never mutates
  its input, and is idempotent (``normalise(normalise(d)) == normalise(d)``); plan compares two
  normalised documents with ``==``. Invalid entries raise
  :class:`~scale_pilot_nb.errors.ComposeError` listing every :class:`Issue`;
  ``normalise_lenient`` keeps them as written and returns the issues instead. Unknown keys
  and wrong types are the compose-spec schema's to report (``compose.schema``; "did you
  mean" from the schema's own keys). ``parse_image`` / ``parse_ports`` /
  ``parse_volume`` raise ``ComposeError`` for one bad value.
* ``render`` writes YAML that reads back to equal data (``load(render(d)).data == d``).
* YAML paths are tuples (``("services", "web", "ports", 0)``); :func:`format_path` renders them
  as ``services.web.ports[0]``. ``LoadedCompose.position(path)`` gives ``(line, column)``.
"""

from __future__ import annotations

from scale_pilot_nb.compose.convert import AppPayload, Conversion, convert
from scale_pilot_nb.compose.image import parse_image
from scale_pilot_nb.compose.interpolate import interpolate
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import (
    ImageRef,
    InterpolationResult,
    Issue,
    LoadedCompose,
    MissingVariable,
    Normalised,
    PortMapping,
    Position,
    SourceMap,
    UnknownKey,
    UnsetVariable,
    VolumeMount,
    YamlPath,
    format_path,
)
from scale_pilot_nb.compose.normalise import normalise, normalise_lenient
from scale_pilot_nb.compose.plan import DeployPlan, Plan, plan
from scale_pilot_nb.compose.ports import parse_ports
from scale_pilot_nb.compose.render import render
from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.schema import find_unknown_keys
from scale_pilot_nb.compose.validate import ComposeSource, validate
from scale_pilot_nb.compose.volumes import parse_volume

__all__ = [
    "AppPayload",
    "ComposeSource",
    "Conversion",
    "DeployPlan",
    "Finding",
    "ImageRef",
    "InterpolationResult",
    "Issue",
    "LoadedCompose",
    "MissingVariable",
    "Mode",
    "Normalised",
    "Plan",
    "PortMapping",
    "Position",
    "Severity",
    "SourceMap",
    "UnknownKey",
    "UnsetVariable",
    "ValidationReport",
    "VolumeMount",
    "YamlPath",
    "convert",
    "find_unknown_keys",
    "format_path",
    "interpolate",
    "load",
    "normalise",
    "normalise_lenient",
    "parse_image",
    "parse_ports",
    "parse_volume",
    "plan",
    "render",
    "validate",
]
