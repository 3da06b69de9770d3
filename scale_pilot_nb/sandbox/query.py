"""TrueNAS query semantics (``filters`` and ``options``) over lists of plain dicts.

Every ``*.query`` method of the sandbox (``app.query``, ``pool.query``, ``core.get_jobs`` …)
takes ``[filters, options]`` like the middleware's ``filter_list``:

* filters: ``[[field, op, value], …]`` (all must match) and ``["OR", [f1, f2, …]]`` where
  each ``f`` is a filter or a list of filters; ``field`` may be dotted (``"a.b"``;
  list indexes allowed: ``"images.0"``). Operators ``= != > >= < <= ~ in nin rin rnin ^ !^ $ !$``,
  each also with a ``C`` prefix for case-insensitive string comparison.
* options: ``select`` (dotted names, or ``[name, alias]`` pairs), ``order_by`` (``-`` prefix
  sorts descending, ``nulls_first:``/``nulls_last:`` prefixes), ``offset``, ``limit``, ``count``
  (returns the number of matches before offset/limit), ``get`` (returns the first item, error if
  none). ``extra`` is the caller's business and ignored here.

Results share structure with the input items: callers treat returned dicts as read-only
snapshots (the model replaces cached entries instead of mutating them).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from scale_pilot_nb.sandbox.contract import SandboxCallError, SandboxValidationErrors
from scale_pilot_nb.sandbox.wire import UnexpectedError

_MISSING = object()
_OPTION_KEYS = frozenset(
    {"extra", "order_by", "select", "count", "get", "offset", "limit", "force_sql_filters"}
)


def _has_prefix(value: Any, prefix: Any) -> bool:
    return isinstance(value, str) and isinstance(prefix, str) and value.startswith(prefix)


def _has_suffix(value: Any, suffix: Any) -> bool:
    return isinstance(value, str) and isinstance(suffix, str) and value.endswith(suffix)


def _contains(container: Any, value: Any) -> bool:
    try:
        return value in container
    except TypeError:
        return False


def _compare(func: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Wrap an ordering comparison so ``None`` or mixed types never match (no TypeError)."""

    def compare(field: Any, value: Any) -> bool:
        try:
            return field is not None and func(field, value)
        except TypeError:
            return False

    return compare


def _regex(field: Any, pattern: Any) -> bool:
    return isinstance(field, str) and re.search(str(pattern), field) is not None


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda f, v: f == v,
    "!=": lambda f, v: f != v,
    ">": _compare(lambda f, v: f > v),
    ">=": _compare(lambda f, v: f >= v),
    "<": _compare(lambda f, v: f < v),
    "<=": _compare(lambda f, v: f <= v),
    "~": _regex,
    "in": lambda f, v: _contains(v, f),
    "nin": lambda f, v: not _contains(v, f),
    "rin": lambda f, v: f is not None and _contains(f, v),
    "rnin": lambda f, v: f is not None and not _contains(f, v),
    "^": _has_prefix,
    "!^": lambda f, v: not _has_prefix(f, v),
    "$": _has_suffix,
    "!$": lambda f, v: not _has_suffix(f, v),
}


def _fold(value: Any) -> Any:
    """Lower-case strings (also inside lists) for the ``C``-prefixed operators."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, list | tuple | set | frozenset):
        return [_fold(v) for v in value]
    return value


def get_path(item: Any, path: str) -> Any:
    """Value at dotted ``path`` in nested dicts/lists, or ``None`` when any step is missing."""
    value = _lookup(item, path)
    return None if value is _MISSING else value


def _lookup(item: Any, path: str) -> Any:
    if isinstance(item, dict) and path in item:
        return item[path]
    value = item
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _invalid(attribute: str, message: str) -> SandboxValidationErrors:
    return SandboxValidationErrors([(attribute, message, errno.EINVAL)])


def _compile_filter(spec: Any) -> Callable[[dict[str, Any]], bool]:
    """Turn one filter (``[field, op, value]`` or ``["OR", [...]]``) into a predicate."""
    if not isinstance(spec, list | tuple):
        raise _invalid("filters", f"Filter must be a list: {spec!r}")
    if len(spec) == 2 and spec[0] == "OR":
        branches = spec[1]
        if not isinstance(branches, list | tuple) or not branches:
            raise _invalid("filters", "OR filter requires a non-empty list of filters")
        compiled = [_compile_branch(branch) for branch in branches]
        return lambda item: any(pred(item) for pred in compiled)
    if len(spec) != 3 or not isinstance(spec[0], str) or not isinstance(spec[1], str):
        raise _invalid("filters", f"Invalid filter {spec!r}: expected [field, operator, value]")
    field, op, value = spec
    case_insensitive = op.startswith("C") and op[1:] in _OPERATORS
    func = _OPERATORS.get(op[1:] if case_insensitive else op)
    if func is None:
        raise _invalid("filters", f"Invalid operation: {op}")
    if case_insensitive:
        folded = _fold(value)
        return lambda item: func(_fold(get_path(item, field)), folded)
    return lambda item: func(get_path(item, field), value)


def _compile_branch(branch: Any) -> Callable[[dict[str, Any]], bool]:
    """An ``OR`` branch is either one filter or a list of filters that must all match."""
    if isinstance(branch, list | tuple) and branch and isinstance(branch[0], list | tuple):
        return compile_filters(branch)
    return _compile_filter(branch)


def compile_filters(filters: Any) -> Callable[[dict[str, Any]], bool]:
    """Predicate true for items matching every filter in ``filters`` (``None`` = no filter).

    Raises:
        SandboxValidationErrors: on a malformed filter or an unknown operator.
    """
    if filters is None:
        return lambda item: True
    if not isinstance(filters, list | tuple):
        raise _invalid("filters", "Filters must be a list")
    compiled = [_compile_filter(spec) for spec in filters]
    return lambda item: all(pred(item) for pred in compiled)


def check_options(options: Any) -> dict[str, Any]:
    """Validate a query ``options`` object and return it as a dict (``None`` → ``{}``).

    Raises:
        SandboxValidationErrors: on unknown keys or wrong types, named like the middleware does.
    """
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise _invalid("options", "Input should be a valid dictionary")
    errors: list[tuple[str, str, int]] = []
    for key in options:
        if key not in _OPTION_KEYS:
            errors.append((f"options.{key}", "Extra inputs are not permitted", errno.EINVAL))
    for key in ("order_by", "select"):
        if not isinstance(options.get(key, []), list):
            errors.append((f"options.{key}", "Input should be a valid list", errno.EINVAL))
    for key in ("offset", "limit"):
        value = options.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append((f"options.{key}", "Input should be a valid integer >= 0", errno.EINVAL))
    for key in ("count", "get"):
        if not isinstance(options.get(key, False), bool):
            errors.append((f"options.{key}", "Input should be a valid boolean", errno.EINVAL))
    if not isinstance(options.get("extra", {}), dict):
        errors.append(("options.extra", "Input should be a valid dictionary", errno.EINVAL))
    if errors:
        raise SandboxValidationErrors(errors)
    return options


def _sort_key(field: str, nulls_last: bool) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        value = get_path(item, field)
        if value is None:
            return (1 if nulls_last else -1, "", 0)
        # Group by type name so mixed types sort instead of raising TypeError.
        return (0, type(value).__name__, value)

    return key


def _order(items: list[dict[str, Any]], order_by: Sequence[str]) -> list[dict[str, Any]]:
    # Stable sorts applied from the least significant key to the most significant one.
    for spec in reversed(order_by):
        if not isinstance(spec, str) or not spec:
            raise _invalid("options.order_by", f"Invalid order_by entry {spec!r}")
        nulls_last: bool | None = None
        if spec.startswith("nulls_first:"):
            nulls_last, spec = False, spec.removeprefix("nulls_first:")
        elif spec.startswith("nulls_last:"):
            nulls_last, spec = True, spec.removeprefix("nulls_last:")
        reverse = spec.startswith("-")
        field = spec.removeprefix("-")
        if nulls_last is None:
            nulls_last = True
        key = _sort_key(field, nulls_last != reverse)
        items = sorted(items, key=key, reverse=reverse)
    return items


def _select(item: dict[str, Any], select: Sequence[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for spec in select:
        if isinstance(spec, list | tuple) and len(spec) == 2:
            value = _lookup(item, str(spec[0]))
            if value is not _MISSING:
                result[str(spec[1])] = value
            continue
        if not isinstance(spec, str):
            raise _invalid("options.select", f"Invalid select entry {spec!r}")
        value = _lookup(item, spec)
        if value is _MISSING:
            continue
        target = result
        *parents, leaf = spec.split(".") if spec not in item else [spec]
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return result


class MatchNotFound(UnexpectedError):
    """``options.get`` was set and nothing matched (the middleware's ``MatchNotFound``).

    A plain Python exception there, so it goes on the wire like any other: errno 22 EINVAL,
    reason ``repr(exc)`` without an ``[EINVAL]`` prefix.
    """

    def __init__(self) -> None:
        SandboxCallError.__init__(
            self, errno.EINVAL, "MatchNotFound()", trace_class="MatchNotFound"
        )


def filter_list(items: Iterable[dict[str, Any]], filters: Any = None, options: Any = None) -> Any:
    """Apply TrueNAS ``filters`` and ``options`` to ``items``.

    Returns:
        A list of (possibly selected) items; an ``int`` when ``options.count``; a single item
        when ``options.get``.

    Raises:
        SandboxValidationErrors: malformed filters or options.
        MatchNotFound: ``options.get`` and no item matched.
    """
    opts = check_options(options)
    predicate = compile_filters(filters)
    matched = [item for item in items if predicate(item)]
    if opts.get("count"):
        return len(matched)
    if opts.get("order_by"):
        matched = _order(matched, opts["order_by"])
    offset, limit = opts.get("offset", 0), opts.get("limit", 0)
    if offset:
        matched = matched[offset:]
    if limit:
        matched = matched[:limit]
    if opts.get("select"):
        matched = [_select(item, opts["select"]) for item in matched]
    if opts.get("get"):
        if not matched:
            raise MatchNotFound()
        return matched[0]
    return matched
