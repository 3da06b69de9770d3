"""``extends`` within the file, merged the way Docker Compose merges it; other files refused.

:func:`resolve_extends` runs on the interpolated document, before normalisation (compose-go
applies ``extends`` to the raw, interpolated YAML tree too). A service written as
``extends: base`` or ``extends: {service: base}`` becomes the base service (itself resolved
first, so chains work) with the service's own settings merged over it. The merge follows
compose-go (``override/merge.go``, then the de-duplication of ``override/uncity.go``):

* mappings merge key by key, recursively; a scalar replaces the base's; other sequences are
  appended (``ports``, ``expose``, ``volumes``, ``devices``, ``secrets``, ``configs``,
  ``cap_add``, ``security_opt``, ``links``, ``volumes_from`` …);
* ``command``, ``entrypoint`` and ``healthcheck.test`` are replaced whole;
* ``environment``, ``labels``, ``annotations``, ``sysctls``, ``build.args``,
  ``build.labels``, ``build.additional_contexts`` and ``deploy.labels`` merge by key (list
  ``KEY=VALUE`` or mapping, the service's value wins);
* ``dns``, ``dns_opt``, ``dns_search``, ``tmpfs``, ``env_file`` and ``label_file`` append (a
  string is a one-entry list); ``extra_hosts`` appends only entries the base lacks;
* ``depends_on`` and ``networks`` merge by name (a listed ``depends_on`` entry means
  ``condition: service_started, required: true``); ``build: path`` is ``{context: path}``;
  ``logging`` merges only when both name the same driver (or one names none), else the
  service's replaces the base's; each ``ulimits`` entry is replaced whole;
* then repeated entries collapse, the later one taking the place of the first: ``ports`` by
  host address, host port, container port and protocol; ``volumes`` and ``devices`` by
  container path; ``secrets`` / ``configs`` by target; ``expose``, ``dns*``, ``cap_add``,
  ``cap_drop``, ``links``, ``profiles``, ``tmpfs`` by value; ``env_file`` by path;
* the base's ``depends_on``, ``links`` and ``volumes_from`` are kept (Compose v2 keeps them;
  only the old v1 dropped them), and so is its ``container_name`` (two services then clash).

A service that extends a missing service, itself, or a cycle is an error, like in Compose;
so is a merge Compose refuses (a base mapping overridden by a list). Such services are
returned as written, ``extends`` and all, and the rules do not judge them further.

``!reset`` reaches this module as ``null`` (the loader keeps no tag), so a service key whose
value is ``null`` removes the base's value, as ``!reset`` does. A plain ``key: null`` would keep
the base's value in Compose; ``!override`` is read as its value and so merges instead of
replacing. Both are rare in practice and documented here as the known differences.

**Other files are errors on TrueNAS, not inlined.** TrueNAS stores exactly one compose file per
custom app (``custom_compose_config_string``), runs it from ``/mnt/.ix-apps`` and validates it
from a temporary file, so the file named by ``extends: {file: …}`` or a top-level ``include:``
does not exist on the NAS and the app fails to deploy. We report ``truenas.extends-file`` and
``truenas.include`` as errors instead of inlining the other file ourselves: inlining would
deploy settings that are not in the file the user reviews and keeps, later edits of the other
file would silently not reach the NAS (``plan`` compares only the stored file), and
``include`` brings its own project directory and ``.env`` that TrueNAS cannot reproduce. The
hint tells the user to inline the service or merge the file (``docker compose config`` prints
the merged result).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.compose.model import Issue, YamlPath
from scale_pilot_nb.compose.scalars import scalar_text
from scale_pilot_nb.compose.unicity import deduplicate_merged

__all__ = [
    "MAX_MERGED_NODES",
    "ExtendsIssue",
    "extends_chain",
    "resolve_extends",
    "written_environment",
]

MAX_MERGED_NODES = 250_000
"""Most values the merged services may hold in total; a hostile chain is refused beyond it."""

_RULE_INVALID = "structure.invalid-extends"
_RULE_UNDEFINED = "structure.undefined-extends"
_RULE_CYCLE = "structure.extends-cycle"
_RULE_FILE = "truenas.extends-file"
_RULE_INCLUDE = "truenas.include"
_ONE_FILE = (
    "TrueNAS stores only this one compose file (it runs it from /mnt/.ix-apps), so {what} will "
    "not exist on the NAS and the app would fail to deploy"
)


@dataclass(frozen=True)
class ExtendsIssue(Issue):
    """An :class:`Issue` of ``extends`` / ``include``, with the rule id to report it under.

    Attributes:
        rule: ``truenas.extends-file``, ``truenas.include``, ``structure.undefined-extends``,
            ``structure.extends-cycle`` or ``structure.invalid-extends``.
    """

    rule: str = _RULE_INVALID


class _Conflict(Exception):
    """Compose refuses to merge these two values (``cannot override services.x.<path>``)."""

    def __init__(self, path: YamlPath, base: Any, override: Any) -> None:
        super().__init__(path)
        self.path = path
        self.base = base
        self.override = override


def resolve_extends(data: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """Merge every same-file ``extends``; report ``extends.file`` and ``include`` for TrueNAS.

    Args:
        data: the interpolated document (``interpolate(...).data``); never modified.

    Returns:
        The document with extending services merged (their ``extends`` removed), and the
        problems as :class:`ExtendsIssue` (each carries its rule id). Services that could not
        be resolved are kept as written. Parts that did not change may be shared with
        ``data``: treat the result as read-only, as normalisation does.
    """
    if not isinstance(data, Mapping):
        return data, []
    issues: list[Issue] = list(_include_issues(data.get("include")))
    services = data.get("services")
    if not isinstance(services, dict) or not any(
        isinstance(service, dict) and "extends" in service for service in services.values()
    ):
        return dict(data), issues
    resolver = _Resolver(services, issues)
    out = dict(data)
    out["services"] = {name: resolver.resolve(name) for name in services}
    return out, issues


def extends_chain(services: Any, name: str) -> list[dict[str, Any]]:
    """``name``'s definition, then its base's, and so on, as written in ``services``.

    The chain stops at a service without ``extends``, at one that extends another file, at a
    missing service and before a repeat, so it never loops. Rules use it to see what the user
    literally wrote for a setting a merged service inherited.
    """
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: Any = name
    while isinstance(services, dict) and isinstance(current, str) and current not in seen:
        service = services.get(current)
        if not isinstance(service, dict):
            break
        chain.append(service)
        seen.add(current)
        extends = service.get("extends")
        if isinstance(extends, dict):
            if extends.get("file") is not None:
                break
            extends = extends.get("service")
        current = extends
    return chain


def written_environment(services: Any, name: str) -> dict[str, Any]:
    """The ``environment`` of ``name`` as written, merged along its ``extends`` chain.

    Keys map to their written value (``KEY=VALUE`` lists are split); a service that resets
    ``environment`` to ``null`` hides its bases' entries.
    """
    out: dict[str, Any] = {}
    for service in reversed(extends_chain(services, name)):
        if "environment" in service and service["environment"] is None:
            out = {}
        out.update(_environment_entries(service.get("environment")))
    return out


def _environment_entries(environment: Any) -> dict[str, Any]:
    if isinstance(environment, dict):
        return {str(k): v for k, v in environment.items()}
    out: dict[str, Any] = {}
    for item in environment if isinstance(environment, list) else []:
        if isinstance(item, str):
            key, _, value = item.partition("=")
            out[key] = value
    return out


def _include_issues(include: Any) -> Iterator[Issue]:
    if include is None:
        return
    entries = include if isinstance(include, list) else [include]
    for index, entry in enumerate(entries):
        path: YamlPath = ("include", index) if isinstance(include, list) else ("include",)
        files = entry.get("path") if isinstance(entry, dict) else entry
        shown = ", ".join(repr(f) for f in (files if isinstance(files, list) else [files]))
        yield ExtendsIssue(
            path,
            f"`include` pulls in {shown}: " + _ONE_FILE.format(what="that file") + ".",
            "Merge the included file into this one (`docker compose config` prints the merged "
            "result) and remove `include`.",
            rule=_RULE_INCLUDE,
        )


class _Resolver:
    """Resolves services one chain at a time, iteratively (a long chain needs no recursion)."""

    def __init__(self, services: dict[str, Any], issues: list[Issue]) -> None:
        self.services = services
        self.issues = issues
        self.done: dict[str, Any] = {}
        self.failed: set[str] = set()
        self.budget = MAX_MERGED_NODES

    def resolve(self, name: str) -> Any:
        """``name`` merged with its bases, or as written when that is impossible."""
        links: list[tuple[str, str]] = []  # (service, the service it extends), outermost first
        current, broken = name, False
        while current not in self.done:
            base = self._base_of(current)
            if base is None:  # no extends: the service is its own resolution
                self.done[current] = self.services[current]
                break
            if base == "" or base in self.failed:
                broken = True
                break
            if base == current or any(child == base for child, _ in links):
                self._cycle([*(child for child, _ in links), current], base)
                broken = True
                break
            links.append((current, base))
            current = base
        for child, base in reversed(links):
            if broken or base in self.failed:
                self._fail(child)
                continue
            merged = self._merge(child, base)
            if merged is None:
                self._fail(child)
            else:
                self.done[child] = merged
        if current not in self.done:  # the service that broke the chain
            self._fail(current)
        return self.done[name]

    def _fail(self, name: str) -> None:
        self.failed.add(name)
        self.done[name] = self.services[name]

    def _base_of(self, name: str) -> str | None:
        """The service ``name`` extends; None without ``extends``; ``""`` when it is broken."""
        service = self.services.get(name)
        if not isinstance(service, dict) or "extends" not in service:
            return None
        extends = service["extends"]
        path: YamlPath = ("services", name, "extends")
        if isinstance(extends, dict):
            file = extends.get("file")
            ref = extends.get("service")
            if file is not None:
                self._file_issue(name, path, file, ref)
                return ""
            if not isinstance(ref, str) or not ref:
                self._issue(
                    path,
                    f"Service {name!r} has `extends` without the `service:` to extend.",
                    "Write `extends: {service: <name>}` or simply `extends: <name>`.",
                )
                return ""
        elif isinstance(extends, str) and extends:
            ref = extends
        else:
            self._issue(
                path,
                f"Service {name!r} has an `extends` that is neither a service name nor a "
                "mapping with `service:`.",
                "Write `extends: <name>` or `extends: {service: <name>}`.",
            )
            return ""
        if ref not in self.services:
            self._issue(
                path,
                f"Service {name!r} extends {ref!r}, which is not a service in this file.",
                "Fix the name, or add the service it should extend.",
                _RULE_UNDEFINED,
            )
            return ""
        if not isinstance(self.services[ref], dict):
            return ""  # the base itself is reported as not being a mapping
        return ref

    def _file_issue(self, name: str, path: YamlPath, file: Any, ref: Any) -> None:
        what = f"{file!r}" if isinstance(file, str) else "that file"
        base = f"{ref!r}" if isinstance(ref, str) else "its base service"
        written = ref if isinstance(ref, str) else "<name>"
        self._issue(
            (*path, "file"),
            f"Service {name!r} extends {base} from the file {what}: "
            + _ONE_FILE.format(what=what)
            + ".",
            f"Copy service {base} into this file and write `extends: {written}`, or inline "
            f"its settings into {name!r}.",
            _RULE_FILE,
        )

    def _cycle(self, chain: list[str], repeat: str) -> None:
        start = chain.index(repeat) if repeat in chain else len(chain) - 1
        cycle = [*chain[start:], repeat]
        first = cycle[0]
        text = (
            f"Service {first!r} extends itself."
            if len(cycle) == 2
            else f"`extends` forms a cycle: {' -> '.join(cycle)}."
        )
        self._issue(
            ("services", first, "extends"),
            text,
            "Remove one `extends` of the cycle.",
            _RULE_CYCLE,
        )

    def _merge(self, child: str, base: str) -> dict[str, Any] | None:
        if self.budget < 0:
            return None  # already reported once
        try:
            merged = _merge_service(self.done[base], self.services[child])
        except _Conflict as conflict:
            self._issue(
                ("services", child, *conflict.path),
                f"Service {child!r} cannot override {_show(conflict.path)} of {base!r}: the "
                f"base has {_kind(conflict.base)}, {child!r} {_kind(conflict.override)}.",
                "Write it in the same form as in the base service (list or mapping).",
            )
            return None
        self.budget -= _size(merged)
        if self.budget < 0:
            self._issue(
                ("services", child, "extends"),
                f"`extends` expands to more than {MAX_MERGED_NODES} values; {child!r} and the "
                "services still to merge after it are not merged.",
                "Shorten the chain of services that extend each other.",
            )
            return None
        return merged

    def _issue(self, path: YamlPath, message: str, hint: str, rule: str = _RULE_INVALID) -> None:
        self.issues.append(ExtendsIssue(path, message, hint, rule=rule))


def _merge_service(base: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, Any]:
    """``service`` merged over ``base`` by Compose's rules; neither is modified.

    Raises:
        _Conflict: Compose refuses the merge (a mapping or list overridden by another kind).
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    merged.pop("extends", None)
    for key, value in service.items():
        if key == "extends":
            continue
        if value is None:  # `!reset`: the base's value goes
            merged.pop(key, None)
        elif key in merged:
            merged[key] = _merge(merged[key], copy.deepcopy(value), (key,))
        else:
            merged[key] = copy.deepcopy(value)
    return deduplicate_merged(merged)


# -- merging, after compose-go's override/merge.go ------------------------------------------

Merger = Callable[[Any, Any, YamlPath], Any]


def _merge(base: Any, override: Any, path: YamlPath) -> Any:
    special = _special(path)
    if special is not None:
        return special(base, override, path)
    if override is None:
        return base
    if isinstance(base, dict):
        if not isinstance(override, dict):
            raise _Conflict(path, base, override)
        return _merge_mappings(base, override, path)
    if isinstance(base, list):
        if not isinstance(override, list):
            raise _Conflict(path, base, override)
        return base + override
    return override


def _merge_mappings(base: dict[str, Any], override: dict[str, Any], path: YamlPath) -> Any:
    for key, value in override.items():
        base[key] = _merge(base[key], value, (*path, key)) if key in base else value
    return base


def _replace(base: Any, override: Any, path: YamlPath) -> Any:
    return override


def _by_key(base: Any, override: Any, path: YamlPath) -> Any:
    """``environment``, ``labels`` …: both sides as mappings, the override's values win."""
    left, right = _key_values(base), _key_values(override)
    if left is None or right is None:
        return override if override is not None else base
    return {**left, **right}


def _key_values(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v[-1] if isinstance(v, list) and v else v for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            key, equals, text = scalar_text(item).partition("=")
            out[key] = text if equals else None
        return out
    return None


def _append(base: Any, override: Any, path: YamlPath) -> Any:
    """``dns``, ``tmpfs``, ``env_file`` …: sequences appended (de-duplicated later)."""
    return _sequence(base) + _sequence(override)


def _sequence(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        entries: list[str] = []
        for key, item in value.items():
            if item is None:
                entries.append(str(key))
            else:
                items = item if isinstance(item, list) else [item]
                entries.extend(f"{key}={scalar_text(one)}" for one in items)
        return sorted(entries)
    return []


def _extra_hosts(base: Any, override: Any, path: YamlPath) -> Any:
    left = _sequence(base)
    return left + [entry for entry in _sequence(override) if entry not in left]


def _as_mapping(value: Any, default: dict[str, Any] | None) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {
            str(item): None if default is None else dict(default)
            for item in value
            if isinstance(item, str)
        }
    return {} if value is None else None


def _depends_on(base: Any, override: Any, path: YamlPath) -> Any:
    started = {"condition": "service_started", "required": True}
    left, right = _as_mapping(base, started), _as_mapping(override, started)
    if left is None or right is None:
        return override if override is not None else base
    return _merge_mappings(left, right, path)


def _by_name(base: Any, override: Any, path: YamlPath) -> Any:
    """``networks`` (and ``models``): a list of names is a mapping of names to nothing."""
    left, right = _as_mapping(base, None), _as_mapping(override, None)
    if left is None or right is None:
        return override if override is not None else base
    return _merge_mappings(left, right, path)


def _build(base: Any, override: Any, path: YamlPath) -> Any:
    def mapping(value: Any) -> Any:
        return {"context": value} if isinstance(value, str) else value

    left, right = mapping(base), mapping(override)
    if not isinstance(left, dict) or not isinstance(right, dict):
        return override if override is not None else base
    return _merge_mappings(left, right, path)


def _logging(base: Any, override: Any, path: YamlPath) -> Any:
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override if override is not None else base
    if "driver" not in base or "driver" not in override or base["driver"] == override["driver"]:
        return _merge_mappings(base, override, path)
    return override


_SPECIAL: dict[YamlPath, Merger] = {
    ("annotations",): _by_key,
    ("build",): _build,
    ("build", "args"): _by_key,
    ("build", "additional_contexts"): _by_key,
    ("build", "extra_hosts"): _extra_hosts,
    ("build", "labels"): _by_key,
    ("command",): _replace,
    ("depends_on",): _depends_on,
    ("deploy", "labels"): _by_key,
    ("dns",): _append,
    ("dns_opt",): _append,
    ("dns_search",): _append,
    ("entrypoint",): _replace,
    ("env_file",): _append,
    ("label_file",): _append,
    ("environment",): _by_key,
    ("extra_hosts",): _extra_hosts,
    ("healthcheck", "test"): _replace,
    ("labels",): _by_key,
    ("logging",): _logging,
    ("models",): _by_name,
    ("networks",): _by_name,
    ("sysctls",): _by_key,
    ("tmpfs",): _append,
    ("ulimits", "*"): _replace,
}


def _special(path: YamlPath) -> Merger | None:
    found = _SPECIAL.get(path)
    if found is None and len(path) == 2:
        found = _SPECIAL.get((path[0], "*"))
    return found


def _size(value: Any) -> int:
    """How many values ``value`` holds, counted without recursion."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _show(path: YamlPath) -> str:
    return "`" + ".".join(str(part) for part in path) + "`"


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a single value"
