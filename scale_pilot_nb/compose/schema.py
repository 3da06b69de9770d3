"""Structure checks against the Compose Specification's own JSON schema.

Docker Compose refuses a file whose structure its JSON schema refuses: an unknown key
(``enviroment:``), ``image:`` given as a list, a mapping where a string belongs. Keeping our own
key lists in step with the specification failed (one real file in ten disagreed), so the schema
is the judge here, exactly as in compose-go's loader, which validates the document after
interpolation and ``extends``, before normalisation.

The schema is not copied into this package. It is the one that ``check-jsonschema`` vendors
(``check_jsonschema/builtin_schemas/vendor/compose-spec.json``, with its licence beside it),
read as a data file without importing that package's CLI. The pinned ``check-jsonschema``
release carries the schema of the same month as the Docker Compose release our conformance
test runs (see the README: upgrade both pins together and re-run ``tests/conformance``).
``jsonschema`` checks it (draft 7); the validator is built once per process.

What the schema says is turned into our findings: a rule id, the YAML path, a message that
never quotes the offending value (it may be a secret) and a hint; unknown keys get a "did you
mean" from the keys the schema allows at that place. Keys that are not strings (``1:``,
``true:``) are reported first, as compose-go does ("non-string key"), because no JSON schema
can judge them.
"""

from __future__ import annotations

import difflib
import importlib.util
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.compose.model import LoadedCompose, UnknownKey, YamlPath, format_path

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

__all__ = [
    "SCHEMA_PACKAGE",
    "SchemaProblem",
    "allowed_keys",
    "find_unknown_keys",
    "non_string_keys",
    "schema_path",
    "schema_problems",
]

SCHEMA_PACKAGE = "check-jsonschema"
"""The PyPI package whose vendored copy of the compose-spec schema we use."""
_SCHEMA_FILE = ("builtin_schemas", "vendor", "compose-spec.json")
FAST_PATH_SERVICES = 64
FAST_PATH_AFTER = 32
"""A compiled schema (fastjsonschema) says whether a document is valid before ``jsonschema``
explains what is not, for documents of 64 services or more and for every document once a
process has checked 32 (a notebook, the CLI over a folder, the test suite): a 1 MiB file of
3,900 services takes 0.05 s instead of 0.4 s, a typical file 0.1 ms instead of 0.4 ms.
Compiling costs ~0.2 s once, more than a single small file saves, so a one-off
``scale-compose validate`` does without it."""
_MAX_PROBLEMS = 50
"""At most this many schema problems are reported: a wholly wrong file needs no 5,000 lines."""
_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "empty",
}


@dataclass(frozen=True)
class SchemaProblem:
    """One thing the compose-spec schema refuses, in our words.

    Attributes:
        rule: ``structure.unknown-key``, ``structure.non-string-key``, ``structure.invalid-type``
            or ``structure.invalid-value``.
        path: where (for an unknown key, the key itself).
        message: one sentence; never contains the value found there.
        hint: what to do.
        unknown: for an unknown key, the key and the closest allowed one.
    """

    rule: str
    path: YamlPath
    message: str
    hint: str
    unknown: UnknownKey | None = None


def schema_path() -> Path:
    """The vendored compose-spec schema file.

    Raises:
        ModuleNotFoundError: ``check-jsonschema`` is not installed (it is a dependency).
    """
    spec = importlib.util.find_spec("check_jsonschema")  # finds, does not import, the package
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"The compose-spec schema comes from the '{SCHEMA_PACKAGE}' package; install it."
        )
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_SCHEMA_FILE)


@cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return loaded


@cache
def _validator() -> Validator:
    from jsonschema import Draft7Validator  # imported on first use: the CLI starts faster

    return Draft7Validator(_schema())


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: ~8x faster per document, but it
    costs ~0.2 s to build and says only the first problem, so it serves big documents' yes/no."""
    import fastjsonschema

    return fastjsonschema.compile(_schema())


_checked = itertools.count()


def _worth_compiling(data: Any) -> bool:
    services = data.get("services") if isinstance(data, dict) else None
    big = isinstance(services, dict) and len(services) >= FAST_PATH_SERVICES
    return big or next(_checked) >= FAST_PATH_AFTER


def _valid_fast(data: Any) -> bool:
    """True when the compiled schema accepts ``data`` (``jsonschema`` then has nothing to say)."""
    from fastjsonschema import JsonSchemaException

    try:
        _fast_check()(data)
    except JsonSchemaException:
        return False
    return True


def schema_problems(data: Any) -> list[SchemaProblem]:
    """Everything the compose-spec schema refuses in ``data`` (interpolated, extends resolved).

    Never raises for a bad document; returns at most 50 problems. Non-string keys are judged
    by :func:`non_string_keys` on the document as written (interpolation turns an
    ``environment`` mapping's keys into strings); here they are read as strings.
    """
    data = _with_string_keys(data)
    if _worth_compiling(data) and _valid_fast(data):
        return []
    problems = (p for error in _validator().iter_errors(data) for p in _translate(error))
    return list(itertools.islice(problems, _MAX_PROBLEMS))


def non_string_keys(loaded: LoadedCompose) -> list[SchemaProblem]:
    """Keys that YAML reads as a number, boolean or null (``1:``, ``true:``, ``~:``).

    compose-go refuses them ("non-string key in services.web.environment: 1"). The loader
    turns them into text and lists where they are (``LoadedCompose.non_string_keys``); a
    document given as a dict may hold them as they are. (TrueNAS's PyYAML reads more keys so,
    ``yes:`` for one, which :mod:`.yaml11` reports.)
    """
    given_as_dict = not loaded.source_map  # text was read by the loader, which lists them
    walked = _non_string_keys(loaded.data, ()) if given_as_dict else iter(())
    paths = [*loaded.non_string_keys, *walked]
    return [_non_string_key(path) for path in paths[:_MAX_PROBLEMS]]


def find_unknown_keys(data: Any) -> list[UnknownKey]:
    """The keys the schema does not allow where they stand, with "did you mean" suggestions."""
    return [p.unknown for p in schema_problems(data) if p.unknown is not None]


def allowed_keys(schema: dict[str, Any]) -> list[str]:
    """The property names a (sub)schema defines, sorted (its ``$ref`` followed)."""
    schema = _resolve(schema)
    return sorted(schema.get("properties", {}))


def _non_string_keys(node: Any, path: YamlPath) -> Iterator[YamlPath]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                yield (*path, _plain(key))
            yield from _non_string_keys(value, (*path, _plain(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _non_string_keys(item, (*path, index))


def _non_string_key(path: YamlPath) -> SchemaProblem:
    return SchemaProblem(
        "structure.non-string-key",
        path,
        f"The key '{path[-1]}' in {format_path(path[:-1]) or 'the top level'} is read as a "
        "number, boolean or null, not as text; Compose refuses non-string keys.",
        f"Quote it: '{path[-1]}':",
    )


def _plain(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return str(key).lower()
    return str(key)


def _with_string_keys(node: Any) -> Any:
    """``node`` with every key as text, copied only where a key is not (a dict given by a
    caller; loaded documents have text keys already)."""
    if next(_non_string_keys(node, ()), None) is None:
        return node
    return _stringify(node)


def _stringify(node: Any) -> Any:
    if isinstance(node, dict):
        return {_plain(k): _stringify(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify(item) for item in node]
    return node


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors behind ``error``, as compose-go picks its "most specific" one.

    For ``oneOf``/``anyOf``: the branches whose type fits the value (a mapping given where a
    string or a mapping is allowed) explain the failure; of those, the branch that got deepest
    into the document. When no branch fits, the error itself is the answer ("must be a string
    or a mapping").
    """
    if error.validator in ("oneOf", "anyOf") and error.context:
        depth = len(error.absolute_path)
        fitting = [
            e
            for e in error.context
            if not (e.validator == "type" and len(e.absolute_path) == depth)
        ]
        if fitting:
            deepest = max(len(e.absolute_path) for e in fitting)
            best = [e for e in fitting if len(e.absolute_path) == deepest]
            branch = min(e.relative_schema_path[0] for e in best)
            for sub in best:
                if sub.relative_schema_path[0] == branch:
                    yield from _leaves(sub)
            return
    yield error


def _translate(error: ValidationError) -> Iterator[SchemaProblem]:
    for leaf in _leaves(error):
        path = tuple(leaf.absolute_path)
        where = format_path(path) or "The top level"
        kind = leaf.validator
        schema: Any = leaf.schema
        instance: Any = leaf.instance
        if kind == "additionalProperties":
            for key in _extra_keys(instance, schema):
                yield _unknown(UnknownKey((*path, key), key, _suggest(key, schema)))
        elif kind in ("oneOf", "anyOf", "type"):
            yield SchemaProblem(
                "structure.invalid-type",
                path,
                f"{where} must be {_expected_types(leaf)}.",
                "Fix the type of this value; the Compose Specification documents this attribute.",
            )
        elif kind == "required":
            required: Any = leaf.validator_value
            missing = [k for k in required if k not in instance]
            yield SchemaProblem(
                "structure.invalid-value",
                path,
                f"{where} needs {_quoted(missing)}.",
                "Add the missing key.",
            )
        else:
            yield SchemaProblem(
                "structure.invalid-value",
                path,
                f"{where} {_constraint(leaf)}.",
                _HINTS.get(str(kind), _DEFAULT_HINT),
            )


_DEFAULT_HINT = "Fix this value; the Compose Specification documents this attribute."
_HINTS = {
    "uniqueItems": "Remove the duplicate entries.",
    "enum": "Use one of the values named.",
    "pattern": "Fix the spelling of this value.",
}


def _unknown(unknown: UnknownKey) -> SchemaProblem:
    message = unknown.message[0].upper() + unknown.message[1:]
    return SchemaProblem(
        "structure.unknown-key",
        unknown.path,
        f"{message}; Compose refuses the file.",
        f"Rename it to '{unknown.suggestion}'."
        if unknown.suggestion
        else "Remove it, or prefix it with 'x-' to keep it as an extension field.",
        unknown,
    )


def _extra_keys(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Keys of ``instance`` that neither ``properties`` nor ``patternProperties`` allow."""
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        key for key in instance if key not in known and not any(p.search(key) for p in patterns)
    ]


def _suggest(key: str, schema: dict[str, Any]) -> str | None:
    matches = difflib.get_close_matches(key.lower(), allowed_keys(schema), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = _schema()
        for part in ref[2:].split("/"):
            node = node[part]
        return _resolve(node)
    return schema


def _expected_types(error: ValidationError) -> str:
    """``a string or a list`` from a ``type`` keyword, or the types of a ``oneOf``'s branches."""
    names: list[str] = []
    branches: Any = error.validator_value
    schemas: list[Any] = [error.schema] if error.validator == "type" else list(branches)
    for schema in schemas:
        schema = _resolve(schema)
        declared = schema.get("type")
        if declared is None and "oneOf" in schema:
            declared = [_resolve(s).get("type") for s in schema["oneOf"]]
        for name in _flatten(declared):
            word = _TYPE_WORDS.get(name, name)
            if word not in names:
                names.append(word)
    if not names:
        return "one of the forms the specification allows"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _flatten(declared: Any) -> Iterator[str]:
    if isinstance(declared, str):
        yield declared
    elif isinstance(declared, list):
        for item in declared:
            yield from _flatten(item)


def _constraint(error: ValidationError) -> str:
    """What a constraint keyword asks for, without quoting the value found."""
    value: Any = error.validator_value
    sentences = {
        "enum": lambda: f"must be one of {_quoted(value)}",
        "const": lambda: f"must be {json.dumps(value)}",
        "pattern": lambda: f"does not match the form the specification requires ({value})",
        "uniqueItems": lambda: "has duplicate entries",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "minItems": lambda: f"needs at least {value} entr{'y' if value == 1 else 'ies'}",
        "maxItems": lambda: f"takes at most {value} entr{'y' if value == 1 else 'ies'}",
        "minLength": lambda: f"must be at least {value} character(s) long",
        "minProperties": lambda: f"needs at least {value} key(s)",
        "not": lambda: "combines attributes that cannot be used together",
    }
    make = sentences.get(str(error.validator))
    return make() if make else "is not allowed by the Compose Specification"


def _quoted(values: Iterable[Any]) -> str:
    return ", ".join(f"'{v}'" for v in values)
