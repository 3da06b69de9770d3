"""compose.yaml11: plain scalars that TrueNAS's YAML 1.1 (PyYAML) reads otherwise than compose.

The oracle is PyYAML itself: ``yaml.safe_load`` is exactly what TrueNAS's middleware runs. The
divergence class is derived by comparing it with our loader scalar by scalar — exhaustively
over short strings of the relevant characters, and by property over longer ones — and every
divergence found must be one of the kinds the rule explains.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.validate import validate
from scale_pilot_nb.compose.yaml11 import RULE, check, findings, kind
from scale_pilot_nb.compose.yaml_schema import Yaml11Unreadable, read_yaml11
from scale_pilot_nb.errors import ComposeLoadError


def service(line: str) -> str:
    """A one-service file with ``line`` (already indented for the service) added."""
    return f"services:\n  web:\n    image: nginx\n{line}\n"


def only(text: str) -> Finding:
    found = list(findings(load(text).yaml11))
    assert len(found) == 1, found
    assert found[0].rule == RULE
    return found[0]


# --- the oracle: PyYAML against our loader, one scalar at a time -----------------------------


def pyyaml(text: str) -> Any:
    """What ``yaml.safe_load`` (pure-Python SafeLoader, YAML 1.1) reads; ``Ellipsis`` = it fails."""
    try:
        return yaml.load(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, ValueError):
        return ...


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def compare(scalar: str) -> tuple[bool, bool] | None:
    """(PyYAML reads ``scalar`` otherwise, the loader flagged it) as a value and as a key.

    ``None`` when ``scalar`` is not one plain scalar to both parsers (``a: b``, ``- x``, ``#``).
    """
    value_doc, key_doc = f"k: {scalar}\n", f"{scalar}: v\n"
    try:
        ours_value, ours_key = load(value_doc), load(key_doc)
    except ComposeLoadError:
        return None
    theirs_value, theirs_key = pyyaml(value_doc), pyyaml(key_doc)
    if list(ours_key.data) != [scalar] or set(ours_value.data) != {"k"}:
        return None  # not read back as this one scalar (comments, indicators, trimming)
    value_differs = not same(theirs_value, ours_value.data)
    # a key is flagged when its readings differ, as a value is (our loader keeps keys as text)
    key_differs = theirs_key is ... or not same(list(theirs_key), [ours_value.data["k"]])
    assert bool(ours_value.yaml11) == value_differs, (scalar, theirs_value, ours_value.data)
    assert bool(ours_key.yaml11) == key_differs, (scalar, theirs_key)
    if value_differs:
        assert kind(scalar) != "other", scalar
    return value_differs, key_differs


ALPHABET = "019._:+-eEoxbn="


def test_every_short_scalar_over_the_tricky_characters_is_flagged_exactly() -> None:
    divergent = set()
    for size in range(4):
        for chars in itertools.product(ALPHABET, repeat=size):
            scalar = "".join(chars)
            result = compare(scalar)
            if result and result[0]:
                divergent.add(kind(scalar))
    assert divergent >= {
        "base-60", "binary", "core-octal", "exponent", "not-octal", "octal",
        "signed-dot", "underscore", "value-tag",
    }  # fmt: skip


NUMBERS = r"[-+]?[0-9_]{1,4}(:[0-9_]{1,2}){0,3}(\.[0-9_]*)?([eE][-+]?[0-9]{1,2})?"
DATES = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?)?"
PREFIXED = r"[-+]?0[xXoObB][0-9a-fA-F_]{0,4}"
WORDS = ["yes", "No", "ON", "off", "Off", "y", "n", "Y", "N", "=", "~", "<<", "Null"]
tricky_text = st.one_of(
    st.text(alphabet="0123456789._:+-eExXoObB_=yYnNtTfF ", min_size=1, max_size=12),
    *(st.from_regex(pattern, fullmatch=True) for pattern in (NUMBERS, DATES, PREFIXED)),
    st.sampled_from(WORDS),
)


@settings(max_examples=600, deadline=None)
@given(tricky_text)
def test_the_loader_flags_exactly_what_pyyaml_reads_otherwise(scalar: str) -> None:
    compare(scalar)


# --- one test per kind: finding, severity, message, fix --------------------------------------


BOOL_WORDS = [w for word in ("yes", "no", "on", "off") for w in (word, word.title(), word.upper())]


@pytest.mark.parametrize("word", BOOL_WORDS)
def test_yaml_1_1_bool_words(word: str) -> None:
    finding = only(service(f"    tty: {word}"))
    assert (finding.severity, finding.path) == (Severity.ERROR, "services.web.tty")
    value = "true" if word.lower() in ("yes", "on") else "false"
    assert f'Compose reads `{word}` as the string "{word}"' in finding.message
    assert f"the boolean {value}" in finding.message
    assert finding.hint == f'Quote it: "{word}".'
    assert (finding.line, finding.column) == (4, 10)


@pytest.mark.parametrize("word", ["y", "n", "Y", "N", "true", "False", "null", "~", "yess"])
def test_words_both_versions_read_alike_are_not_flagged(word: str) -> None:
    assert load(service(f"    tty: {word}")).yaml11 == ()


def test_base_60_integers_the_classic_port() -> None:
    finding = only(service("    ports:\n      - 22:22"))
    assert (finding.severity, finding.path) == (Severity.ERROR, "services.web.ports[0]")
    assert "the integer 1342" in finding.message and "base 60" in finding.message
    assert finding.hint == 'Quote it: "22:22".'


def test_base_60_floats() -> None:
    finding = only(service("    stop_grace_period: 1:20.5"))
    assert "the number 80.5" in finding.message and "base 60" in finding.message
    assert finding.hint == 'Quote it: "1:20.5".'


def test_ports_that_are_not_base_60_are_fine() -> None:
    text = service("    ports: [8080:80, 0:22, 1:60, 127.0.0.1:22:22, 22:22/udp]")
    assert load(text).yaml11 == ()


def test_leading_zero_octal_names_both_numbers() -> None:
    finding = only(service("    secrets:\n      - source: s\n        mode: 0400"))
    assert finding.severity == Severity.ERROR
    assert "This SDK reads `0400` as the integer 400" in finding.message
    assert "the integer 256" in finding.message and "go-yaml" in finding.message
    assert finding.hint.startswith("Write 256 if you meant octal 0400")
    assert "or 400 for decimal" in finding.hint and '"0400"' in finding.hint


def test_yaml_1_2_octal_is_a_string_to_pyyaml() -> None:
    finding = only(service("    user: 0o755"))
    assert "Compose reads `0o755` as the integer 493" in finding.message
    assert 'the string "0o755"' in finding.message
    assert finding.hint.startswith("Write it as 493") and '"0o755"' in finding.hint


def test_a_leading_zero_with_8_or_9_is_a_string_to_pyyaml() -> None:
    finding = only(service("    user: 08"))
    assert "the integer 8" in finding.message and 'the string "08"' in finding.message
    assert kind("08") == "not-octal"


def test_binary() -> None:
    finding = only(service("    user: 0b1010"))
    assert "the integer 10" in finding.message and kind("0b1010") == "binary"
    assert finding.hint.startswith("Write it as 10")


def test_signed_and_separated_hex() -> None:
    assert "the integer -31" in only(service("    user: -0x1F")).message
    assert "the integer 31" in only(service("    user: 0x1_F")).message
    assert load(service("    user: 0x1F")).yaml11 == ()  # the same to both


def test_underscores_between_digits() -> None:
    finding = only(service("    mem_limit: 1_000_000"))
    assert 'reads `1_000_000` as the string "1_000_000"' in finding.message
    assert "the integer 1000000" in finding.message
    assert finding.hint.startswith("Write it as 1000000")
    assert "the number 10.5" in only(service("    cpus: 1_0.5")).message


@pytest.mark.parametrize(
    ("written", "number"),
    [("1e3", "1000.0"), ("1E3", "1000.0"), ("1e+3", "1000.0"), ("1.0e3", "1000.0"),
     ("1.e5", "100000.0"), (".5e3", "500.0"), ("1E-3", "0.001")],
)  # fmt: skip
def test_exponents_pyyaml_does_not_read_as_numbers(written: str, number: str) -> None:
    finding = only(service(f"    cpus: {written}"))
    assert f"Compose reads `{written}` as the number {number}" in finding.message
    assert f'the string "{written}"' in finding.message
    assert finding.hint.startswith(f"Write it as {number}")
    assert load(service(f"    cpus: {number}")).yaml11 == ()  # the fix is read alike


def test_signed_numbers_without_a_digit_before_the_dot() -> None:
    finding = only(service("    cpus: -.5"))
    assert "the number -0.5" in finding.message and 'the string "-.5"' in finding.message
    assert load(service("    cpus: .5")).yaml11 == ()


def test_timestamps() -> None:
    date = only(service("    environment:\n      - 2001-12-14"))
    assert "date" in date.message and date.severity == Severity.ERROR
    stamp = only(service("    command: [2001-12-14t21:59:43.10-05:00]"))
    assert "the timestamp 2001-12-14T21:59:43.100000-05:00" in stamp.message
    assert stamp.hint == 'Quote it: "2001-12-14t21:59:43.10-05:00".'


def test_scalars_pyyaml_cannot_read_reject_the_whole_file_on_truenas() -> None:
    for scalar in ("=", "2024-13-01", "0b_", "0x_"):
        with pytest.raises(Yaml11Unreadable):
            read_yaml11(scalar)
        finding = only(service(f"    command: [echo, {scalar}]"))
        assert "rejects the whole file" in finding.message
        assert finding.hint == f'Quote it: "{scalar}".'
    assert "value type" in only(service("    command: [=]")).message


def test_keys_yaml_1_1_reads_as_other_types() -> None:
    finding = only(service("    environment:\n      ON: 1"))
    assert (finding.severity, finding.path) == (Severity.ERROR, "services.web.environment.ON")
    assert 'Compose reads the key `ON` as the string "ON"' in finding.message
    assert "the boolean true" in finding.message
    assert finding.hint == 'Quote the key: "ON":'
    label = only(service("    labels:\n      22:22: x"))
    assert (label.severity, label.path) == (Severity.WARNING, "services.web.labels.22:22")
    service_name = only("services:\n  yes:\n    image: nginx\n")
    assert (service_name.severity, service_name.path) == (Severity.ERROR, "services.yes")


def test_extensions_and_labels_are_warnings() -> None:
    text = "x-notes:\n  since: 2001-12-14\n" + service(
        "    labels:\n      traefik.enable: yes\n    annotations:\n      a: on"
    )
    found = list(findings(load(text).yaml11))
    assert [(f.severity, f.path) for f in found] == [
        (Severity.WARNING, "x-notes.since"),
        (Severity.WARNING, 'services.web.labels["traefik.enable"]'),
        (Severity.WARNING, "services.web.annotations.a"),
    ]


def test_an_extension_used_by_a_service_is_an_error_where_it_is_written() -> None:
    text = "x-ports: &ports [22:22]\n" + service("    ports: *ports")
    finding = only(text)
    assert (finding.severity, finding.path, finding.line) == (Severity.ERROR, "x-ports[0]", 1)
    assert finding.message.endswith("It is used at services.web.ports[0].")
    merged = "x-base: &base\n  tty: on\n" + service("    <<: *base")
    assert only(merged).message.endswith("It is used at services.web.tty.")
    overridden = "x-base: &base\n  tty: on\n" + service("    <<: *base\n    tty: true")
    assert only(overridden).severity == Severity.WARNING  # the merged value is not used


def test_environment_values_are_never_shown() -> None:
    secret = "0o1234567"
    for text in (
        service(f"    environment:\n      TOKEN: {secret}"),
        service(f"    environment: [{secret}]"),
        f"x-env: &env\n  TOKEN: {secret}\n" + service("    environment: *env"),
    ):
        finding = only(text)
        assert finding.severity == Severity.ERROR
        assert secret not in f"{finding}{finding!r}"
        assert "this environment value" in finding.message and "an integer" in finding.message
        assert finding.hint == "Put this environment value in double quotes."


def test_quoted_tagged_and_block_scalars_are_strings_to_both() -> None:
    text = service(
        "    ports: ['22:22', \"22:22\", !!str 22:22]\n"
        "    environment:\n      'ON': \"yes\"\n      B: !!str 0755\n      C: '='\n"
        "    command: >-\n      yes\n    entrypoint: |\n      2001-12-14\n"
    )
    assert load(text).yaml11 == ()
    assert yaml.safe_load(text)["services"]["web"]["ports"] == ["22:22"] * 3


def test_the_bare_tag_still_lets_pyyaml_resolve_even_a_quoted_scalar() -> None:
    finding = only(service("    tty: ! 'yes'"))
    assert "the boolean true" in finding.message
    assert yaml.safe_load(service("    tty: ! 'yes'"))["services"]["web"]["tty"] is True


def test_documents_without_divergence_cost_nothing_and_dicts_have_none() -> None:
    assert load(service("    ports: ['22:22']")).yaml11 == ()
    assert load({"services": {"web": {"ports": ["22:22"]}}}).yaml11 == ()


# --- the rule, hooked into validate() ----------------------------------------------------------


def test_check_without_flagged_scalars_finds_nothing() -> None:
    assert list(check(RuleContext(compose={}))) == []


def test_validate_reports_the_classic_port_as_an_error() -> None:
    report = validate(service("    ports: [22:22]"))
    assert not report.valid
    finding = next(f for f in report.errors if f.rule == RULE)
    assert finding.path == "services.web.ports[0]" and finding.hint == 'Quote it: "22:22".'
    assert re.search(r"integer 1342", finding.message)
