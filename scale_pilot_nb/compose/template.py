"""Compose's ``$`` expressions in one string, read exactly as compose-go's ``template`` package.

Checked against compose-go v2.9.1, the version inside Docker Compose v2.40.3: the table in
``tests/compose/test_interpolate.py`` is run through that binary when it is installed.

A ``$`` starts an expression only when the next character is ``$``, a name or ``{``::

    $$                 a literal $
    $NAME  ${NAME}     the value; unset → "" and reported as unset
    ${NAME:-word}      word when NAME is unset or empty      ${NAME-word}  … when unset
    ${NAME:?message}   error when NAME is unset or empty     ${NAME?message}  … when unset
    ${NAME:+word}      word when NAME is set and non-empty   ${NAME+word}  … when set

``NAME`` is ``[_a-z][_a-z0-9]*`` matched case-insensitively the way Go does, which also admits
``ſ`` (U+017F) and ``K`` (U+212A, the Kelvin sign). Any other ``$`` is literal text, not an
error: ``$(date)``, ``$1``, ``$ x``, ``$-``, ``$}``, ``$é`` and a ``$`` at the end stay as
written. ``${`` always starts an expression, so ``${}``, ``${1}``, ``${ A}``, ``${A }``,
``${A/b}``, ``${A:1}`` and a ``${`` without its ``}`` are errors.

``word`` and ``message`` end at the ``}`` that balances the opening brace, counting every
``{`` (which also hides the one character after it) and every ``}``; when the braces never
balance, at the last ``}`` of the line. They cannot span lines. They may hold expressions
(``${A:-${B:-c}}``; ``${A:-$$}`` is ``$``) and braces (``${A:-{"k":1}}`` is ``{"k":1}``);
``${A:-}`` is ``""`` and ``$${A}`` is the text ``${A}``.

compose-go v2.9 evaluates ``word`` and ``message`` even when they are not chosen, so an
invalid expression or a missing required variable inside an unused default is an error too
(compose-go's main branch evaluates lazily since January 2026, after v2.9.1). Only the chosen
branch counts for what is reported as unset or used; ``${A:+word}`` uses ``A``'s presence, not
its value. Values are inserted verbatim and never scanned again. A missing
required variable resolves to ``""`` and is reported with its message as written (compose
prints ``required variable NAME is missing a value: message`` with the message interpolated;
as written, it never carries a variable's value).
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

_NAME = re.compile("[_a-zA-Z\u017f\u212a][_a-zA-Z0-9\u017f\u212a]*")
_BRACE = re.compile("{.?|}", re.DOTALL)
"""A ``}``, or a ``{`` with the character it hides."""
MAX_NESTING = 32
"""Deepest ``${A:-${B:-…}}`` accepted; keeps hostile values from exhausting the stack."""
MAX_LENGTH = 1024 * 1024
"""Longest result of one string by default: ``$A$A$A…`` must not multiply a big value."""
_OPERATORS = "-?+"

Lookup = Callable[[str], "str | None"]
"""Returns a variable's value, or ``None`` when it is unset."""


class TemplateError(ValueError):
    """A ``${`` expression is malformed.

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
        missing: ``(name, message)`` of required variables without a value; ``message`` is
            the author's text as written.
        used: names whose values went into ``value`` (each once, in order of use).
        room: how many more characters variable values may add.
    """

    value: str
    unset: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
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
        The resolved text plus unset, missing and used variables; a missing required variable
        resolves to ``""`` so the rest of the document can still be checked.

    Raises:
        TemplateError: a malformed ``${`` expression, or values beyond ``max_length``.
    """
    result = Substitution(value="", room=max_length)
    result.value = _Scanner(text, lookup, result).expand(0, len(text), 0, live=True)
    return result


class _Scanner:
    """Walks one string; ``live`` is False inside a default that is evaluated only for errors."""

    def __init__(self, text: str, lookup: Lookup, report: Substitution) -> None:
        self.text = text
        self.lookup = lookup
        self.report = report

    def expand(self, start: int, end: int, depth: int, *, live: bool) -> str:
        """Resolve ``text[start:end]``; positions in messages count from the whole string."""
        if depth > MAX_NESTING:
            raise TemplateError(f"defaults are nested more than {MAX_NESTING} levels deep")
        text = self.text
        parts: list[str] = []
        index = start
        line_end = start - 1  # end of the line holding the current `$`, found when needed
        while (dollar := text.find("$", index, end)) >= 0:
            parts.append(text[index:dollar])
            following = text[dollar + 1] if dollar + 1 < end else ""
            if following == "$":
                parts.append("$")
                index = dollar + 2
            elif following == "{":
                if line_end < dollar:
                    line_end = text.find("\n", dollar, end)
                    line_end = end if line_end < 0 else line_end
                value, index = self._braced(dollar, end, line_end, depth, live)
                parts.append(value)
            elif match := _NAME.match(text, dollar + 1, end):
                parts.append(self._plain(match.group(), live))
                index = match.end()
            else:  # `$(`, `$1`, `$ `, a final `$`: plain text
                parts.append("$")
                index = dollar + 1
        parts.append(text[index:end])
        return "".join(parts) if live else ""

    def _braced(
        self, dollar: int, end: int, line_end: int, depth: int, live: bool
    ) -> tuple[str, int]:
        """The value of the ``${…}`` at ``dollar`` and the index just after its ``}``.

        ``line_end`` is where the line holding ``dollar`` ends (a newline or ``end``).
        """
        text = self.text
        where = f"'${{' at character {dollar + 1}"
        name = _NAME.match(text, dollar + 2, end)
        if name is None:
            raise TemplateError(f"{where} must be followed by a variable name")
        after = name.end()
        if text.startswith("}", after, end):
            return self._plain(name.group(), live), after + 1
        if after == end:
            raise TemplateError(f"{where} is never closed")
        operator = _operator(text, after, end)
        if not operator:
            raise TemplateError(
                f"{where}: the name must be followed by '}}' or one of :- - :? ? :+ +"
            )
        word = after + len(operator)
        close = _balancing_brace(text, dollar, line_end)
        if close < 0:
            close = text.rfind("}", word, line_end)
        if close < 0:
            raise TemplateError(f"{where} has no closing '}}' on its line")
        return self._operate(name.group(), operator, word, close, depth, live), close + 1

    def _operate(
        self, name: str, operator: str, start: int, end: int, depth: int, live: bool
    ) -> str:
        value = self.lookup(name)
        present = value is not None and (value != "" or not operator.startswith(":"))
        if operator.endswith("-"):
            default = self.expand(start, end, depth + 1, live=live and not present)
            return self._use(name, value, live) if present else default
        if operator.endswith("+"):
            alternative = self.expand(start, end, depth + 1, live=live and present)
            return alternative if present else ""
        self.expand(start, end, depth + 1, live=False)  # the message: for its errors only
        if present:
            return self._use(name, value, live)
        message = self.text[start:end] or f"required variable {name} is missing a value"
        self.report.missing.append((name, message))
        return ""

    def _plain(self, name: str, live: bool) -> str:
        if not live:
            return ""
        value = self.lookup(name)
        if value is None:
            if name not in self.report.unset:
                self.report.unset.append(name)
            return ""
        return self._use(name, value, live)

    def _use(self, name: str, value: str | None, live: bool) -> str:
        if not live or value is None:
            return ""
        if name not in self.report.used:
            self.report.used.append(name)
        return self.report.insert(value)


def _operator(text: str, index: int, end: int) -> str:
    """The operator (``:-``, ``-``, ``:?``, ``?``, ``:+``, ``+``) at ``index``, or ``""``."""
    first = text[index : index + 1] if index < end else ""
    if first == ":" and index + 1 < end and text[index + 1] in _OPERATORS:
        return text[index : index + 2]
    return first if first and first in _OPERATORS else ""


def _balancing_brace(text: str, dollar: int, end: int) -> int:
    """Index of the ``}`` that balances the ``{`` after ``dollar``, or -1 before ``end``.

    Counts as compose-go does: every ``{`` opens and hides the character after it, every ``}``
    closes. The character after the first ``{`` starts the name, so counting starts after it.
    """
    depth = 1
    for brace in _BRACE.finditer(text, dollar + 3, end):
        if brace.group() == "}":
            depth -= 1
            if depth == 0:
                return brace.start()
        else:
            depth += 1
    return -1
