"""compose.template: every ``$`` rule as compose-go v2.9.1 (Docker Compose v2.40.3) reads it.

The same rules inside a document, checked against the real ``docker-compose`` binary, are the
table in ``test_interpolate.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.template import MAX_NESTING, TemplateError, substitute

VALUES = {"SET": "value", "EMPTY": "", "DOLLAR": "$HOME", "\u017f": "long-s"}


def _value(text: str) -> str:
    return substitute(text, VALUES.get).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$SET", "value"),
        ("${SET}", "value"),
        ("a${SET}b$SET.c", "avaluebvalue.c"),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${SET:-fallback}", "value"),
        ("${UNSET-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${OTHER:-deep}}", "deep"),
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-a${SET}b}", "avalueb"),
        ("${UNSET:-$$}", "$"),
        ("${SET:?must be set}", "value"),
        ("$DOLLAR", "$HOME"),
        ("${lower_case_1}", ""),
        ("no dollars", "no dollars"),
        ("$$$SET", "$value"),
        ("$SET-bar", "value-bar"),
        ("$\u017f ${\u017f}", "long-s long-s"),  # Go's case folding: ſ matches [a-z]
        ("${UNSET:-{x}y}", "{x}y"),  # the word runs to the balancing brace
        ("${UNSET:-{}x}", "{}x"),  # a '{' hides the character after it
        ("${UNSET:-{}", "{"),  # never balanced: up to the line's last '}'
        ("${UNSET:-a}${UNSET:-b}}", "ab}"),
        ("${UNSET:-}x}", "x}"),
    ],
)
def test_expressions_resolve_like_compose(text: str, expected: str) -> None:
    assert _value(text) == expected


def test_values_are_inserted_verbatim_not_interpolated_again() -> None:
    result = substitute("${DOLLAR}", VALUES.get)
    assert (result.value, result.unset) == ("$HOME", [])


def test_unset_variables_without_default_are_reported_once_each() -> None:
    result = substitute("$A-${A}-${B}", VALUES.get)
    assert (result.value, result.unset) == ("--", ["A", "B"])


def test_a_variable_inside_an_unused_default_is_not_reported() -> None:
    assert substitute("${SET:-${NEVER}}", VALUES.get).unset == []


def test_defaults_and_alternatives_do_not_report_their_variable() -> None:
    assert substitute("${X:-d}${X-d}${X:+a}${X+a}", VALUES.get).unset == []


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("${UNSET:?set it please}", "UNSET", "set it please"),
        ("${EMPTY:?no empties}", "EMPTY", "no empties"),
        ("${UNSET?gone}", "UNSET", "gone"),
        ("${UNSET:?}", "UNSET", "required variable UNSET is missing a value"),
    ],
)
def test_required_variables_are_reported_with_the_authors_message(
    text: str, name: str, message: str
) -> None:
    result = substitute(text, VALUES.get)
    assert (result.value, result.missing) == ("", [(name, message)])


def test_required_but_empty_is_fine_without_the_colon() -> None:
    assert substitute("${EMPTY?x}", VALUES.get).missing == []


@pytest.mark.parametrize(
    "text",
    [
        "$(date)",
        "$1",
        "cost $ 5",
        "trailing $",
        "$-x",
        "$}",
        "^/api$",
        "$\u00e9",
        "100$ off",
        "$\t",
    ],
)
def test_a_dollar_without_a_name_brace_or_dollar_after_it_is_plain_text(text: str) -> None:
    assert _value(text) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${}", "'${' at character 1 must be followed by a variable name"),
        ("${1A}", "'${' at character 1 must be followed by a variable name"),
        ("${ A}", "'${' at character 1 must be followed by a variable name"),
        ("${A }", "'${' at character 1: the name must be followed by '}' or one of"),
        ("${A/b}", "'${' at character 1: the name must be followed by '}' or one of"),
        ("${A:1}", "'${' at character 1: the name must be followed by '}' or one of"),
        ("${A", "'${' at character 1 is never closed"),
        ("x${A:-${B}", "'${' at character 7 is never closed"),
        ("${A:-x\ny}", "'${' at character 1 has no closing '}' on its line"),
        ("ok ${SET:-${}}", "'${' at character 11 must be followed by a variable name"),
    ],
)
def test_malformed_braces_are_errors_that_never_quote_the_text(text: str, fragment: str) -> None:
    with pytest.raises(TemplateError) as caught:
        substitute(text, VALUES.get)
    assert fragment in str(caught.value)
    assert text not in str(caught.value)


def test_an_unused_default_is_still_checked_as_compose_go_2_9_does() -> None:
    """compose-go v2.9 evaluates every default and message; only the chosen one is reported."""
    result = substitute("${SET:-${UNSET:?inner}}${SET:?$NEVER}${UNSET:+$SET}", VALUES.get)
    assert (result.value, result.missing) == ("valuevalue", [("UNSET", "inner")])
    assert (result.unset, result.used) == ([], ["SET"])


def test_the_names_whose_values_went_in_are_listed_once_in_order() -> None:
    result = substitute(
        "$SET ${EMPTY-x} ${UNSET:-$DOLLAR} ${SET:+alt} $SET ${NO:+$EMPTY}", VALUES.get
    )
    assert result.value == "value  $HOME alt value "
    assert result.used == ["SET", "EMPTY", "DOLLAR"]


def test_hostile_nesting_is_an_error_not_a_stack_overflow() -> None:
    deep = "${A:-" * (MAX_NESTING + 1) + "x" + "}" * (MAX_NESTING + 1)
    assert substitute(deep[5:-1], VALUES.get).value == "x"  # exactly at the limit
    with pytest.raises(TemplateError, match=f"nested more than {MAX_NESTING} levels"):
        substitute("${A:-" * 5000 + "x" + "}" * 5000, VALUES.get)


def test_values_cannot_multiply_beyond_the_length_limit() -> None:
    lookup = {"BIG": "x" * 1000}.get
    assert len(substitute("$BIG" * 10, lookup, max_length=10_000).value) == 10_000
    with pytest.raises(TemplateError, match="longer than the length limit"):
        substitute("$BIG" * 11, lookup, max_length=10_000)
    with pytest.raises(TemplateError, match="longer than the length limit"):
        substitute("${NOPE:-${BIG}}${BIG:?x}" * 6, lookup, max_length=10_000)


def test_an_error_in_a_password_does_not_reveal_it() -> None:
    assert _value("hunter2$9secret") == "hunter2$9secret"  # plain text in compose
    with pytest.raises(TemplateError) as caught:
        substitute("hunter2${9secret}", VALUES.get)
    assert "hunter2" not in str(caught.value) and "secret" not in str(caught.value)


# --- properties -----------------------------------------------------------------------------------

names = st.from_regex(r"[_a-zA-Z][_a-zA-Z0-9]{0,10}", fullmatch=True)
texts = st.text(max_size=40)


@settings(deadline=None)  # timing varies on shared CI machines
@given(texts)
def test_escaping_every_dollar_gives_the_text_back(text: str) -> None:
    assert substitute(text.replace("$", "$$"), {}.get).value == text


@settings(deadline=None)  # timing varies on shared CI machines
@given(names, texts)
def test_a_variable_yields_its_value_whatever_the_value(name: str, value: str) -> None:
    lookup = {name: value}.get
    assert substitute(f"${{{name}}}", lookup).value == value
    assert substitute(f"<${name}>", lookup).value == f"<{value}>"


@settings(deadline=None)  # timing varies on shared CI machines
@given(names, texts.filter(lambda t: "}" not in t and "\n" not in t))
def test_a_default_applies_exactly_when_the_variable_is_unset_or_empty(
    name: str, default: str
) -> None:
    escaped = default.replace("$", "$$")
    assert substitute(f"${{{name}:-{escaped}}}", {}.get).value == default
    assert substitute(f"${{{name}:-{escaped}}}", {name: ""}.get).value == default
    assert substitute(f"${{{name}:-{escaped}}}", {name: "v"}.get).value == "v"


@settings(deadline=None)  # timing varies on shared CI machines
@given(texts)
def test_any_text_either_resolves_or_raises_a_template_error(text: str) -> None:
    try:
        result = substitute(text, VALUES.get)
    except TemplateError:
        return
    assert isinstance(result.value, str)


@settings(deadline=None)  # timing varies on shared CI machines
@given(texts.filter(lambda t: "${" not in t))
def test_only_a_brace_expression_can_be_an_error(text: str) -> None:
    assert isinstance(substitute(text, VALUES.get).value, str)
