"""Compose's ``$`` expressions in one string, per the Compose Specification (interpolation).

Grammar, as compose-go reads it::

    $$                 a literal $
    $NAME  ${NAME}     the value; unset → "" and reported as unset
    ${NAME:-word}      word when NAME is unset or empty      ${NAME-word}  … when unset
    ${NAME:?message}   error when NAME is unset or empty     ${NAME?message}  … when unset
    ${NAME:+word}      word when NAME is set and non-empty   ${NAME+word}  … when set

``NAME`` is ``[_a-zA-Z][_a-zA-Z0-9]*``. ``word`` may itself contain expressions (nested
defaults); it is only evaluated when chosen, so variables in an unused default are not
reported. Values are inserted verbatim and never re-interpolated. Any other ``$`` — a lone
``$``, ``$1``, ``${}``, ``${A/b}``, an unclosed ``${`` — is an error, as in ``docker compose``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "MAX_LENGTH",
    "MAX_NESTING",
    "ExpansionLimitError",
    "Substitution",
    "TemplateError",
    "substitute",
]

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
MAX_NESTING = 32
"""Deepest ``${A:-${B:-…}}`` accepted; keeps hostile values from exhausting the stack."""
MAX_LENGTH = 1024 * 1024
"""Longest result of one string by default: ``$A$A$A…`` must not multiply a big value."""
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")

Lookup = Callable[[str], "str | None"]
"""Returns a variable's value, or ``None`` when it is unset."""


class TemplateError(ValueError):
    """A ``$`` expression is malformed.

    The message gives the position, never the surrounding text: the string may be a secret
    (a password containing ``$``).
    """


class ExpansionLimitError(TemplateError):
    """Variable values would make the result longer than allowed (``$A$A$A…`` with a big A)."""


@dataclass
class Substitution:
    """The result of :func:`substitute` and what it had to report.

    Attributes:
        value: the text with every expression resolved.
        unset: names used without a value or default (each once, in order of use).
        missing: ``(name, message)`` of required variables without a value.
        room: how many more characters variable values may add.
    """

    value: str
    unset: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    room: int = field(default=MAX_LENGTH, repr=False)

    def insert(self, value: str) -> str:
        """Account for a variable's value about to be inserted; refuse when out of room."""
        self.room -= len(value)
        if self.room < 0:
            raise ExpansionLimitError("variable values make it longer than the length limit")
        return value


def substitute(text: str, lookup: Lookup, *, max_length: int = MAX_LENGTH) -> Substitution:
    """Resolve every ``$`` expression in ``text``.

    Args:
        text: a string from a compose document or ``.env`` file.
        lookup: where variable values come from.
        max_length: most characters variable values may add in total.

    Returns:
        The resolved text plus unset and missing variables; a missing required variable
        resolves to ``""`` so the rest of the document can still be checked.

    Raises:
        TemplateError: a malformed expression, or values beyond ``max_length``.
    """
    result = Substitution(value="", room=max_length)
    result.value = _expand(text, lookup, result, 0)
    return result


def _expand(text: str, lookup: Lookup, report: Substitution, depth: int) -> str:
    if depth > MAX_NESTING:
        raise TemplateError(f"defaults are nested more than {MAX_NESTING} levels deep")
    parts: list[str] = []
    start = 0
    while (dollar := text.find("$", start)) >= 0:
        parts.append(text[start:dollar])
        following = text[dollar + 1 : dollar + 2]
        if following == "$":
            parts.append("$")
            start = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 2)
            parts.append(_braced(text[dollar + 2 : end], lookup, report, depth))
            start = end + 1
        elif match := _NAME.match(text, dollar + 1):
            parts.append(_plain(match.group(), lookup, report))
            start = match.end()
        else:
            raise TemplateError(
                f"'$' at character {dollar + 1} must be followed by a name, '{{' or '$'"
            )
    parts.append(text[start:])
    return "".join(parts)


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start``; nesting counts."""
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("$$", index):
            index += 2
            continue
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise TemplateError(f"'${{' at character {start - 1} is never closed")


def _plain(name: str, lookup: Lookup, report: Substitution) -> str:
    value = lookup(name)
    if value is None:
        if name not in report.unset:
            report.unset.append(name)
        return ""
    return report.insert(value)


def _braced(body: str, lookup: Lookup, report: Substitution, depth: int) -> str:
    match = _NAME.match(body)
    if match is None:
        raise TemplateError("'${' must be followed by a variable name")
    name, rest = match.group(), body[match.end() :]
    if not rest:
        return _plain(name, lookup, report)
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise TemplateError(f"unsupported operator after '${{{name}' (use :- - :? ? :+ or +)")
    word = rest[len(operator) :]
    value = lookup(name)
    present = value is not None and (value != "" or ":" not in operator)
    if present and value is not None and not operator.endswith("+"):
        return report.insert(value)
    if operator.endswith("-"):
        return _expand(word, lookup, report, depth + 1)
    if operator.endswith("+"):
        return _expand(word, lookup, report, depth + 1) if present else ""
    report.missing.append((name, word or f"required variable {name} is missing a value"))
    return ""
